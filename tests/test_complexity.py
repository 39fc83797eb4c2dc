"""scripts/complexity.py, the complexity limit of `make lint`: boolean operators count."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "complexity.py"


@pytest.fixture
def complexity():
    spec = importlib.util.spec_from_file_location("complexity_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _branchy(name: str, clauses: int) -> str:
    """A function of complexity 1 + 1 (the if) + clauses - 1 (the `and`s): mccabe would say 2."""
    names = [f"x{i}" for i in range(clauses)]
    return f"def {name}({', '.join(names)}):\n    if {' and '.join(names)}:\n        return 1\n    return 0\n"


def test_boolean_operators_count(complexity):
    (function,) = complexity.functions(_branchy("f", 5))
    assert function.complexity == 6


def test_methods_closures_and_nested_classes_are_each_counted_once(complexity):
    code = (
        "class Outer:\n"
        "    def method(self, a, b):\n"
        "        def closure(c, d):\n"
        "            return c and d\n"
        "        return a or b\n"
        "    class Inner:\n"
        "        def deep(self, e, f, g):\n"
        "            return e and f and g\n"
    )
    found = {f.name: f.complexity for f in complexity.functions(code)}
    assert found == {"method": 2, "closure": 2, "deep": 3}


def test_only_functions_above_the_limit_outside_tests_fail(complexity, tmp_path, monkeypatch, capsys):
    (tmp_path / "worker" / "agent").mkdir(parents=True)
    (tmp_path / "worker" / "tests").mkdir()
    (tmp_path / "worker" / "agent" / "rules.py").write_text(_branchy("at_limit", 11) + _branchy("above", 12))
    (tmp_path / "worker" / "tests" / "test_rules.py").write_text(_branchy("ignored", 30))
    monkeypatch.setattr(complexity, "ROOT", tmp_path)
    monkeypatch.setattr(complexity, "PACKAGES", ("worker",))

    assert complexity.main() == 1
    out = capsys.readouterr().out
    assert "worker/agent/rules.py:5 above (13)" in out
    assert "at_limit" not in out and "ignored" not in out

    (tmp_path / "worker" / "agent" / "rules.py").write_text(_branchy("at_limit", 11))
    assert complexity.main() == 0

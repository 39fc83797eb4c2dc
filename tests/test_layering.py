"""Layering: tools is a leaf; portal never imports worker."""

import subprocess
import sys

from tests.conftest import ROOT


def _modules_after_import(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return {name.split(".")[0] for name in result.stdout.split()}


def test_tools_imports_nothing_from_flask_portal_or_worker():
    loaded = _modules_after_import("import tools")
    assert not loaded & {"flask", "portal", "worker", "sqlalchemy", "werkzeug"}


def test_portal_does_not_import_worker():
    loaded = _modules_after_import(
        "from portal import create_app; create_app({'TESTING': True, 'SECRET_KEY': 'x'})"
    )
    assert "worker" not in loaded


def test_runtime_packages_do_not_import_the_evaluation_code():
    loaded = _modules_after_import(
        "from portal import create_app; create_app({'TESTING': True, 'SECRET_KEY': 'x'}); "
        "import worker.jobs, worker.email_jobs, worker.agent.pipeline, worker.agent.cli"
    )
    assert "evaluation" not in loaded


def test_settings_defaults_live_in_portal_config_only():
    """Code outside portal/config.py reads settings as given: no `config.get("X", default)` or
    `config.get("X") or default` restating a default, no second writer of HF_HUB_OFFLINE."""
    import re

    literal = r"""(\d|"[^"]+"|'[^']+')"""  # a number or a non-empty string: a restated default
    restated = re.compile(
        rf"""config\.get\(\s*["'][A-Z][A-Z0-9_]+["']\s*(,\s*{literal}|\)\s*or\s+{literal})"""
    )
    found, writers = [], []
    for path in sorted((ROOT / "worker").rglob("*.py")) + sorted((ROOT / "portal").rglob("*.py")):
        if path.name == "config.py" and path.parent.name == "portal":
            continue
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in restated.finditer(text)]
        if "HF_HUB_OFFLINE" in text and 'setdefault("HF_HUB_OFFLINE"' in text:
            writers.append(str(path.relative_to(ROOT)))
    assert writers == ["worker/agent/hub.py"]
    assert found == []

"""Layering: tools is a leaf; portal never imports worker."""

import re
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


# Keys Flask and its extensions read themselves (Flask-SQLAlchemy, Flask-Login, Flask-Limiter, Flask-WTF,
# Flask-Mail's server settings): these stay in app.config, and code may hand them on. Every other key is
# ours and is read through the typed settings (portal.config.settings()).
FLASK_KEYS = re.compile(
    r"(SECRET_KEY|TESTING|PROPAGATE_EXCEPTIONS|MAX_CONTENT_LENGTH|SQLALCHEMY_\w+|SESSION_\w+|REMEMBER_\w+"
    r"|RATELIMIT_\w+|WTF_\w+|BOOTSTRAP_\w+|MAIL_(PORT|USE_TLS|USE_SSL|USERNAME|PASSWORD))"
)
KEY_READ = re.compile(r"""config(\[|\.get\(|\.setdefault\(|\.pop\(|\.)\s*["']?([A-Z][A-Z0-9_]*)""")
MAPPING_READ = re.compile(r"""config\[\s*(?!["'])|config\.items\(|\bconfig: Mapping""")


def _settings_readers():
    """(path, text) of every module and template of portal/ and worker/ but the settings modules."""
    paths = sorted((ROOT / "worker").rglob("*.py")) + sorted((ROOT / "portal").rglob("*.py"))
    paths += sorted((ROOT / "portal" / "templates").rglob("*.html"))
    for path in paths:
        if path.parent == ROOT / "portal" and path.name.startswith("config"):
            continue  # portal/config.py, config_types.py, config_agent.py: where the keys are read
        yield path.relative_to(ROOT), path.read_text(encoding="utf-8")


def test_our_settings_are_read_from_the_typed_object_not_the_config_dict():
    """Outside portal/config*.py nothing reads one of our keys from app.config, walks the dict or takes
    it as a `config: Mapping` parameter: code receives the Settings or the group it needs."""
    ours, walking = [], []
    for path, text in _settings_readers():
        ours += [f"{path}: {m.group(0)}" for m in KEY_READ.finditer(text) if not FLASK_KEYS.fullmatch(m[2])]
        walking += [f"{path}: {m.group(0)}" for m in MAPPING_READ.finditer(text)]
    assert ours == []
    assert walking == []


def test_the_layering_check_sees_a_read_of_our_key():
    """The patterns above catch what they are for (and let Flask's own keys through)."""
    caught = [m[2] for m in KEY_READ.finditer('current_app.config["AGENT_BACKEND"]; {{ config.HELP_DIR }}')]
    assert caught == ["AGENT_BACKEND", "HELP_DIR"]
    assert FLASK_KEYS.fullmatch("SQLALCHEMY_DATABASE_URI") and not FLASK_KEYS.fullmatch("MAIL_DEFAULT_SENDER")
    assert MAPPING_READ.search("def f(config: Mapping[str, Any]):") and MAPPING_READ.search("config[key]")

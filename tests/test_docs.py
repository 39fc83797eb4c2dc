"""The README stays true: every environment variable the config reads is documented in its table."""

import re

from tests.conftest import ROOT


def test_every_environment_setting_is_in_the_readme():
    source = (ROOT / "portal/config.py").read_text()
    names = set(re.findall(r'_(?:env|bool|int|float|decimal|int_list)\("([A-Z_]+)"', source))
    readme = (ROOT / "README.md").read_text()
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert names and not missing, f"document these settings in README.md: {missing}"


def test_readme_quick_start_is_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make run" in quick_start and "make test" in quick_start

"""Settings in tests: change one after create_app, or build them from a few keys without an app.

A setting's one spelling is its config key (README's table): `override_settings(app, KEY=value)` writes
the key into app.config and rebuilds the app's typed settings from it, as create_app built them. Used as
a context manager (or with `.restore()`), it puts the previous values back: for session-scoped apps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from portal.config import get_settings, init_settings, load_config
from portal.config_types import Settings


@dataclass
class SettingsOverride:
    """What override_settings changed, to put back."""

    app: Flask
    previous: dict[str, Any]

    def restore(self) -> None:
        self.app.config.update(self.previous)
        init_settings(self.app)

    def __enter__(self) -> Settings:
        return get_settings(self.app)

    def __exit__(self, *exc_info: object) -> None:
        self.restore()


def override_settings(app: Flask, **keys: Any) -> SettingsOverride:
    """Set config keys of `app` and rebuild its settings; a key create_app did not define is a typo."""
    unknown = sorted(set(keys) - set(app.config))
    if unknown:
        raise KeyError(f"not a setting: {', '.join(unknown)}")
    previous = {key: app.config[key] for key in keys}
    app.config.update(keys)
    init_settings(app)
    return SettingsOverride(app, previous)


def settings_from(instance_path: str | Path, **keys: Any) -> Settings:
    """Settings as load_config reads them from the environment, with `keys` applied (no app needed)."""
    return Settings.from_config({**load_config(str(instance_path)), **keys})

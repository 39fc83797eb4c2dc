"""The Flask app that background jobs run in, created once per process."""

from __future__ import annotations

from flask import Flask, current_app, has_app_context

_app: Flask | None = None


def get_app() -> Flask:
    """The current app when one is active (in-process jobs, tests), else this process's own."""
    global _app
    if has_app_context():
        return current_app._get_current_object()
    if _app is None:
        from portal import create_app

        _app = create_app()
    return _app

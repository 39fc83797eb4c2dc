"""Worker-side CLI groups registered on the app by wsgi.py (`flask --app wsgi agent ...`)."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    """Attach the worker's command groups to the app."""
    try:
        from worker.agent.cli import agent_cli
    except ImportError:  # the agent package is being built
        return
    app.cli.add_command(agent_cli)

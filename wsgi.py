"""Entry point for gunicorn and the `flask --app wsgi` commands."""

from portal import create_app
from worker.cli import register_cli

app = create_app()
register_cli(app)

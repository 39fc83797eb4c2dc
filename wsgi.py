"""Entry point for gunicorn and the `flask --app wsgi` commands."""

import gc

from portal import create_app
from worker.cli import register_cli

app = create_app()
register_cli(app)

# What the app built at start-up (modules, models, config: ~200k objects) lives as long as the process.
# Frozen, it is left out of the collector's full passes, which otherwise walked all of it (~70 ms, a
# pause for every thread of the worker) every few dozen requests (docs/performance.md).
gc.freeze()

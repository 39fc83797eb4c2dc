"""SupportOps portal: the Flask application factory."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from portal.config import (
    DEV_SECRET_KEY,
    check_config,
    get_settings,
    init_settings,
    instance_path_from_env,
    load_config,
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the portal application."""
    instance_path = (test_config or {}).get("INSTANCE_PATH") or instance_path_from_env()
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_mapping(load_config(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py: local overrides
    else:
        app.config.from_mapping(test_config)
    settings = init_settings(app)  # the typed settings, read once; code reads them, not app.config
    if not app.config.get("SECRET_KEY") and settings.env_name == "development":
        app.config["SECRET_KEY"] = DEV_SECRET_KEY
    check_config(app.config)
    _prepare_engine_options(app)
    _configure_rate_limit_storage(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    _trust_proxies(app)
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_template_helpers(app: Flask) -> None:
    from portal import badges
    from tools.messages import reason_words

    app.add_template_filter(reason_words, "reason_words")  # 'not_covered: ...' in words on every page
    for helper in (badges.ticket_badge, badges.priority_badge, badges.due_words, badges.resolution_words):
        app.add_template_global(helper)


def _configure_rate_limit_storage(app: Flask) -> None:
    """Counters live in Redis when there is one; while it is unreachable each process counts in memory
    (same limits, logged once as "falling back to in-memory storage") rather than failing the request."""
    redis = get_settings(app).redis
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis.url or "memory://")
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)  # anything else the storage raises: fail open
    app.config.setdefault(
        "RATELIMIT_STORAGE_OPTIONS",
        {"socket_connect_timeout": redis.connect_timeout, "socket_timeout": redis.socket_timeout},
    )


def _trust_proxies(app: Flask) -> None:
    hops = get_settings(app).security.trusted_proxies
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _prepare_engine_options(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        from pathlib import Path

        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        # Background threads and the web share the file: wait for locks instead of failing at once.
        options.setdefault("connect_args", {"timeout": 30})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def register_extensions(app: Flask) -> None:
    from portal.auth import accounts  # noqa: F401 - accounts registers the user loader
    from portal.database.sqlite import init_sqlite
    from portal.extensions import bootstrap, csrf, db, limiter, login_manager, mail, migrate
    from portal.jobs import queue
    from portal.security_headers import init_security_headers

    db.init_app(app)
    init_sqlite(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    mail.init_app(app)
    app.config.setdefault("BOOTSTRAP_SERVE_LOCAL", True)  # no CDN (must be set before init_app's own default)
    bootstrap.init_app(app)
    limiter.init_app(app)
    queue.init_app(app)
    init_security_headers(app)


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def register_blueprints(app: Flask) -> None:
    from portal import admin, api, auth, desk, errors, mailer, main, orders, settings, support, telemetry
    from portal import help as help_center
    from portal.mailer.links import remember_served_base

    for feature in (auth, main, orders, support, desk, admin, mailer, settings, help_center, api):
        feature.init_app(app)  # registers the feature's blueprint, importing its views first
    errors.init_app(app)
    telemetry.init_app(app)
    remember_served_base(app)


def register_commands(app: Flask) -> None:
    from portal.commands import actions_cli, cli
    from portal.inbound import cli as _inbound_cli  # noqa: F401 - adds `mail fetch` and `mail receive`
    from portal.mailer.cli import mail_cli
    from portal.orders import cli as orders_cli

    cli.init_app(app)
    app.cli.add_command(mail_cli)
    actions_cli.init_app(app)
    orders_cli.init_app(app)

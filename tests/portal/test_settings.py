"""The typed settings: built once from the final config mapping, frozen, reached through the app."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from decimal import Decimal
from operator import attrgetter

import pytest

from portal import create_app
from portal.config import get_settings, settings
from tests.conftest import base_config
from tests.overrides import override_settings, settings_from

# Environment variable, its value, the field it sets (a path in the Settings) and what the field holds.
FROM_THE_ENVIRONMENT = [
    ("SUPPORTOPS_ENV", "staging", "env_name", "staging"),
    ("HELP_DIR", "/srv/help", "help_dir", "/srv/help"),
    ("PUBLIC_BASE_URL", "https://help.example.com", "links.public_base_url", "https://help.example.com"),
    ("PORT", "5077", "links.fallback_base_url", "http://127.0.0.1:5077"),
    ("REDIS_URL", "redis://cache:6379/2", "redis.url", "redis://cache:6379/2"),
    ("REDIS_SOCKET_TIMEOUT", "1.5", "redis.socket_timeout", 1.5),
    ("HSTS_MAX_AGE", "60", "security.hsts_max_age", 60),
    ("TRUSTED_PROXIES", "2", "security.trusted_proxies", 2),
    ("PASSWORD_MIN_LENGTH", "14", "auth.password_min_length", 14),
    ("STAFF_IDLE_MINUTES", "5", "auth.staff_idle_minutes", 5),
    ("LOGIN_RATE_LIMIT", "3 per minute", "rate_limits.login", "3 per minute"),
    ("API_RATE_LIMIT", "9 per second", "rate_limits.api", "9 per second"),
    ("DESK_MAX_OPEN_PER_PERSON", "4", "desk.max_open_per_person", 4),
    ("TICKET_IDLE_POLL_MS", "500", "desk.ticket_idle_poll_ms", 500),
    ("QUEUE_MODE", "thread", "jobs.queue_mode", "thread"),
    ("INPROCESS_WORKERS", "3", "jobs.inprocess_workers", 3),
    ("AGENT_BACKEND", "openai", "agent.backend", "openai"),
    ("AGENT_RETRY_INTERVALS", "1,2", "agent.retry_intervals", (1, 2)),
    ("ESCALATE_P1_AFTER_TURNS", "5", "agent.escalation.p1_after_turns", 5),
    ("REFUND_WINDOW_DAYS", "17", "policy.refund_window_days", 17),
    ("SHIP_WITHIN_DAYS", "2-3", "agent.limits.ship_within_days", (2, 3)),
    ("MISTRAL_MODEL", "mistral-large-latest", "agent.mistral.model", "mistral-large-latest"),
    ("OPENAI_TIMEOUT", "12", "agent.openai.timeout", 12.0),
    ("AGENT_JOB_TIMEOUT", "100", "agent.mistral.budget", 80.0),
    ("MAIL_SERVER", "smtp.example.com", "mail.server", "smtp.example.com"),
    ("MAIL_SERVER", "smtp.example.com", "mail.suppress_send", False),
    ("MAIL_RETRY_INTERVALS", "1,2,3", "mail.retry_intervals", (1, 2, 3)),
    ("MAIL_DEFAULT_SENDER", "Shop <s@shop.example>", "mail.default_sender", "Shop <s@shop.example>"),
    ("MAIL_REPLY_ADDRESS", "support@shop.example", "inbound.reply_address", "support@shop.example"),
    ("INBOUND_IMAP_HOST", "imap.example.com", "inbound.imap_host", "imap.example.com"),
    ("INBOUND_QUOTE_LANGUAGES", "en, de", "inbound.quote_languages", ("en", "de")),
    ("WEBHOOK_TIMEOUT", "3", "webhooks.timeout", 3.0),
    ("WEBHOOK_RETRY_INTERVALS", "5", "webhooks.retry_intervals", (5,)),
    ("SELLER_NAME", "Acme Goods", "seller.name", "Acme Goods"),
    ("TAX_RATE", "0.19", "seller.tax_rate", Decimal("0.19")),
    ("SLA_RESOLUTION_HOURS", "P1=8", "sla.resolution_hours", {"P1": 8, "P2": 48, "P3": 72, "P4": 120}),
    ("SLA_BUSINESS_HOURS", "mon-fri 09:00-17:00", "sla.calendar.always_open", False),
]


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    FROM_THE_ENVIRONMENT,
    ids=[f"{row[0]}-{row[2]}" for row in FROM_THE_ENVIRONMENT],
)
def test_each_environment_variable_reaches_its_field(variable, value, field, expected, monkeypatch, tmp_path):
    monkeypatch.setenv(variable, value)
    assert attrgetter(field)(settings_from(tmp_path)) == expected


def test_the_settings_are_frozen_all_the_way_down(app):
    current = get_settings(app)
    with pytest.raises(FrozenInstanceError):
        current.env_name = "production"
    with pytest.raises(FrozenInstanceError):
        current.mail.timeout = 1.0
    with pytest.raises(FrozenInstanceError):
        current.agent.escalation = None
    with pytest.raises(TypeError):  # a read-only mapping
        current.sla.resolution_hours["P1"] = 1.0
    assert isinstance(current.agent.retry_intervals, tuple)
    assert isinstance(current.mail.retry_intervals, tuple)


def test_create_app_overrides_use_the_documented_keys(tmp_path):
    overrides = {"DESK_MAX_OPEN_PER_PERSON": 3, "AGENT_RETRY_INTERVALS": [1, 1]}
    app = create_app(base_config(f"sqlite:///{tmp_path / 'x.db'}", tmp_path, **overrides))
    assert get_settings(app).desk.max_open_per_person == 3
    assert get_settings(app).agent.retry_intervals == (1, 1)
    assert app.config["DESK_MAX_OPEN_PER_PERSON"] == 3  # the mapping they were built from stays as given
    with app.app_context():
        assert settings() is get_settings(app)


def test_instance_config_py_overrides_the_environment(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text('TESTING = True\nQUEUE_MODE = "manual"\nDESK_REFRESH_SECONDS = 7\n')
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DESK_REFRESH_SECONDS", "45")
    monkeypatch.delenv("SUPPORTOPS_ENV", raising=False)
    assert get_settings(create_app()).desk.refresh_seconds == 7.0


def test_override_settings_rebuilds_and_restores(app):
    before = get_settings(app)
    with override_settings(app, MAIL_STAFF_DIGEST_SECONDS=120, TICKET_RATE_LIMIT="2 per minute") as changed:
        assert (changed.mail.staff_digest_seconds, changed.rate_limits.ticket) == (120, "2 per minute")
        assert get_settings(app) is changed and app.config["MAIL_STAFF_DIGEST_SECONDS"] == 120
    assert get_settings(app) == before
    with pytest.raises(KeyError, match="MAIL_STAF_DIGEST_SECONDS"):
        override_settings(app, MAIL_STAF_DIGEST_SECONDS=1)

"""Configuration, read from the environment in this one place.

Every setting has a default that suits `make run`; production sets them through the environment
(or `instance/config.py` for local overrides). The table in README.md documents each one.

`load_config` gives the documented keys as a dict; create_app applies the overrides, then `init_settings`
builds the typed, frozen Settings (portal.config_types) once. Code reads them through `settings()` (the
current app's) or `get_settings(app)`, never through app.config, which keeps only what Flask and its
extensions read themselves besides the mapping the settings were built from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from portal.auth.passwords import DEFAULT_COST as DEFAULT_HASH_COST  # argon2-cffi's defaults, kept there
from portal.config_agent import LIMIT_KEYS, LIMIT_RANGES, policy_limits
from portal.config_types import Settings
from tools.escalation_policy import EscalationRules
from tools.sla import RESOLUTION_HOURS, BusinessCalendar, parse_targets
from tools.types import PolicyLimits  # tools is a leaf package: portal may import it

__all__ = [
    "DEV_SECRET_KEY",
    "SETTINGS_EXTENSION",
    "Settings",
    "check_config",
    "get_settings",
    "init_settings",
    "instance_path_from_env",
    "load_config",
    "policy_limits",  # portal.config_agent's, here too: the mapping → PolicyLimits step of the settings
    "settings",
]

DEV_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - refused outside development
SETTINGS_EXTENSION = "supportops.settings"  # app.extensions key of the app's typed Settings


def init_settings(app: Flask) -> Settings:
    """Build the typed settings from the app's final config and keep them on the app (create_app does it
    once; a test that changes a key afterwards calls it again through tests.overrides.override_settings)."""
    built = app.extensions[SETTINGS_EXTENSION] = Settings.from_config(app.config)
    return built


def get_settings(app: Flask) -> Settings:
    """`app`'s settings (outside a request or job: the worker's start-up, a background thread)."""
    return app.extensions[SETTINGS_EXTENSION]


def settings() -> Settings:
    """The current app's settings: how code in a request or a job reads any setting of ours."""
    return current_app.extensions[SETTINGS_EXTENSION]


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def _bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _float(name: str, default: float) -> float:
    return float(_env(name, str(default)))


def _optional_decimal(name: str) -> Decimal | None:
    value = _env(name)
    return None if value is None else Decimal(value)


def _int_list(name: str, default: str) -> list[int]:
    return [int(part) for part in _env(name, default).split(",") if part.strip()]


def _day_range(name: str, default: str) -> tuple[int, int]:
    """'5-10' → (5, 10); a single number '7' → (7, 7); '0' means instant."""
    value = _env(name, default)
    low, _, high = value.partition("-")
    low_days, high_days = int(low), int(high or low)
    if not 0 <= low_days <= high_days:
        raise ValueError(f"{name} must be 'LOW-HIGH' business days with LOW <= HIGH, not {value!r}")
    return (low_days, high_days)


def _decimal(name: str, default: str) -> Decimal:
    return Decimal(_env(name, default))


def _database_url(instance_path: str) -> str:
    url = _env("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'supportops.db'}"
    # Heroku-style URLs and plain postgresql:// both mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def instance_path_from_env() -> str | None:
    """Where runtime files live (SQLite database, policy index, dev mail); default `instance/`."""
    return _env("INSTANCE_PATH")


def load_config(instance_path: str) -> dict[str, Any]:
    """Build the app configuration from the environment."""
    env = _env("SUPPORTOPS_ENV", "development")
    mail_server = _env("MAIL_SERVER")
    return {
        "ENV_NAME": env,
        "SECRET_KEY": _env("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": _env("REDIS_URL"),
        # Seconds; short, so a Redis outage costs a request little (jobs are kept: portal/jobs/deferred.py).
        "REDIS_CONNECT_TIMEOUT": _float("REDIS_CONNECT_TIMEOUT", 2.0),
        "REDIS_SOCKET_TIMEOUT": _float("REDIS_SOCKET_TIMEOUT", 5.0),
        # Unset: links follow the host and port the portal is served on (portal/mailer/links.py).
        "SERVER_NAME_FOR_LINKS": _env("PUBLIC_BASE_URL"),
        # Links built before any request was served (a job started by the CLI) use `make run`'s PORT.
        "LINK_FALLBACK_BASE_URL": f"http://127.0.0.1:{_int('PORT', 5000)}",
        # Sessions and cookies. Every session and "keep me signed in" cookie carries the user's session
        # token (User.session_token): logout, a password change or reset, deactivation and "Log out
        # everywhere" replace it, which ends them all.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", env != "development"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", env != "development"),
        "REMEMBER_COOKIE_DURATION": timedelta(days=_int("REMEMBER_DAYS", 14)),
        # Staff and admin sessions end after this many minutes without a page load (0: never); staff
        # get no "keep me signed in" cookie.
        "STAFF_IDLE_MINUTES": _int("STAFF_IDLE_MINUTES", 30),
        # argon2id cost for new password hashes (older hashes are upgraded at the next login).
        "PASSWORD_HASH_TIME_COST": _int("PASSWORD_HASH_TIME_COST", DEFAULT_HASH_COST[0]),
        "PASSWORD_HASH_MEMORY_KIB": _int("PASSWORD_HASH_MEMORY_KIB", DEFAULT_HASH_COST[1]),
        "PASSWORD_HASH_PARALLELISM": _int("PASSWORD_HASH_PARALLELISM", DEFAULT_HASH_COST[2]),
        # Strict-Transport-Security max-age, sent in production over HTTPS only (0 turns it off).
        "HSTS_MAX_AGE": _int("HSTS_MAX_AGE", 31536000),
        # Behind N reverse proxies, trust N X-Forwarded-* hops (client address for rate limits, https links).
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        # /metrics needs `Authorization: Bearer <METRICS_TOKEN>` when set (open like /healthz otherwise).
        "METRICS_TOKEN": _env("METRICS_TOKEN"),
        # The desk queue reloads its counts and list this often (seconds).
        "DESK_REFRESH_SECONDS": _float("DESK_REFRESH_SECONDS", 30.0),
        # Auto-assignment passes over a team member holding this many open tickets (a team may set its own).
        "DESK_MAX_OPEN_PER_PERSON": _int("DESK_MAX_OPEN_PER_PERSON", 15),
        # Metrics: an agent answer with no reply from the customer for this many days counts as
        # "assumed resolved", shown apart from the resolutions customers confirmed.
        "METRICS_ASSUMED_RESOLVED_DAYS": _int("METRICS_ASSUMED_RESOLVED_DAYS", 7),
        "PASSWORD_MIN_LENGTH": _int("PASSWORD_MIN_LENGTH", 10),
        # Requests larger than this get the friendly 413 page (a ticket body is at most 5,000 characters).
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 1024 * 1024),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        # A moving window counts the last N seconds at every request: a fixed window let twice the limit
        # through around a window's edge.
        "RATELIMIT_STRATEGY": _env("RATELIMIT_STRATEGY", "moving-window"),
        # Wrong passwords, counted per client address and account together (also sign-up per address).
        "LOGIN_RATE_LIMIT": _env("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        # Wrong passwords per account (the email typed, whether or not it has an account) from any
        # address: each step waits longer (a stepped backoff). Breaking it emails the owner.
        "LOGIN_ACCOUNT_RATE_LIMIT": _env(
            "LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute;10 per 10 minutes;20 per hour;40 per day"
        ),
        # Wrong passwords per client address over all accounts (password spraying).
        "LOGIN_ADDRESS_RATE_LIMIT": _env("LOGIN_ADDRESS_RATE_LIMIT", "30 per minute;200 per hour"),
        # At most one "failed logins on your account" email per account in this many minutes.
        "LOGIN_NOTICE_MINUTES": _int("LOGIN_NOTICE_MINUTES", 60),
        # Password-reset requests, counted per client address and per email address asked for.
        "RESET_RATE_LIMIT": _env("RESET_RATE_LIMIT", "5 per minute;20 per hour"),
        # "Resend the confirmation link" on the home page, per signed-in user.
        "VERIFY_RESEND_RATE_LIMIT": _env("VERIFY_RESEND_RATE_LIMIT", "1 per minute;5 per day"),
        "TICKET_RATE_LIMIT": _env("TICKET_RATE_LIMIT", "10 per minute;60 per hour"),
        "REPLY_RATE_LIMIT": _env("REPLY_RATE_LIMIT", "20 per minute;200 per hour"),
        # How often an open ticket page checks for staff replies once the assistant is done (ms).
        "TICKET_IDLE_POLL_MS": _int("TICKET_IDLE_POLL_MS", 10000),
        # Background jobs.
        "AGENT_JOB_TIMEOUT": _int("AGENT_JOB_TIMEOUT", 120),
        # How often the stale-run and stale-mail check runs (one process of the fleet per tick).
        "REAP_EVERY_SECONDS": _int("REAP_EVERY_SECONDS", 60),
        "AGENT_RETRY_INTERVALS": _int_list("AGENT_RETRY_INTERVALS", "5,30,120"),
        "AGENT_MAX_REQUEUES": _int("AGENT_MAX_REQUEUES", 2),
        "AGENT_BACKEND": _env("AGENT_BACKEND", "auto"),  # auto | offline | mistral | openai
        "QUEUE_MODE": _env("QUEUE_MODE", "auto"),  # auto | rq | thread (manual is for tests)
        "AGENT_STALE_AFTER_SECONDS": _int("AGENT_STALE_AFTER_SECONDS", 600),
        "INPROCESS_WORKERS": _int("INPROCESS_WORKERS", 2),
        # Agent backends.
        "MISTRAL_API_KEY": _env("MISTRAL_API_KEY"),
        "MISTRAL_MODEL": _env("MISTRAL_MODEL", "mistral-small-latest"),
        "MISTRAL_BASE_URL": _env("MISTRAL_BASE_URL", "https://api.mistral.ai/v1"),
        "MISTRAL_TIMEOUT": _float("MISTRAL_TIMEOUT", 30.0),
        "MISTRAL_MAX_RETRIES": _int("MISTRAL_MAX_RETRIES", 3),
        "MISTRAL_MAX_STEPS": _int("MISTRAL_MAX_STEPS", 4),
        "MISTRAL_INPUT_COST_PER_MTOK": _decimal("MISTRAL_INPUT_COST_PER_MTOK", "0.10"),
        "MISTRAL_OUTPUT_COST_PER_MTOK": _decimal("MISTRAL_OUTPUT_COST_PER_MTOK", "0.30"),
        "MISTRAL_BACKOFF_SECONDS": _float("MISTRAL_BACKOFF_SECONDS", 0.5),
        "MISTRAL_BACKOFF_MAX_SECONDS": _float("MISTRAL_BACKOFF_MAX_SECONDS", 8.0),
        "MISTRAL_DIRECT_TOOL_REPLY": _bool("MISTRAL_DIRECT_TOOL_REPLY", False),
        # Any OpenAI-compatible chat-completions server (docs/models.md), used with AGENT_BACKEND=openai:
        # OpenAI, or a local Ollama / vLLM / LM Studio / llama.cpp server (no key needed there).
        "OPENAI_BASE_URL": _env("OPENAI_BASE_URL", "https://api.openai.com/v1"),
        "OPENAI_MODEL": _env("OPENAI_MODEL", "gpt-4o-mini"),
        "OPENAI_API_KEY": _env("OPENAI_API_KEY"),
        # Longer than Mistral's: a local model on CPU can take tens of seconds per answer.
        "OPENAI_TIMEOUT": _float("OPENAI_TIMEOUT", 60.0),
        "OPENAI_MAX_RETRIES": _int("OPENAI_MAX_RETRIES", 3),
        "OPENAI_MAX_STEPS": _int("OPENAI_MAX_STEPS", 4),
        # Zero: a local model costs nothing per token; set your provider's prices for OpenAI itself.
        "OPENAI_INPUT_COST_PER_MTOK": _decimal("OPENAI_INPUT_COST_PER_MTOK", "0"),
        "OPENAI_OUTPUT_COST_PER_MTOK": _decimal("OPENAI_OUTPUT_COST_PER_MTOK", "0"),
        "OPENAI_BACKOFF_SECONDS": _float("OPENAI_BACKOFF_SECONDS", 0.5),
        "OPENAI_BACKOFF_MAX_SECONDS": _float("OPENAI_BACKOFF_MAX_SECONDS", 8.0),
        "OPENAI_DIRECT_TOOL_REPLY": _bool("OPENAI_DIRECT_TOOL_REPLY", False),
        "RETRIEVAL_EMBEDDER": _env("RETRIEVAL_EMBEDDER", "auto"),
        "POLICIES_DIR": _env("POLICIES_DIR", str(Path(__file__).resolve().parent.parent / "policies")),
        # The help center's FAQ articles (help/*.md, translations in help/<lang>/).
        "HELP_DIR": _env("HELP_DIR", str(Path(__file__).resolve().parent.parent / "help")),
        # Policy limits (REFUND_WINDOW_DAYS, REFUND_DAYS_CARD as LOW-HIGH business days ...): their
        # defaults are tools.PolicyLimits' own, so a limit's default is changed there alone.
        **_policy_limit_settings(),
        # The seller printed on invoices; TAX_RATE (e.g. 0.20) is the share of tax included in prices.
        "SELLER_NAME": _env("SELLER_NAME", "SupportOps Demo Shop"),
        "SELLER_ADDRESS": _env("SELLER_ADDRESS", "1 Example Street, 10115 Berlin, Germany"),
        "SELLER_VAT_ID": _env("SELLER_VAT_ID"),
        "TAX_RATE": _optional_decimal("TAX_RATE"),
        # Escalation rules and service levels (SLA_HOURS is a policy limit, above). Targets are hours of
        # the team's working time (SLA_BUSINESS_HOURS, e.g. "mon-fri 09:00-17:00"; empty: around the
        # clock); first responses default to SLA_HOURS for every priority.
        "SLA_FIRST_RESPONSE_HOURS": parse_targets(_env("SLA_FIRST_RESPONSE_HOURS", ""), None),
        "SLA_RESOLUTION_HOURS": RESOLUTION_HOURS | parse_targets(_env("SLA_RESOLUTION_HOURS", ""), None),
        "SLA_CALENDAR": BusinessCalendar.parse(
            _env("SLA_BUSINESS_HOURS", ""), _env("SLA_TIMEZONE", "UTC"), _env("SLA_HOLIDAYS", "").split(",")
        ),
        "ESCALATE_SENTIMENT_BELOW": _float("ESCALATE_SENTIMENT_BELOW", EscalationRules.sentiment_below),
        "ESCALATE_CONFIDENCE_BELOW": _float("ESCALATE_CONFIDENCE_BELOW", EscalationRules.confidence_below),
        "ESCALATE_P1_AFTER_TURNS": _int("ESCALATE_P1_AFTER_TURNS", EscalationRules.p1_after_turns),
        # Mail: without MAIL_SERVER, mail is written to the log and instance/mail/.
        "MAIL_SERVER": mail_server,
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": _env("MAIL_USERNAME"),
        "MAIL_PASSWORD": _env("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": _env("MAIL_DEFAULT_SENDER", "SupportOps <support@example.com>"),
        "MAIL_TIMEOUT": _float("MAIL_TIMEOUT", 10.0),
        "MAIL_STAFF_DIGEST_SECONDS": _int("MAIL_STAFF_DIGEST_SECONDS", 300),
        # Seconds between send retries; after the last one the outbox row is marked failed (docs/email.md).
        "MAIL_RETRY_INTERVALS": _int_list("MAIL_RETRY_INTERVALS", "10,60,300,1800"),
        "MAIL_MESSAGE_ID_DOMAIN": _env("MAIL_MESSAGE_ID_DOMAIN"),  # default: the sender's domain
        "MAIL_FEEDBACK_MAX_AGE_DAYS": _int("MAIL_FEEDBACK_MAX_AGE_DAYS", 14),
        "MAIL_STALE_MINUTES": _int("MAIL_STALE_MINUTES", 15),
        "MAIL_SUPPRESS_SEND": mail_server is None,
        # REST API (docs/api.md): requests per API key.
        "API_RATE_LIMIT": _env("API_RATE_LIMIT", "120 per minute;5000 per hour"),
        # Webhooks: seconds to wait for a receiver, and the backoff between attempts before `failed`.
        "WEBHOOK_TIMEOUT": _float("WEBHOOK_TIMEOUT", 10.0),
        "WEBHOOK_RETRY_INTERVALS": _int_list("WEBHOOK_RETRY_INTERVALS", "10,60,300,1800,7200"),
        # A delivery never tried this long after it was written lost its job (the periodic check sends it).
        "WEBHOOK_STALE_MINUTES": _int("WEBHOOK_STALE_MINUTES", 15),
        **_inbound_settings(),
    }


def _inbound_settings() -> dict[str, Any]:
    """Email in (docs/email.md, "Email in"): the reply address and the IMAP mailbox polled for mail."""
    return {
        # support@shop.example: customer mails get Reply-To support+T-XXXX.<signature>@shop.example (the
        # mailbox must accept plus-addressing). Unset: no Reply-To; replies thread by their References.
        "MAIL_REPLY_ADDRESS": _env("MAIL_REPLY_ADDRESS"),
        "INBOUND_IMAP_HOST": _env("INBOUND_IMAP_HOST"),  # unset: no polling
        "INBOUND_IMAP_PORT": _int("INBOUND_IMAP_PORT", 993),
        "INBOUND_IMAP_SSL": _bool("INBOUND_IMAP_SSL", True),  # false: STARTTLS when offered, else plain
        "INBOUND_IMAP_USER": _env("INBOUND_IMAP_USER"),
        "INBOUND_IMAP_PASSWORD": _env("INBOUND_IMAP_PASSWORD"),
        "INBOUND_IMAP_FOLDER": _env("INBOUND_IMAP_FOLDER", "INBOX"),
        # Unset: processed messages are flagged Seen and stay; set: they are moved there.
        "INBOUND_IMAP_DONE_FOLDER": _env("INBOUND_IMAP_DONE_FOLDER"),
        "INBOUND_IMAP_TIMEOUT": _float("INBOUND_IMAP_TIMEOUT", 30.0),
        "INBOUND_BATCH": _int("INBOUND_BATCH", 100),  # messages per fetch
        "INBOUND_POLL_SECONDS": _int("INBOUND_POLL_SECONDS", 60),
        # Unknown senders get the sign-up pointer at most once per address in this many hours.
        "INBOUND_SIGNUP_REPLY_HOURS": _int("INBOUND_SIGNUP_REPLY_HOURS", 24),
        # Languages whose reply headers and sign-offs are recognised when stripping quotes.
        "INBOUND_QUOTE_LANGUAGES": _env("INBOUND_QUOTE_LANGUAGES", "en,de,fr,es,it,nl"),
    }


def check_config(config: Mapping[str, Any]) -> None:
    """Refuse to start outside development without a real secret key."""
    if config.get("TESTING"):
        return
    if config.get("ENV_NAME") != "development" and config.get("SECRET_KEY") in (None, DEV_SECRET_KEY):
        raise RuntimeError("SECRET_KEY must be set outside development (SUPPORTOPS_ENV=development).")
    if config.get("ENV_NAME") != "development" and not config.get("SERVER_NAME_FOR_LINKS"):
        # Links taken from a request's Host header would let anyone aim a password-reset link elsewhere.
        raise RuntimeError("PUBLIC_BASE_URL must be set outside development.")


def _policy_limit_settings() -> dict[str, Any]:
    """Every policy limit from the environment, defaulting to tools.PolicyLimits' values."""
    defaults = PolicyLimits()
    values: dict[str, Any] = {}
    for field, key in LIMIT_KEYS.items():
        default = getattr(defaults, field)
        if isinstance(default, tuple):
            values[key] = _day_range(key, _range_text(default))
        else:  # int, float or Decimal: read as the default's own type
            values[key] = type(default)(_env(key, str(default)))
    for field, keys in LIMIT_RANGES.items():
        ranges = getattr(defaults, field)
        values.update({key: _day_range(key, _range_text(ranges[name])) for name, key in keys.items()})
    return values


def _range_text(days: tuple[int, int]) -> str:
    return f"{days[0]}-{days[1]}"

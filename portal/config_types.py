"""The settings as typed, frozen objects, built once from the app's final config mapping.

portal/config.py reads the environment into a dict of the documented keys (README's table); create_app
applies instance/config.py or the test config over it, then `Settings.from_config` turns that mapping into
these objects and stores them on the app (portal.config.settings() reads them back). Our code reads the
objects, never the keys; a function deep down receives the group it needs (AgentSettings, MailSettings
...). Keys that Flask and its extensions read themselves (SECRET_KEY, SQLALCHEMY_*, MAIL_* for Flask-Mail,
RATELIMIT_* ...) stay in app.config for them. No default is restated here: every key is in the mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from portal.config_agent import AgentSettings, ChatSettings, policy_limits
from portal.config_mail import InboundSettings, MailSettings, WebhookSettings
from tools.sla import BusinessCalendar
from tools.types import PolicyLimits

__all__ = [
    "AgentSettings",
    "AuthSettings",
    "ChatSettings",
    "DeskSettings",
    "InboundSettings",
    "JobSettings",
    "LinkSettings",
    "MailSettings",
    "RateLimits",
    "RedisSettings",
    "SecuritySettings",
    "SellerSettings",
    "Settings",
    "SlaSettings",
    "WebhookSettings",
    "policy_limits",
]


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """Where links in emails point (PUBLIC_BASE_URL; `make run`'s PORT before any request was served)."""

    public_base_url: str | None  # SERVER_NAME_FOR_LINKS
    fallback_base_url: str  # LINK_FALLBACK_BASE_URL

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LinkSettings:
        return cls(config["SERVER_NAME_FOR_LINKS"], config["LINK_FALLBACK_BASE_URL"])


@dataclass(frozen=True, slots=True)
class RedisSettings:
    """REDIS_URL (None: no Redis, jobs run in-process) and its bounded waits in seconds."""

    url: str | None
    connect_timeout: float
    socket_timeout: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RedisSettings:
        return cls(
            config["REDIS_URL"], float(config["REDIS_CONNECT_TIMEOUT"]), float(config["REDIS_SOCKET_TIMEOUT"])
        )


@dataclass(frozen=True, slots=True)
class SecuritySettings:
    """HSTS_MAX_AGE, TRUSTED_PROXIES and METRICS_TOKEN."""

    hsts_max_age: int
    trusted_proxies: int
    metrics_token: str | None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SecuritySettings:
        return cls(int(config["HSTS_MAX_AGE"]), int(config["TRUSTED_PROXIES"]), config["METRICS_TOKEN"])


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """Passwords, their argon2 cost, staff idle time-out and the failed-login notice."""

    password_min_length: int
    hash_time_cost: int
    hash_memory_kib: int
    hash_parallelism: int
    staff_idle_minutes: int
    login_notice_minutes: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AuthSettings:
        return cls(
            password_min_length=int(config["PASSWORD_MIN_LENGTH"]),
            hash_time_cost=int(config["PASSWORD_HASH_TIME_COST"]),
            hash_memory_kib=int(config["PASSWORD_HASH_MEMORY_KIB"]),
            hash_parallelism=int(config["PASSWORD_HASH_PARALLELISM"]),
            staff_idle_minutes=int(config["STAFF_IDLE_MINUTES"]),
            login_notice_minutes=int(config["LOGIN_NOTICE_MINUTES"]),
        )


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Flask-Limiter limit strings ("10 per minute;50 per hour"), one per *_RATE_LIMIT key."""

    login: str
    login_account: str
    login_address: str
    reset: str
    verify_resend: str
    ticket: str
    reply: str
    api: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RateLimits:
        return cls(
            login=config["LOGIN_RATE_LIMIT"],
            login_account=config["LOGIN_ACCOUNT_RATE_LIMIT"],
            login_address=config["LOGIN_ADDRESS_RATE_LIMIT"],
            reset=config["RESET_RATE_LIMIT"],
            verify_resend=config["VERIFY_RESEND_RATE_LIMIT"],
            ticket=config["TICKET_RATE_LIMIT"],
            reply=config["REPLY_RATE_LIMIT"],
            api=config["API_RATE_LIMIT"],
        )


@dataclass(frozen=True, slots=True)
class DeskSettings:
    """The staff desk's refresh, auto-assignment cap and metrics, and the customer ticket page's poll."""

    refresh_seconds: float  # DESK_REFRESH_SECONDS
    max_open_per_person: int  # DESK_MAX_OPEN_PER_PERSON (a team may set its own)
    assumed_resolved_days: int  # METRICS_ASSUMED_RESOLVED_DAYS
    ticket_idle_poll_ms: int  # TICKET_IDLE_POLL_MS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DeskSettings:
        return cls(
            refresh_seconds=float(config["DESK_REFRESH_SECONDS"]),
            max_open_per_person=int(config["DESK_MAX_OPEN_PER_PERSON"]),
            assumed_resolved_days=int(config["METRICS_ASSUMED_RESOLVED_DAYS"]),
            ticket_idle_poll_ms=int(config["TICKET_IDLE_POLL_MS"]),
        )


@dataclass(frozen=True, slots=True)
class JobSettings:
    """How background jobs run: QUEUE_MODE, the in-process pool, the stale-run check's period."""

    queue_mode: str  # auto | rq | thread | manual
    inprocess_workers: int
    reap_every_seconds: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> JobSettings:
        return cls(config["QUEUE_MODE"], int(config["INPROCESS_WORKERS"]), int(config["REAP_EVERY_SECONDS"]))


@dataclass(frozen=True, slots=True)
class SellerSettings:
    """The seller printed on invoices; tax_rate (e.g. 0.20) is the share of tax included in prices."""

    name: str
    address: str
    vat_id: str | None
    tax_rate: Decimal | None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SellerSettings:
        return cls(
            config["SELLER_NAME"], config["SELLER_ADDRESS"], config["SELLER_VAT_ID"], config["TAX_RATE"]
        )


@dataclass(frozen=True, slots=True)
class SlaSettings:
    """Service-level targets (hours of working time per priority) and the team's business calendar.

    First responses without a target of their own take the policy's SLA_HOURS (PolicyLimits.sla_hours)."""

    first_response_hours: Mapping[str, float]
    resolution_hours: Mapping[str, float]  # every priority (config merges overrides over the defaults)
    calendar: BusinessCalendar

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SlaSettings:
        return cls(
            MappingProxyType(dict(config["SLA_FIRST_RESPONSE_HOURS"])),
            MappingProxyType(dict(config["SLA_RESOLUTION_HOURS"])),
            config["SLA_CALENDAR"],
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting of SupportOps, grouped by concern (see the module docstring)."""

    env_name: str  # ENV_NAME (SUPPORTOPS_ENV): development | production | ...
    help_dir: str  # HELP_DIR: the help center's articles
    links: LinkSettings
    redis: RedisSettings
    security: SecuritySettings
    auth: AuthSettings
    rate_limits: RateLimits
    desk: DeskSettings
    jobs: JobSettings
    agent: AgentSettings
    mail: MailSettings
    inbound: InboundSettings
    webhooks: WebhookSettings
    seller: SellerSettings
    sla: SlaSettings

    @property
    def policy(self) -> PolicyLimits:
        """The policy limits the tools enforce and the pages quote (the agent's own, one object)."""
        return self.agent.limits

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """The settings from the app's final config mapping (every documented key present)."""
        return cls(
            env_name=config["ENV_NAME"],
            help_dir=str(config["HELP_DIR"]),
            links=LinkSettings.from_config(config),
            redis=RedisSettings.from_config(config),
            security=SecuritySettings.from_config(config),
            auth=AuthSettings.from_config(config),
            rate_limits=RateLimits.from_config(config),
            desk=DeskSettings.from_config(config),
            jobs=JobSettings.from_config(config),
            agent=AgentSettings.from_config(config),
            mail=MailSettings.from_config(config),
            inbound=InboundSettings.from_config(config),
            webhooks=WebhookSettings.from_config(config),
            seller=SellerSettings.from_config(config),
            sla=SlaSettings.from_config(config),
        )

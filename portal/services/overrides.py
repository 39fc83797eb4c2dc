"""An admin's written override of a policy limit for one staff action.

Only admins may override, only the named limits, and only with a reason: the reason goes into the action
log with the action and onto the ticket as an internal note. The tools themselves stay the same: an
override widens the limits they are given (or, for the approval threshold, marks the refund approved).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from portal.extensions import db
from portal.models import ActorKind, User
from portal.services.audit import Actor
from tools import PolicyLimits

LIMITS = {
    "refund_limit": "refund limit",
    "approval_threshold": "approval threshold",
    "window": "refund / replacement window",
}
REASON_MIN, REASON_MAX = 10, 500
_UNLIMITED_DAYS = 365 * 100
_UNLIMITED_COUNT = 1_000_000


class OverrideRefused(PermissionError):
    """Somebody other than an admin asked to override a limit."""


@dataclass(frozen=True)
class Override:
    """Which limits an admin lifts for one action, and why (in their own words)."""

    limits: frozenset[str]
    reason: str

    def __post_init__(self) -> None:
        unknown = set(self.limits) - set(LIMITS)
        if unknown or not self.limits:
            raise ValueError(f"unknown or no limits to override: {sorted(unknown)}")
        if not REASON_MIN <= len(self.reason.strip()) <= REASON_MAX:
            raise ValueError(f"an override needs a reason of {REASON_MIN} to {REASON_MAX} characters")

    def words(self) -> str:
        """'refund limit and approval threshold' (for the log and the note)."""
        return " and ".join(LIMITS[name] for name in sorted(self.limits))

    def widen(self, limits: PolicyLimits) -> PolicyLimits:
        """The limits with the overridden ones lifted (the threshold is lifted by the caller)."""
        if "refund_limit" in self.limits:
            limits = replace(limits, refunds_per_period=_UNLIMITED_COUNT)
        if "window" in self.limits:
            limits = replace(
                limits, refund_window_days=_UNLIMITED_DAYS, replacement_window_days=_UNLIMITED_DAYS
            )
        return limits

    def as_log(self) -> dict[str, object]:
        return {"override": sorted(self.limits), "override_reason": self.reason.strip()}


def check_allowed(override: Override | None, actor: Actor) -> None:
    """Refuse an override unless the actor is an active admin (checked on the row, not the form)."""
    if override is None:
        return
    user = db.session.get(User, actor.id) if actor.kind == ActorKind.STAFF.value and actor.id else None
    if user is None or not user.active or not user.is_admin:
        raise OverrideRefused("only an admin may override a policy limit")

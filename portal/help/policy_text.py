"""The policy documents as customers read them: `policies/*.md` rendered with the configured limits.

The documents are Jinja templates (`{{ refund_window_days }}`, `{{ refund_time.card }}` ...), so every
number they state comes from the same PolicyLimits the tools enforce. This is the one place that
renders them; the retrieval index, the admin policy pages and the agent's quotes all read through it.
No Flask here: callers pass the limits of the settings (portal.config_types, `Settings.policy`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined, Template

from tools import PolicyLimits, business_days

# StrictUndefined: a misspelt name in a document fails loudly instead of rendering as nothing.
# No autoescape: the output is markdown, escaped later by the markdown renderer.
_ENV = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)  # noqa: S701


def policy_values(limits: PolicyLimits) -> dict[str, Any]:
    """The names a policy document may use, with the values of `limits`."""
    return {
        "refund_window_days": limits.refund_window_days,
        "refunds_per_period": limits.refunds_per_period,
        "refund_period_days": limits.refund_period_days,
        "refund_over_limit": ordinal(limits.refunds_per_period + 1),  # "third" when the limit is 2
        "approval_threshold": str(limits.approval_threshold),
        "replacement_window_days": limits.replacement_window_days,
        "replacements_per_order": limits.replacements_per_order,
        "sla_hours": f"{limits.sla_hours:g}",
        # "5 to 10 business days" per payment method ("instant" for no delay).
        "refund_time": {method: business_days(*days) for method, days in limits.refund_days.items()},
        "shipping_time": {option: business_days(*days) for option, days in limits.shipping_days.items()},
        "ship_within": business_days(*limits.ship_within_days),
        "tracking_stale": business_days(limits.tracking_stale_days, limits.tracking_stale_days),
    }


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def ordinal(number: int) -> str:
    """'third' for 3; '11th' past ten."""
    if 1 <= number <= len(_ORDINALS):
        return _ORDINALS[number - 1]
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def render_policy(markdown: str, limits: PolicyLimits) -> str:
    """One policy document's template text rendered with `limits`."""
    return _template(markdown).render(policy_values(limits))


@lru_cache(maxsize=64)
def _template(markdown: str) -> Template:
    # The index checks the rendered hash on every load_index call: compile each document text once.
    return _ENV.from_string(markdown)


def policy_paths(policies_dir: str | Path) -> list[Path]:
    """The policy files, sorted by name so every process sees the same order."""
    return sorted(Path(policies_dir).glob("*.md"))


def policy_source(path: str | Path, overrides: Mapping[str, str] | None = None) -> str:
    """One policy's template text: the admin-edited revision in `overrides` (stem → text), else the file."""
    path = Path(path)
    if overrides and path.stem in overrides:
        return overrides[path.stem]
    return path.read_text(encoding="utf-8")


def read_policy(path: str | Path, limits: PolicyLimits, overrides: Mapping[str, str] | None = None) -> str:
    """The rendered text of one policy (its latest revision when `overrides` holds one, else the file)."""
    return render_policy(policy_source(path, overrides), limits)


def policy_documents(
    policies_dir: str | Path, limits: PolicyLimits, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Every policy of a folder rendered with `limits`: file stem → markdown, in file-name order."""
    return {path.stem: read_policy(path, limits, overrides) for path in policy_paths(policies_dir)}

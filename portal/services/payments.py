"""Where refunded money goes: a PaymentProvider, with the built-in ledger as the default.

The built-in `LedgerProvider` records every payout as a `LedgerEntry` row in the same transaction as the
refund or cancellation, so the money movement and its cause commit (or roll back) together. Card and
PayPal payouts are recorded for the finance team to settle; a gift card payout is a balance credit.

Plugging in a real provider (Stripe, PayPal, Adyen ...): implement `PaymentProvider` and install it with
`set_provider(app, provider)` in the app factory. Never call the provider's HTTP API inside this
transaction (it holds the customer lock): keep writing the ledger row here, as an outbox, and let a job
send each entry to the provider with `entry.idempotency_key` as the provider's idempotency key.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from flask import Flask, current_app
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import LedgerEntry

logger = logging.getLogger(__name__)

EXTENSION_KEY = "supportops.payments"


@dataclass(frozen=True)
class Payout:
    """Money to send back to a customer."""

    customer_id: int
    order_id: int | None
    kind: str  # refund | cancellation
    method: str  # card | paypal | gift_card
    amount: Decimal
    currency: str
    idempotency_key: str


class PaymentProvider(Protocol):
    def refund(self, payout: Payout) -> str:
        """Send the money back to the original payment method; return the payment reference.

        Must be idempotent on payout.idempotency_key: a second call returns the first reference.
        """


class LedgerProvider:
    """The built-in provider: one LedgerEntry row per payout, added to the current session."""

    def refund(self, payout: Payout) -> str:
        existing = db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.idempotency_key == payout.idempotency_key)
        ).first()
        if existing is not None:
            return existing.reference
        entry = LedgerEntry(
            reference=f"LE-{secrets.token_hex(8).upper()}",
            idempotency_key=payout.idempotency_key,
            customer_id=payout.customer_id,
            order_id=payout.order_id,
            kind=payout.kind,
            method=payout.method,
            amount=payout.amount,
            currency=payout.currency,
        )
        db.session.add(entry)
        logger.info(
            "ledger %s: %s %s %s to %s",
            entry.reference,
            payout.kind,
            payout.amount,
            payout.currency,
            payout.method,
        )
        return entry.reference


def set_provider(app: Flask, provider: PaymentProvider) -> None:
    """Install a payment provider for this app (the ledger is used when none is set)."""
    app.extensions[EXTENSION_KEY] = provider


def get_provider() -> PaymentProvider:
    """The app's payment provider."""
    return current_app.extensions.get(EXTENSION_KEY) or LedgerProvider()


def gift_card_balance(customer_id: int) -> Decimal:
    """Gift card credit the ledger gave back to the customer."""
    query = select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.customer_id == customer_id, LedgerEntry.method == "gift_card"
    )
    return Decimal(db.session.scalar(query)).quantize(Decimal("0.01"))

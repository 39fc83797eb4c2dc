from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import LedgerEntry
from portal.services import payments
from portal.services.payments import LedgerProvider, Payout


@pytest.mark.parametrize("method", ["card", "paypal", "gift_card"])
def test_refunds_go_to_the_original_method(shop, method):
    customer = shop.customer()
    number = shop.order(customer, total="19.99", payment=method)
    result = shop.run("refund", shop.ticket(customer), customer, order_number=number)
    entry = db.session.scalars(select(LedgerEntry)).one()
    assert (entry.method, entry.amount, entry.currency, entry.customer_id) == (
        method,
        Decimal("19.99"),
        "USD",
        customer,
    )
    expected = Decimal("19.99") if method == "gift_card" else Decimal("0.00")
    assert payments.gift_card_balance(customer) == expected
    assert result.message.endswith("has been issued.")


def test_the_ledger_is_idempotent_on_its_key(shop):
    customer = shop.customer()
    payout = Payout(customer, None, "refund", "card", Decimal("5.00"), "USD", "payout:test")
    first = LedgerProvider().refund(payout)
    db.session.commit()
    assert LedgerProvider().refund(payout) == first
    db.session.commit()
    assert len(db.session.scalars(select(LedgerEntry)).all()) == 1


def test_a_custom_provider_plugs_in(shop):
    seen = []

    class Recorder:
        def refund(self, payout):
            seen.append(payout)
            return "EXT-1"

    payments.set_provider(shop.app, Recorder())
    customer = shop.customer()
    number = shop.order(customer, status="pending", total="12.00")
    shop.run("cancel", shop.ticket(customer), customer, order_number=number)
    assert [(p.kind, p.amount) for p in seen] == [("cancellation", Decimal("12.00"))]
    assert db.session.scalars(select(LedgerEntry)).all() == []

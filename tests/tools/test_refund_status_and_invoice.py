"""The read-only refund_status and invoice tools: what they report, and that they reveal nothing else."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tools import Decision, OrderSnapshot, PolicyLimits, RefundSnapshot, Refusal, invoice, refund_status

NOW = datetime(2026, 5, 10, 12, tzinfo=UTC)


def order(status="delivered", customer_id=1, method="card"):
    return OrderSnapshot(
        number="A1001", customer_id=customer_id, status=status, total=Decimal("54.00"), payment_method=method
    )


def refund(status="issued", amount="30.00", method="card", items=("Desk Lamp",)):
    return RefundSnapshot(
        amount=Decimal(amount),
        currency="USD",
        method=method,
        status=status,
        created_at=datetime(2026, 5, 6, 9, tzinfo=UTC),
        issued_at=datetime(2026, 5, 6, 9, tzinfo=UTC) if status == "issued" else None,
        items=items,
    )


def status_of(snapshot, refunds=(), limits=None):
    return refund_status(
        snapshot,
        customer_id=1,
        order_number="A1001",
        refunds=refunds,
        limits=limits or PolicyLimits(),
        now=NOW,
    )


def test_an_issued_refund_says_when_how_much_where_and_how_long():
    result = status_of(order(), [refund()])
    assert isinstance(result, Decision) and result.action == "refund_status" and result.outcome == "done"
    assert "30.00 USD" in result.message and "(Desk Lamp)" in result.message
    assert "6 May 2026" in result.message and "your card" in result.message
    assert "5 to 10 business days" in result.message
    assert result.effects == () and result.amount == Decimal("30.00")


def test_the_timing_follows_the_payment_method_and_the_configured_days():
    paypal = status_of(order(method="paypal"), [refund(method="paypal")])
    assert "3 to 5 business days" in paypal.message
    limits = PolicyLimits(refund_days={"card": (2, 4), "paypal": (1, 2), "gift_card": (0, 0)})
    assert "2 to 4 business days" in status_of(order(), [refund()], limits).message
    gift = status_of(order(method="gift_card"), [refund(method="gift_card")])
    assert "straight away" in gift.message


def test_a_held_refund_waits_for_staff_and_a_rejected_one_sent_nothing():
    held = status_of(order(), [refund("held", "620.00", items=())])
    assert "waiting for a member of our team" in held.message and held.details["latest_status"] == "held"
    rejected = status_of(order(), [refund("rejected")])
    assert "not approved" in rejected.message


def test_no_refund_yet_is_said_plainly():
    result = status_of(order(), [])
    assert result.message == "There is no refund on order A1001." and result.details["refunds"] == 0


@pytest.mark.parametrize("snapshot", [None, order(customer_id=2)])
def test_refund_status_of_an_unknown_or_foreign_order_is_not_found(snapshot):
    result = status_of(snapshot, [refund()])
    assert isinstance(result, Refusal) and result.reason_code == "order_not_found"
    assert "30.00" not in result.message


def invoice_of(snapshot):
    return invoice(snapshot, customer_id=1, order_number="A1001", limits=PolicyLimits(), now=NOW)


@pytest.mark.parametrize("status", ["pending", "shipped", "delivered", "refunded"])
def test_a_paid_order_has_an_invoice_page(status):
    result = invoice_of(order(status))
    assert isinstance(result, Decision) and result.details["path"] == "/orders/A1001/invoice"
    assert "/orders/A1001/invoice" in result.message and "54.00 USD" in result.message
    assert result.effects == ()


def test_a_cancelled_order_has_no_invoice():
    result = invoice_of(order("cancelled"))
    assert isinstance(result, Refusal) and result.reason_code == "not_invoiced"


@pytest.mark.parametrize("snapshot", [None, order(customer_id=2)])
def test_invoice_of_an_unknown_or_foreign_order_is_not_found(snapshot):
    result = invoice_of(snapshot)
    assert isinstance(result, Refusal) and result.reason_code == "order_not_found"


def test_a_cancellation_payout_is_reported_as_money_sent_back():
    payout = RefundSnapshot(
        amount=Decimal("54.00"),
        currency="USD",
        method="paypal",
        status="issued",
        created_at=datetime(2026, 5, 8, 9, tzinfo=UTC),
        issued_at=datetime(2026, 5, 8, 9, tzinfo=UTC),
        kind="cancellation",
    )
    result = status_of(order("cancelled", method="paypal"), [payout])
    assert "The 54.00 USD from cancelling order A1001 was issued on 8 May 2026" in result.message
    assert "your PayPal account" in result.message and "3 to 5 business days" in result.message

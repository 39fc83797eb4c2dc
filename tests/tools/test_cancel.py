from decimal import Decimal

import pytest

from tools import cancel


def test_pending_order_is_cancelled_for_the_full_amount(call, make_order):
    result = call(cancel, make_order(number="Z200", status="pending", total="60.00"))
    assert (result.outcome, result.amount, result.new_order_status) == ("done", Decimal("60.00"), "cancelled")
    assert result.effects == ("cancellation",)
    assert result.policy == "cancellations"
    assert result.message == (
        "Order Z200 has been cancelled. The full amount of 60.00 USD is going back to your card."
    )


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("shipped", "already_shipped"),
        ("delivered", "already_delivered"),
        ("cancelled", "order_cancelled"),
        ("refunded", "already_refunded"),
    ],
)
def test_only_pending_orders_can_be_cancelled(call, make_order, status, code):
    result = call(cancel, make_order(status=status))
    assert (result.outcome, result.reason_code) == ("denied", code)


def test_shipped_refusal_points_to_the_refund_window(call, make_order):
    result = call(cancel, make_order(number="Z201", status="shipped", total="60.00"))
    assert result.message == (
        "Order Z201 has already shipped, so it can no longer be cancelled; "
        "once it arrives you can ask for a refund within 30 days of delivery."
    )


def test_cancellation_ignores_the_refund_limit_and_threshold(call, make_order):
    # cancel() takes no refund history at all: cancellations never count toward the refund limit.
    result = call(cancel, make_order(status="pending", total="2500.00"))
    assert (result.outcome, result.amount) == ("done", Decimal("2500.00"))


@pytest.mark.parametrize("foreign", [False, True])
def test_foreign_order_is_not_found_and_reveals_nothing(call, make_order, foreign):
    order = make_order(number="Z999", status="pending", total="310.00", foreign=True) if foreign else None
    result = call(cancel, order, order_number="Z999")
    assert result.reason_code == "order_not_found"
    assert "310" not in result.message and "pending" not in result.message
    assert result.message == call(cancel, None, order_number="Z999").message

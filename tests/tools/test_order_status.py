from datetime import UTC, datetime

import pytest

from tools import order_status

SHIPPED_AT = datetime(2025, 3, 5, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "fields", "text"),
    [
        ("pending", {}, "Order A1001 is being prepared and hasn't shipped yet."),
        (
            "shipped",
            {"shipped_at": SHIPPED_AT, "carrier": "UPS", "tracking_number": "1Z999"},
            "Order A1001 has shipped on 5 March 2025 with UPS; the tracking number is 1Z999.",
        ),
        ("delivered", {}, "Order A1001 was delivered on 28 March 2025."),
        ("cancelled", {}, "Order A1001 was cancelled and 42.00 USD went back to your card."),
    ],
)
def test_status_message(call, make_order, status, fields, text):
    result = call(order_status, make_order(status=status, **fields))
    assert (result.outcome, result.action, result.policy) == ("done", "order_status", "shipping")
    assert text in result.message
    assert result.details["status"] == status
    assert result.effects == ()


@pytest.mark.parametrize("foreign", [False, True])
def test_foreign_order_status_is_not_found(call, make_order, foreign):
    order = make_order(number="Z999", status="shipped", carrier="UPS", tracking_number="1Z1", foreign=True)
    result = call(order_status, order if foreign else None, order_number="Z999")
    assert result.reason_code == "order_not_found"
    assert "UPS" not in result.message and "1Z1" not in result.message and "shipped" not in result.message

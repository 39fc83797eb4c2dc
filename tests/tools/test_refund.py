from datetime import timedelta
from decimal import Decimal

import pytest

from tests.tools.conftest import NOW
from tools import Decision, PolicyLimits, Refusal, refund


def result_code(result):
    return result.outcome if isinstance(result, Decision) else result.reason_code


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (0, "done"),
        (1, "done"),
        (29, "done"),
        (30, "done"),
        (31, "refund_window_expired"),
        (90, "refund_window_expired"),
    ],
)
def test_refund_window_boundary(call, make_order, days, expected):
    assert result_code(call(refund, make_order(delivered_days_ago=days))) == expected


def test_window_counts_calendar_days_not_hours(call, make_order, now):
    # Delivered late on day -30, asked just after midnight: still day 30, still allowed.
    order = make_order(delivered_at=now.replace(hour=23) - timedelta(days=30))
    assert call(refund, order, now=now.replace(hour=0, minute=1)).outcome == "done"


def test_window_refusal_states_the_numbers(call, make_order):
    result = call(refund, make_order(delivered_days_ago=31))
    assert result.message == (
        "Order A1001 was delivered 31 days ago, which is outside our 30-day refund window, "
        "so I can't refund it."
    )


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("pending", "not_shipped"),
        ("shipped", "not_delivered"),
        ("cancelled", "order_cancelled"),
        ("refunded", "already_refunded"),
    ],
)
def test_refund_refused_unless_delivered(call, make_order, status, code):
    result = call(refund, make_order(status=status))
    assert isinstance(result, Refusal)
    assert (result.reason_code, result.outcome, result.policy) == (code, "denied", "refunds")


def test_delivered_without_a_delivery_date_is_not_refundable(call, make_order):
    assert call(refund, make_order(delivered_at=None)).reason_code == "not_delivered"


def test_full_refund_is_the_order_total_to_the_original_method(call, make_order):
    result = call(refund, make_order(total="42.00", payment_method="paypal"))
    assert (result.outcome, result.amount, result.currency) == ("done", Decimal("42.00"), "USD")
    assert result.new_order_status == "refunded"
    assert result.effects == ("refund",)
    assert (
        result.message == "Your refund of 42.00 USD for order A1001 to your PayPal account has been issued."
    )


@pytest.mark.parametrize(
    ("method", "words"), [("card", "your card"), ("gift_card", "your gift card balance")]
)
def test_refund_message_names_the_method(call, make_order, method, words):
    assert words in call(refund, make_order(payment_method=method)).message


ITEMS = [("Blue mug", 2, "12.50"), ("Teapot", 1, "30.00"), ("Saucer", 1, "5.00")]


@pytest.mark.parametrize(
    ("names", "amount"),
    [
        (["Blue mug"], "25.00"),
        (["teapot"], "30.00"),
        (["mug", "Saucer"], "30.00"),
        (["Teapot", "teapot"], "30.00"),
        (["Blue mug", "Teapot", "Saucer"], "60.00"),
    ],
)
def test_partial_refund_by_items(call, make_order, names, amount):
    result = call(refund, make_order(total="60.00", items=ITEMS), item_names=names)
    assert (result.outcome, result.amount) == ("done", Decimal(amount))
    assert result.new_order_status == ("refunded" if amount == "60.00" else None)


def test_unknown_item_is_refused_and_lists_the_order_items(call, make_order):
    result = call(refund, make_order(total="60.00", items=ITEMS), item_names=["Kettle"])
    assert result.reason_code == "item_not_found"
    assert "Blue mug, Teapot, Saucer" in result.message


def test_full_refund_after_a_partial_refund_returns_only_the_rest(call, make_order):
    result = call(refund, make_order(total="60.00", items=ITEMS, refunded_total=Decimal("25.00")))
    assert (result.amount, result.new_order_status) == (Decimal("35.00"), "refunded")


def test_items_exceeding_what_is_left_are_refused(call, make_order):
    order = make_order(total="60.00", items=ITEMS, refunded_total=Decimal("40.00"))
    result = call(refund, order, item_names=["Teapot"])
    assert result.reason_code == "exceeds_remaining"
    assert "30.00 USD" in result.message and "20.00 USD" in result.message


def test_items_equal_to_what_is_left_are_refunded(call, make_order):
    order = make_order(total="60.00", items=ITEMS, refunded_total=Decimal("30.00"))
    result = call(refund, order, item_names=["Teapot"])
    assert (result.amount, result.new_order_status) == (Decimal("30.00"), "refunded")


def test_fully_refunded_but_still_delivered_is_refused(call, make_order):
    result = call(refund, make_order(total="60.00", refunded_total=Decimal("60.00")))
    assert result.reason_code == "already_refunded"


@pytest.mark.parametrize(
    ("ages", "expected"),
    [
        ((), "done"),
        ((5,), "done"),
        ((5, 10), "refund_limit_reached"),
        ((0, 29), "refund_limit_reached"),
        ((5, 30), "done"),  # exactly 30 days ago has just left the rolling window
        ((31, 45, 60), "done"),
    ],
)
def test_two_refunds_per_rolling_30_days(call, make_order, make_history, ages, expected):
    result = call(refund, make_order(), history=make_history(*ages))
    assert result_code(result) == expected
    if expected == "refund_limit_reached":
        assert result.escalate is True
        assert "2 refunds in the last 30 days" in result.message
        assert "within 4 hours" in result.message


@pytest.mark.parametrize(
    ("total", "expected"), [("499.99", "done"), ("500.00", "done"), ("500.01", "held"), ("1200.00", "held")]
)
def test_approval_threshold_is_strictly_above_500(call, make_order, total, expected):
    result = call(refund, make_order(total=total))
    assert (result.outcome, result.amount) == (expected, Decimal(total))
    if expected == "held":
        assert result.escalate is True
        assert result.new_order_status is None
        assert "500.00 USD approval threshold" in result.reasons[0]
        assert f"Your refund of {total} USD for order A1001 is above 500.00 USD" in result.message
        assert "nothing has been refunded yet" in result.message


def test_threshold_applies_to_the_refunded_amount_not_the_order_total(call, make_order):
    order = make_order(total="900.00", items=[("TV", 1, "800.00"), ("Cable", 2, "50.00")])
    assert call(refund, order, item_names=["Cable"]).outcome == "done"
    assert call(refund, order, item_names=["TV"]).outcome == "held"


def test_the_limit_is_checked_before_holding(call, make_order, make_history):
    result = call(refund, make_order(total="1200.00"), history=make_history(1, 2))
    assert result.reason_code == "refund_limit_reached"


def test_staff_approval_skips_only_the_threshold(call, make_order, make_history):
    order = make_order(total="1200.00")
    assert call(refund, order, staff_approved=True).outcome == "done"
    assert (
        call(refund, order, history=make_history(1, 2), staff_approved=True).reason_code
        == "refund_limit_reached"
    )
    late = make_order(total="1200.00", delivered_days_ago=31)
    assert call(refund, late, staff_approved=True).reason_code == "refund_window_expired"


def test_configured_limits_are_used(call, make_order, make_history):
    limits = PolicyLimits(
        refund_window_days=14,
        refunds_per_period=1,
        refund_period_days=7,
        approval_threshold=Decimal("100.00"),
    )
    assert (
        call(refund, make_order(delivered_days_ago=15), limits=limits).reason_code == "refund_window_expired"
    )
    assert (
        call(refund, make_order(), history=make_history(3), limits=limits).reason_code
        == "refund_limit_reached"
    )
    assert call(refund, make_order(), history=make_history(8), limits=limits).outcome == "done"
    assert call(refund, make_order(total="100.01"), limits=limits).outcome == "held"


@pytest.mark.parametrize("foreign", [False, True])
def test_unknown_and_foreign_orders_get_the_same_answer(call, make_order, foreign):
    order = make_order(number="Z999", total="310.00", foreign=True) if foreign else None
    result = call(refund, order, order_number="Z999")
    assert result.reason_code == "order_not_found"
    assert result.message == call(refund, None, order_number="Z999").message
    for secret in ("310", "delivered", "Item", "USD"):
        assert secret not in result.message


def test_limit_at_counts_only_the_places_taken_before_it(call, make_order, make_history):
    # Approving a refund held 10 days ago: two refunds made after the hold do not block it, ...
    order = make_order(total="1200.00")
    held_at = NOW - timedelta(days=10)
    after = make_history(2, 5)
    assert call(refund, order, history=after, staff_approved=True, limit_at=held_at).outcome == "done"
    # ... two made in the 30 days before it do, and without limit_at the later ones count too.
    before = make_history(12, 20)
    assert (
        call(refund, order, history=before, staff_approved=True, limit_at=held_at).reason_code
        == "refund_limit_reached"
    )
    assert call(refund, order, history=after, staff_approved=True).reason_code == "refund_limit_reached"

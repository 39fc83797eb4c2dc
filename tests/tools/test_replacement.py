import pytest

from tools import Decision, PolicyLimits, replacement


def code(result):
    return result.outcome if isinstance(result, Decision) else result.reason_code


@pytest.mark.parametrize("problem", ["damaged", "defective", "wrong_item"])
def test_covered_problems_get_a_replacement(call, make_order, problem):
    result = call(replacement, make_order(number="Z300"), problem=problem)
    assert (result.outcome, result.effects, result.policy) == ("done", ("replacement",), "replacements")
    assert result.details["problem"] == problem
    assert result.amount is None and result.new_order_status is None
    assert "free replacement for order Z300" in result.message


@pytest.mark.parametrize("problem", ["changed_mind", "too_expensive", ""])
def test_other_problems_are_refused(call, make_order, problem):
    assert call(replacement, make_order(), problem=problem).reason_code == "problem_not_covered"


@pytest.mark.parametrize(
    ("days", "expected"), [(0, "done"), (30, "done"), (31, "replacement_window_expired")]
)
def test_replacement_window(call, make_order, days, expected):
    assert code(call(replacement, make_order(delivered_days_ago=days), problem="damaged")) == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pending", "not_delivered"),
        ("shipped", "not_delivered"),
        ("cancelled", "order_cancelled"),
        ("refunded", "already_refunded"),
        ("delivered", "done"),
    ],
)
def test_replacement_by_order_state(call, make_order, status, expected):
    assert code(call(replacement, make_order(status=status), problem="defective")) == expected


@pytest.mark.parametrize(
    ("count", "expected"), [(0, "done"), (1, "replacement_limit_reached"), (2, "replacement_limit_reached")]
)
def test_at_most_one_replacement_per_order(call, make_order, count, expected):
    result = call(replacement, make_order(replacements_count=count), problem="damaged")
    assert code(result) == expected
    if expected != "done":
        assert result.escalate is True


def test_configured_replacement_limits(call, make_order):
    limits = PolicyLimits(replacements_per_order=2, replacement_window_days=10)
    assert (
        call(replacement, make_order(replacements_count=1), problem="damaged", limits=limits).outcome
        == "done"
    )
    late = make_order(delivered_days_ago=11)
    assert (
        call(replacement, late, problem="damaged", limits=limits).reason_code == "replacement_window_expired"
    )


def test_named_items_are_matched(call, make_order):
    order = make_order(total="50.00", items=[("Shirt size L", 1, "35.00"), ("Socks", 1, "15.00")])
    result = call(replacement, order, problem="wrong_item", item_names=["shirt"])
    assert result.details["items"] == ["Shirt size L"]
    assert call(replacement, order, problem="wrong_item", item_names=["Hat"]).reason_code == "item_not_found"


@pytest.mark.parametrize("foreign", [False, True])
def test_foreign_order_is_not_found(call, make_order, foreign):
    order = make_order(number="Z999", total="310.00", foreign=True) if foreign else None
    result = call(replacement, order, order_number="Z999", problem="damaged")
    assert result.reason_code == "order_not_found"
    assert result.message == call(replacement, None, order_number="Z999", problem="damaged").message

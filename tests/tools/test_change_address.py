"""The change_address tool: pending own orders only, a usable address, nothing revealed otherwise."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tools import Decision, OrderSnapshot, PolicyLimits, Refusal, change_address

NOW = datetime(2026, 5, 10, 12, tzinfo=UTC)


def order(status="pending", customer_id=1):
    return OrderSnapshot(number="A1001", customer_id=customer_id, status=status, total=Decimal("42.00"))


def call(snapshot, address="8 Harbour Road, Bristol BS1 5TT"):
    return change_address(
        snapshot, customer_id=1, order_number="A1001", address=address, limits=PolicyLimits(), now=NOW
    )


def test_pending_order_gets_the_new_address_with_spaces_tidied():
    result = call(order(), address="  8 Harbour   Road,\nBristol BS1 5TT ")
    assert isinstance(result, Decision) and result.outcome == "done"
    assert result.details["address"] == "8 Harbour Road, Bristol BS1 5TT"
    assert "8 Harbour Road, Bristol BS1 5TT" in result.message and result.effects == ("address_change",)


@pytest.mark.parametrize("status", ["shipped", "delivered"])
def test_an_order_on_its_way_keeps_its_address(status):
    result = call(order(status))
    assert isinstance(result, Refusal) and result.reason_code == "already_shipped"
    assert "no longer be changed" in result.message


@pytest.mark.parametrize("snapshot", [None, order(customer_id=2)])
def test_unknown_or_foreign_order_is_not_found(snapshot):
    result = call(snapshot)
    assert isinstance(result, Refusal) and result.reason_code == "order_not_found"


@pytest.mark.parametrize("address", ["", "Leeds", "x" * 201])
def test_an_unusable_address_is_refused(address):
    result = call(order(), address=address)
    assert isinstance(result, Refusal) and result.reason_code == "address_incomplete"

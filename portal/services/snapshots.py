"""Database rows → the plain snapshots the policy tools work on."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Cancellation, Order, Refund, RefundStatus, Replacement
from tools import CustomerHistory, ItemSnapshot, OrderSnapshot, PolicyLimits, RefundSnapshot


def normalize_order_number(number: str | None) -> str:
    """'#a1001 ' → 'A1001' (customers and models write order numbers loosely)."""
    return (number or "").strip().lstrip("#").strip().upper()


def find_own_order(customer_id: int, number: str | None, *, lock: bool = False) -> Order | None:
    """The order with this number among the customer's own orders only; None otherwise."""
    wanted = normalize_order_number(number)
    if not wanted:
        return None
    query = select(Order).where(Order.customer_id == customer_id, func.upper(Order.number) == wanted)
    if lock:
        query = query.with_for_update()
    return db.session.scalars(query.execution_options(populate_existing=True)).first()


def refunded_total(order_id: int) -> Decimal:
    """Money already refunded on the order (issued refunds; held ones moved no money)."""
    query = select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.order_id == order_id, Refund.status == RefundStatus.ISSUED.value
    )
    return Decimal(db.session.scalar(query)).quantize(Decimal("0.01"))


def held_total(order_id: int) -> Decimal:
    """Money reserved by refunds waiting for staff (counted against the order until rejected)."""
    query = select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.order_id == order_id, Refund.status == RefundStatus.HELD.value
    )
    return Decimal(db.session.scalar(query)).quantize(Decimal("0.01"))


def refund_snapshots(order: Order) -> tuple[RefundSnapshot, ...]:
    """The order's refunds and its cancellation payout, oldest first, as refund_status reads them."""
    rows = db.session.scalars(select(Refund).where(Refund.order_id == order.id).order_by(Refund.created_at))
    refunds = [
        RefundSnapshot(
            amount=r.amount,
            currency=r.currency,
            method=r.method,
            status=r.status,
            created_at=r.created_at,
            issued_at=r.issued_at,
            items=tuple(r.items or ()),
        )
        for r in rows
    ]
    cancelled = db.session.scalars(select(Cancellation).where(Cancellation.order_id == order.id))
    refunds += [
        RefundSnapshot(
            c.amount, c.currency, c.method, "issued", c.created_at, c.created_at, kind="cancellation"
        )
        for c in cancelled
    ]
    return tuple(sorted(refunds, key=lambda r: r.created_at))


def replacements_count(order_id: int) -> int:
    return db.session.scalar(select(func.count()).where(Replacement.order_id == order_id)) or 0


def order_snapshot(
    order: Order,
    refunded: Decimal | None = None,
    replacements: int | None = None,
    held: Decimal | None = None,
) -> OrderSnapshot:
    """The tools' view of an order row, including what was already refunded and replaced
    (queried unless the caller already has the figures)."""
    items = tuple(
        ItemSnapshot(i.name, i.quantity, i.unit_price, i.sku, i.refunded_quantity, i.id) for i in order.items
    )
    return OrderSnapshot(
        number=order.number,
        customer_id=order.customer_id,
        status=order.status,
        total=order.total,
        currency=order.currency,
        payment_method=order.payment_method,
        placed_at=order.placed_at,
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
        tracking_number=order.tracking_number,
        carrier=order.carrier,
        items=items,
        refunded_total=refunded_total(order.id) if refunded is None else refunded,
        replacements_count=replacements_count(order.id) if replacements is None else replacements,
        held_total=held_total(order.id) if held is None else held,
    )


def order_snapshot_without(order: Order, refund: Refund) -> OrderSnapshot:
    """The order as if `refund` (a held one) did not exist: what approving it re-decides against."""
    snapshot = order_snapshot(order)
    taken = {line.order_item_id: line.quantity for line in refund.lines}
    items = tuple(
        replace(item, refunded_quantity=item.refunded_quantity - taken.get(item.id, 0))
        for item in snapshot.items
    )
    return replace(snapshot, items=items, held_total=snapshot.held_total - refund.amount)


def customer_order_snapshots(customer_id: int) -> tuple[OrderSnapshot, ...]:
    """All the customer's orders as snapshots, newest first, in four queries whatever their number."""
    orders = db.session.scalars(
        select(Order)
        .where(Order.customer_id == customer_id)
        .options(selectinload(Order.items))
        .order_by(Order.placed_at.desc())
    ).all()
    refunded, held = _refunds_by_order(customer_id)
    replaced = dict(
        db.session.execute(
            select(Replacement.order_id, func.count())
            .where(Replacement.customer_id == customer_id)
            .group_by(Replacement.order_id)
        ).all()
    )
    return tuple(
        order_snapshot(
            order,
            Decimal(refunded.get(order.id, 0)).quantize(Decimal("0.01")),
            replaced.get(order.id, 0),
            Decimal(held.get(order.id, 0)).quantize(Decimal("0.01")),
        )
        for order in orders
    )


def _refunds_by_order(customer_id: int) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """(issued, held) refund totals per order id, in one query."""
    statuses = (RefundStatus.ISSUED.value, RefundStatus.HELD.value)
    query = (
        select(Refund.order_id, Refund.status, func.sum(Refund.amount))
        .where(Refund.customer_id == customer_id, Refund.status.in_(statuses))
        .group_by(Refund.order_id, Refund.status)
    )
    totals: dict[str, dict[int, Decimal]] = {status: {} for status in statuses}
    for order_id, status, amount in db.session.execute(query):
        totals[status][order_id] = amount
    return totals[RefundStatus.ISSUED.value], totals[RefundStatus.HELD.value]


def customer_history(
    customer_id: int, limits: PolicyLimits, now: datetime, *, without: int | None = None
) -> CustomerHistory:
    """The customer's refunds holding a place in the rolling limit period before `now`: issued ones and
    held ones, each from the moment it took its place (a held refund from when it was held, so the same
    refund keeps the same place once approved); rejected ones gave theirs back. `without`: a refund id
    left out (a held refund being approved does not count against itself)."""
    since = now - timedelta(days=limits.refund_period_days)
    query = select(Refund.created_at, Refund.issued_at).where(
        Refund.customer_id == customer_id,
        Refund.status.in_((RefundStatus.ISSUED.value, RefundStatus.HELD.value)),
        or_(Refund.created_at > since, Refund.issued_at > since),
    )
    if without is not None:
        query = query.where(Refund.id != without)
    return CustomerHistory(customer_id, tuple(_place(*row) for row in db.session.execute(query)))


def _place(created_at: datetime, issued_at: datetime | None) -> datetime:
    # A refund takes its place when it is made (held or issued); rows imported with only an issue time
    # (or an issue time before the row was written) keep the earlier of the two.
    return min(created_at, issued_at) if issued_at is not None else created_at

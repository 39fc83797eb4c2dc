"""/api/v1/orders: the shop keeps SupportOps' orders current (upsert by number, status and tracking)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.api import paging
from portal.api.errors import ApiError
from portal.api.schemas import OrderChanges, OrderOut, OrderPage, OrderQuery, OrderUpsert, order_out
from portal.api.spec import operation
from portal.auth.accounts import find_user_by_email
from portal.extensions import db
from portal.models import Order
from portal.services import shop
from portal.services.transaction import customer_transaction

NUMBER_MAX = 32


def _number(number: str) -> str:
    if len(number) > NUMBER_MAX or "\x00" in number:
        raise ApiError(422, "validation_error", f"An order number has at most {NUMBER_MAX} characters.")
    return number


def _order_or_404(number: str) -> Order:
    order = shop.find_order(_number(number))
    if order is None:
        raise ApiError(404, "not_found", f"No order {number}.")
    return order


@operation(
    "/orders/<number>",
    "PUT",
    summary="Create or replace an order by number, with its items",
    tag="orders",
    scope="orders",
    status=201,
    body=OrderUpsert,
    response=OrderOut,
    errors=(409,),
)
def put_order(number: str, body: OrderUpsert):
    number = _number(number)
    customer = _customer(body.customer_email)
    fields = body.model_dump(exclude={"customer_email", "items"})
    items = [shop.ItemData(**item.model_dump()) for item in body.items]
    try:
        with customer_transaction(customer.id):  # one writer per customer, as for the agent's actions
            order, created = shop.upsert_order(number, customer, fields, items)
    except shop.ShopDataError as exc:
        raise ApiError(409, exc.code, str(exc)) from exc
    except IntegrityError as exc:  # the same new number sent twice at once: the first one won
        raise ApiError(
            409, "conflict", "The order was written concurrently; send the request again."
        ) from exc
    return order_out(order), 201 if created else 200


@operation(
    "/orders/<number>",
    "PATCH",
    summary="Change an order's status, delivery or tracking",
    tag="orders",
    scope="orders",
    body=OrderChanges,
    response=OrderOut,
    errors=(404, 409),
)
def patch_order(number: str, body: OrderChanges):
    order = _order_or_404(number)
    try:
        with customer_transaction(order.customer_id):
            db.session.refresh(order)  # read again under the lock
            shop.change_order(order, body.model_dump(exclude_none=True))
    except shop.ShopDataError as exc:
        raise ApiError(409, exc.code, str(exc)) from exc
    return order_out(order)


@operation(
    "/orders/<number>",
    "GET",
    summary="Read an order",
    tag="orders",
    scope="read",
    response=OrderOut,
    errors=(404,),
)
def get_order(number: str):
    return order_out(_order_or_404(number))


@operation(
    "/orders", "GET", summary="List orders", tag="orders", scope="read", query=OrderQuery, response=OrderPage
)
def list_orders(query: OrderQuery):
    statement = select(Order)
    if query.customer_email:
        customer = find_user_by_email(query.customer_email)
        statement = statement.where(Order.customer_id == (customer.id if customer else -1))
    if query.status:
        statement = statement.where(Order.status == query.status)
    rows, cursor = paging.page(statement, Order.id, query.limit, query.cursor)
    return OrderPage(data=[order_out(o) for o in rows], next_cursor=cursor)


def _customer(email: str):
    try:
        return shop.find_customer(email)
    except shop.ShopDataError as exc:
        raise ApiError(422, exc.code, f"{exc} Create it first with PUT /api/v1/customers.") from exc

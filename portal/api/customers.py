"""/api/v1/customers: upsert by email (the shop's customers), list and look up."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.api import paging
from portal.api.errors import ApiError
from portal.api.schemas import CustomerOut, CustomerPage, CustomerQuery, CustomerUpsert, customer_out
from portal.api.spec import operation
from portal.database.sqlite import write_transaction
from portal.models import Role, User
from portal.services.shop import ShopDataError, upsert_customer


@operation(
    "/customers",
    "PUT",
    summary="Create or update a customer by email",
    tag="customers",
    scope="orders",
    status=201,
    body=CustomerUpsert,
    response=CustomerOut,
    errors=(409,),
)
def put_customer(body: CustomerUpsert):
    try:
        with write_transaction():
            user, created = upsert_customer(body.email, body.name)
    except ShopDataError as exc:
        raise ApiError(409, exc.code, str(exc)) from exc
    except IntegrityError as exc:  # another request created the same email at this moment
        raise ApiError(
            409, "conflict", "The customer was created concurrently; send the request again."
        ) from exc
    return customer_out(user), 201 if created else 200


@operation(
    "/customers",
    "GET",
    summary="List customers",
    tag="customers",
    scope="read",
    query=CustomerQuery,
    response=CustomerPage,
)
def list_customers(query: CustomerQuery):
    statement = select(User).where(User.role == Role.CUSTOMER.value, User.closed_at.is_(None))
    if query.email:
        statement = statement.where(func.lower(User.email) == query.email.lower())
    rows, cursor = paging.page(statement, User.id, query.limit, query.cursor)
    return CustomerPage(data=[customer_out(u) for u in rows], next_cursor=cursor)

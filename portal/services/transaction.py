"""The one transaction shape every money-moving action uses: the customer's lock, then read, decide, write.

Limits such as "2 refunds per customer in 30 days" are read-then-write rules; they only hold under
concurrency if every writer for the same customer is serialized *before* it counts. Postgres: a
`SELECT ... FOR UPDATE` on the customer's users row (READ COMMITTED re-reads committed rows after the
lock is granted). SQLite: `BEGIN IMMEDIATE` takes the database write lock at the start.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from portal.database.sqlite import write_transaction
from portal.extensions import db
from portal.models import User


@contextmanager
def customer_transaction(customer_id: int) -> Iterator[None]:
    """Run the block in one transaction holding the customer's lock; commit on success, else roll back.

    Whatever the caller had pending in db.session is committed first, so the lock is taken at the
    very start of a fresh transaction.
    """
    with write_transaction():
        db.session.execute(select(User.id).where(User.id == customer_id).with_for_update())
        yield

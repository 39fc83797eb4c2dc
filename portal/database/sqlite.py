"""Write transactions, and the SQLite specifics behind them.

pysqlite starts transactions lazily and would make `BEGIN IMMEDIATE` (the write lock the policy limits
need on SQLite) impossible; the documented recipe below hands transaction control to SQLAlchemy.
In WAL mode a transaction that reads and then writes fails at once ("database is locked") if another
connection wrote in between, so web requests that may write (POST ...) take the write lock up front.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, request
from sqlalchemy import event

from portal.extensions import db


def init_sqlite(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine
    if getattr(engine, "_supportops_sqlite", False):
        return
    engine._supportops_sqlite = True
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    app.before_request(_lock_for_writing_requests)


def _lock_for_writing_requests() -> None:
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        begin_write_transaction(db.session())


def _on_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _on_begin(conn) -> None:
    immediate = conn.get_execution_options().get(IMMEDIATE_OPTION)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


IMMEDIATE_OPTION = "supportops_begin_immediate"


def begin_write_transaction(session) -> None:
    """Start the session's transaction holding SQLite's write lock at once (no-op on other engines).

    Call it before the session has touched the database in this transaction. On Postgres the caller
    takes row locks (SELECT ... FOR UPDATE) instead.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={IMMEDIATE_OPTION: True})


@contextmanager
def write_transaction() -> Iterator[None]:
    """A fresh transaction holding SQLite's write lock from its start (row locks are the caller's on
    Postgres): commit on success, roll back on error. Anything pending in the session is committed first.
    """
    session = db.session()  # the scoped session's current Session
    if session.in_transaction():
        session.commit()
    begin_write_transaction(session)
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    session.commit()

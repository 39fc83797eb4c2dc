"""Count and time the SQL a piece of code runs (statements, commits), through SQLAlchemy engine events."""

from __future__ import annotations

import contextlib
import time

from sqlalchemy import event


class StatementCounter:
    """Records every statement (text, parameters, ms) and commit on `engine` while `counting()` is active."""

    def __init__(self, engine) -> None:
        self.statements: list[tuple[str, object, float]] = []
        self.commits = 0
        self.enabled = False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "commit", self._commit)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.enabled:
            ms = (time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())) * 1000.0
            self.statements.append((statement, parameters, ms))

    def _commit(self, conn):
        if self.enabled:
            self.commits += 1

    @property
    def sql_ms(self) -> float:
        return sum(ms for _sql, _params, ms in self.statements)

    @contextlib.contextmanager
    def counting(self):
        """Start from zero; record until the block ends."""
        self.statements, self.commits = [], 0
        self.enabled = True
        try:
            yield self
        finally:
            self.enabled = False

"""The desk search's database objects, which SQLAlchemy's metadata cannot describe: one set per dialect.

Postgres: GIN indexes on `to_tsvector('simple', ...)` expressions (message bodies, ticket subjects,
customer names). 'simple' neither stems nor drops stop words, so one index serves English, Spanish,
French and German alike, and order numbers and references stay whole words. An expression index, not a
stored generated column: no table rewrite on a million messages, and nothing the models must carry.

SQLite (`make run`): an FTS5 table over messages.body, external content (the text is stored once, in
messages), kept in sync by three triggers. Note for future SQLite migrations: `batch_alter_table` on
`messages` recreates the table and drops these triggers; recreate them afterwards (create_objects).

The same functions serve `db.create_all()` (listeners in portal.models) and the migration, and
`include_name` keeps alembic's autogenerate from proposing to drop what it does not know about.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

FTS_TABLE = "messages_fts"
POSTGRES_INDEXES = {
    # name: (table, column)
    "ix_messages_body_fts": ("messages", "body"),
    "ix_tickets_subject_fts": ("tickets", "subject"),
    "ix_users_name_fts": ("users", "name"),
}
SQLITE_TRIGGERS = ("messages_fts_insert", "messages_fts_delete", "messages_fts_update")

_SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5("
    "body, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS messages_fts_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE OF body ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body); "
    "INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body); END",
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",  # index the messages already there
)


def tsvector(column_sql: str) -> str:
    """The indexed expression; queries must spell it exactly so for Postgres to use the index."""
    return f"to_tsvector('simple', {column_sql})"


def create_objects(conn: Connection, tables: tuple[str, ...] = ("messages", "tickets", "users")) -> None:
    """Create the search objects for these (already created) tables on conn's dialect; idempotent."""
    if conn.dialect.name == "sqlite":
        if "messages" in tables:
            for statement in _SQLITE_CREATE:
                conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        for name, (table, column) in POSTGRES_INDEXES.items():
            if table in tables:
                conn.exec_driver_sql(
                    f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({tsvector(column)})"
                )


def drop_objects(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif conn.dialect.name == "postgresql":
        for name in POSTGRES_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def include_name(name: str | None, type_: str, _parent_names) -> bool:
    """Alembic filter: leave the search objects out of autogenerate's comparison."""
    if type_ == "table":
        return not (name or "").startswith(FTS_TABLE)  # the FTS table and its shadow tables
    if type_ == "index":
        return name not in POSTGRES_INDEXES
    return True

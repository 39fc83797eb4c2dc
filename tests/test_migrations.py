"""Migrations: one head, upgrade on empty SQLite and Postgres, and no drift from the models."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.database.search_ddl import include_name
from portal.extensions import db
from tests.conftest import ADMIN_PG_URL, ROOT, base_config


def _script_dir(app):
    with app.app_context():
        return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def test_single_head(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path / 'h.db'}", tmp_path))
    assert len(_script_dir(app).get_heads()) == 1


def _upgrade_and_diff(uri: str, tmp_path) -> list:
    app = create_app(base_config(uri, tmp_path))
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name}),
                db.metadata,
            )
        db.engine.dispose()
    assert {"users", "orders", "tickets", "messages", "agent_runs", "action_log", "refunds"} <= tables
    return diff


def test_upgrade_empty_sqlite_matches_models(tmp_path):
    assert _upgrade_and_diff(f"sqlite:///{tmp_path / 'm.db'}", tmp_path) == []


@pytest.mark.postgres
def test_upgrade_empty_postgres_matches_models(tmp_path):
    name = f"supportops_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        uri = make_url(ADMIN_PG_URL).set(database=name).render_as_string(hide_password=False)
        assert _upgrade_and_diff(uri, tmp_path) == []
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_flask_db_upgrade_command(tmp_path):
    """The release step from the Procfile works on an empty database."""
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", INSTANCE_PATH=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "initial schema" in result.stderr

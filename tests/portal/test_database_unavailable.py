"""A database that cannot be reached gives the "try again" page (503), not a 500 or a stack trace."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from portal.extensions import db


def _database_down(*_args, **_kwargs):
    raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))


def test_a_logged_in_page_without_a_database_says_try_again(seeded, client, auth, monkeypatch):
    assert auth.login().status_code == 302
    monkeypatch.setattr(db.session, "get", _database_down)  # the user loader's lookup fails
    reply = client.get("/tickets/")
    body = reply.get_data(as_text=True)
    assert reply.status_code == 503 and reply.headers["Retry-After"] == "5"
    assert "Please try again in a moment" in body and "Nothing you sent was lost" not in body


def test_json_clients_get_a_json_503(seeded, client, auth, monkeypatch):
    auth.login()
    monkeypatch.setattr(db.session, "get", _database_down)
    reply = client.get("/tickets/", headers={"Accept": "application/json"})
    assert reply.status_code == 503
    assert reply.get_json() == {"error": "temporarily unavailable, please try again"}

"""Password hashing (issue 17, finding 6): argon2id for new hashes with a transparent upgrade of older
werkzeug hashes at login, and a login answer that takes as long whether or not the email has an account."""

from __future__ import annotations

import statistics
import time

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from portal.extensions import db
from portal.models import User
from tests.conftest import make_app
from tests.overrides import override_settings

PASSWORD = "correct horse battery"


def add_user(app, email, password_hash=None):
    with app.app_context():
        user = User(email=email, name="Pat", role="customer")
        if password_hash is None:
            user.set_password(PASSWORD)
        else:
            user.password_hash = password_hash
        db.session.add(user)
        db.session.commit()


def stored_hash(app, email):
    with app.app_context():
        return db.session.scalar(select(User.password_hash).where(User.email == email))


def login(client, email, password=PASSWORD):
    return client.post("/auth/login", data={"email": email, "password": password})


def test_an_old_werkzeug_hash_is_upgraded_to_argon2_at_login(app):
    add_user(app, "old@example.com", generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"))
    client = app.test_client()
    assert login(client, "old@example.com", "wrong-password").status_code == 401
    assert stored_hash(app, "old@example.com").startswith("pbkdf2:")  # a wrong password changes nothing
    assert login(client, "old@example.com").status_code == 302
    upgraded = stored_hash(app, "old@example.com")
    assert upgraded.startswith("$argon2id$")
    client.post("/auth/logout")
    assert login(client, "old@example.com").status_code == 302  # the new hash works
    assert stored_hash(app, "old@example.com") == upgraded  # and is not rehashed again


def test_a_hash_of_another_argon2_cost_is_rehashed_at_login(app):
    with app.app_context():
        override_settings(app, PASSWORD_HASH_TIME_COST=2)
        add_user(app, "cost@example.com")
        override_settings(app, PASSWORD_HASH_TIME_COST=1)
    assert "t=2" in stored_hash(app, "cost@example.com")
    assert login(app.test_client(), "cost@example.com").status_code == 302
    assert "t=1," in stored_hash(app, "cost@example.com")


def test_verify_and_rehash_rules(app):
    from portal.auth import passwords

    with app.app_context():
        new = passwords.hash_password(PASSWORD)
        assert new.startswith("$argon2id$") and passwords.verify_password(new, PASSWORD)
        assert not passwords.verify_password(new, "wrong") and not passwords.needs_rehash(new)
        old = generate_password_hash(PASSWORD, "scrypt")
        assert passwords.verify_password(old, PASSWORD) and passwords.needs_rehash(old)
        closed = "!closed:0123abcd"  # a closed account (portal/services/privacy.py)
        assert not passwords.verify_password(closed, "") and not passwords.needs_rehash(closed)
        assert not passwords.verify_password("$argon2id$garbage", PASSWORD)


def median_seconds(client, email, runs):
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        assert login(client, email, "wrong-password").status_code == 401
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def test_unknown_and_known_emails_take_as_long_to_refuse(tmp_path):
    """The finding: 5 ms for an unknown email, 104 ms for a known one. A ratio of medians, generously."""
    app = make_app(
        f"sqlite:///{tmp_path / 'timing.db'}",
        tmp_path,
        PASSWORD_HASH_TIME_COST=3,
        PASSWORD_HASH_MEMORY_KIB=65536,
        PASSWORD_HASH_PARALLELISM=4,
    )
    add_user(app, "known@example.com")
    client = app.test_client()
    login(client, "warm-up@example.com", "wrong-password")  # the dummy hash is made once, at first use
    known, unknown = [], []
    for _ in range(3):  # interleaved, so a busy moment on the machine hits both
        known.append(median_seconds(client, "known@example.com", 3))
        unknown.append(median_seconds(client, "nobody@example.com", 3))
    known_s, unknown_s = statistics.median(known), statistics.median(unknown)
    assert max(known_s, unknown_s) / min(known_s, unknown_s) < 3, (known_s, unknown_s)


def test_an_inactive_account_is_refused_after_a_full_verify(tmp_path, monkeypatch):
    from portal.auth import passwords

    app = make_app(f"sqlite:///{tmp_path / 'inactive.db'}", tmp_path)
    add_user(app, "gone@example.com")
    with app.app_context():
        db.session.scalar(select(User).where(User.email == "gone@example.com")).active = False
        db.session.commit()
    verified = []
    real = passwords.verify_password
    monkeypatch.setattr(
        passwords, "verify_password", lambda stored, pw: verified.append(pw) or real(stored, pw)
    )
    for email in ("gone@example.com", "nobody@example.com"):
        assert login(app.test_client(), email).status_code == 401
    assert verified == [PASSWORD, PASSWORD]  # one hash verified per refusal, account or not

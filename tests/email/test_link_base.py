"""Email links follow the address the portal is served on unless PUBLIC_BASE_URL is set (issue 11)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.mailer.links import ticket_url
from portal.models import EmailOutbox
from tests.conftest import make_app
from tests.overrides import override_settings


@pytest.fixture
def unconfigured(tmp_path):
    from portal.commands.demo import seed_demo

    app = make_app(f"sqlite:///{tmp_path / 'links.db'}", tmp_path, SERVER_NAME_FOR_LINKS=None)
    with app.app_context():
        seed_demo()
        db.session.commit()
    return app


def last_mail(app) -> str:
    with app.app_context():
        return db.session.scalars(select(EmailOutbox).order_by(EmailOutbox.id.desc())).first().text_body


def test_links_use_the_port_the_portal_is_served_on(unconfigured):
    client = unconfigured.test_client()
    client.post("/auth/forgot", data={"email": "customer@example.com"}, base_url="http://127.0.0.1:5123")
    assert "http://127.0.0.1:5123/auth/reset/" in last_mail(unconfigured)
    assert ":5000" not in last_mail(unconfigured)
    with unconfigured.app_context():  # a background job after that request: the same address
        assert ticket_url("T-ABC") == "http://127.0.0.1:5123/tickets/T-ABC"


def test_public_base_url_wins_over_the_request(unconfigured):
    override_settings(unconfigured, SERVER_NAME_FOR_LINKS="https://help.example.com/")
    client = unconfigured.test_client()
    client.post("/auth/forgot", data={"email": "customer@example.com"}, base_url="http://127.0.0.1:5123")
    assert "https://help.example.com/auth/reset/" in last_mail(unconfigured)


def test_before_any_request_links_use_the_port_setting(monkeypatch):
    from portal.config import load_config

    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "5077")
    config = load_config("instance")
    assert config["SERVER_NAME_FOR_LINKS"] is None
    assert config["LINK_FALLBACK_BASE_URL"] == "http://127.0.0.1:5077"


def test_production_requires_public_base_url():
    from portal.config import check_config

    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        check_config({"ENV_NAME": "production", "SECRET_KEY": "real", "SERVER_NAME_FOR_LINKS": None})
    check_config(
        {"ENV_NAME": "production", "SECRET_KEY": "real", "SERVER_NAME_FOR_LINKS": "https://x.example"}
    )

"""Browser tests: the real app served by a real HTTP server on Postgres, the real agent in the in-process
queue, and Debian's Chromium driven by Playwright. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text
from werkzeug.serving import make_server

from portal import create_app
from portal.config import get_settings
from portal.extensions import db
from tests.conftest import ROOT, base_config, truncate_all

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORDS = {
    "customer@example.com": "customer-demo",
    "staff@example.com": "staff-demo",
    "admin@example.com": "admin-demo",
}


@pytest.fixture(scope="session")
def live_app(_pg_schema, tmp_path_factory):
    """The portal on this session's Postgres database, with jobs in the in-process queue and CSRF on."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/ensure-test-services.sh installs it)")
    config = base_config(
        _pg_schema, tmp_path_factory.mktemp("e2e"), QUEUE_MODE="thread", WTF_CSRF_ENABLED=True
    )
    app = create_app(config)
    yield app
    app.extensions["inprocess_queue"].stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app):
    """A real threaded HTTP server in a background thread, on a free port."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def site(live_app, live_server):
    """An empty database with the demo accounts and orders, and the base URL."""
    from portal.commands.demo import seed_demo
    from portal.jobs.queue import InProcessQueue

    # A fresh queue per test: a job or retry left over from the previous test must not run on this
    # test's rows (TRUNCATE ... RESTART IDENTITY hands the same ids out again).
    live_app.extensions["inprocess_queue"].stop()
    live_app.extensions["inprocess_queue"] = InProcessQueue(get_settings(live_app).jobs.inprocess_workers)
    truncate_all(live_app)
    with live_app.app_context():
        seed_demo()
        db.session.commit()
    return Site(live_app, live_server)


class Site:
    def __init__(self, app, url: str):
        self.app = app
        self.url = url

    def ticket_row(self, reference: str):
        from portal.models import Ticket

        with self.app.app_context():
            ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
            db.session.expunge(ticket)
            return ticket

    def ticket_state(self, url: str) -> dict:
        """What the database holds for the ticket at `url` (for failure messages)."""
        from portal.models import AgentRun, Message, Ticket

        reference = url.rstrip("/").rsplit("/", 1)[-1]
        with self.app.app_context():
            ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
            if ticket is None:
                return {"reference": reference, "ticket": None}
            runs = db.session.scalars(select(AgentRun).where(AgentRun.ticket_id == ticket.id)).all()
            query = select(Message.author_kind).where(Message.ticket_id == ticket.id)
            kinds = db.session.scalars(query).all()
            state = {
                "status": ticket.status,
                "reason": ticket.escalation_reason,
                "runs": [(r.id, r.status, r.attempts, r.error) for r in runs],
                "messages": list(kinds),
            }
            db.session.remove()
            return state

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until no agent run is queued or running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.app.app_context():
                busy = db.session.scalar(
                    text("SELECT count(*) FROM agent_runs WHERE status IN ('queued', 'running')")
                )
                db.session.remove()
            if not busy:
                return
            time.sleep(0.1)
        pytest.fail("agent runs still busy")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


class Person:
    """One signed-in browser context; records any JavaScript dialog (there must never be one)."""

    def __init__(self, browser, site: Site, email: str):
        self.site = site
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", self._on_dialog)
        self.page.set_default_timeout(15000)
        self.go("/auth/login")
        self.page.fill("#email", email)
        self.page.fill("#password", PASSWORDS[email])
        self.page.click("button[type=submit], input[type=submit]")
        self.page.wait_for_selector("text=Log out")

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def go(self, path: str) -> None:
        self.page.goto(self.site.url + path)

    def shot(self, name: str, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def people(browser, site):
    opened: list[Person] = []

    def open_as(email: str) -> Person:
        person = Person(browser, site, email)
        opened.append(person)
        return person

    yield open_as
    for person in opened:
        person.close()
    site.wait_idle()


def keep_for_docs(path: Path, name: str) -> None:
    """Copy a screenshot into docs/screenshots for the README tour (when UPDATE_DOCS_SCREENSHOTS=1)."""
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") != "1":
        return
    target = ROOT / "docs" / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target / name)

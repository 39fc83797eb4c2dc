"""The Content-Security-Policy in Chromium: the key pages report no violation and their scripts still work
(the ticket page's polling, the new-ticket help suggestions, Bootstrap's menu, the invoice's Print)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_flows import open_ticket, wait_for_agent

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

INDEX_WAIT = 60000  # ms: the first help search builds its index
# Runs before any page script and records every violation the browser reports (init scripts are added
# through DevTools, so the page's CSP does not block this one).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


class Watch:
    """Console messages and `securitypolicyviolation` events of one browser context."""

    def __init__(self, person):
        self.person = person
        self.console: list[str] = []
        person.context.add_init_script(RECORD_VIOLATIONS)
        person.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        person.page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))

    def visit(self, path: str) -> None:
        self.person.go(path)
        self.assert_clean()

    def assert_clean(self) -> None:
        page = self.person.page
        page.wait_for_load_state("load")
        violations = page.evaluate("window.__cspViolations || []")
        refused = [line for line in self.console if "Content Security Policy" in line or "pageerror" in line]
        assert violations == [] and refused == [], f"{page.url}: {violations} {refused}"


def test_the_login_page_has_no_csp_violation_and_the_menu_opens(browser, site):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    context.add_init_script(RECORD_VIOLATIONS)
    try:
        response = page.goto(site.url + "/auth/login")
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
        page.click("button.navbar-toggler")  # Bootstrap's JS (served locally) runs under the CSP
        page.wait_for_selector("#nav.show")
        assert page.evaluate("window.__cspViolations") == []
        assert not [line for line in console if "Content Security Policy" in line]
    finally:
        context.close()


def test_customer_pages_keep_their_scripts_under_the_csp(people, site):
    casey = people("customer@example.com")
    watch = Watch(casey)
    page = casey.page
    watch.visit("/tickets/new")
    page.fill("#subject", "Refund")
    page.type("#message", "how long do refunds take", delay=20)
    page.locator("#help-suggestions a", has_text="How long do refunds take?").wait_for(timeout=INDEX_WAIT)
    watch.assert_clean()

    open_ticket(casey, "Where is my order?", "Where is my order A1002? It has not arrived yet.")
    wait_for_agent(casey)  # the answer arrives through ticket.js polling status.json, no reload
    watch.assert_clean()

    watch.visit("/orders/A1005/invoice")
    page.evaluate("window.print = function () { window.__printed = true; }")
    page.click("button[data-print-page]")
    assert page.evaluate("window.__printed === true")
    watch.assert_clean()


def test_staff_desk_and_admin_pages_have_no_csp_violation(people, site):
    casey = people("customer@example.com")
    reference = open_ticket(casey, "Where is my order?", "Where is my order A1002? It has not arrived yet.")
    wait_for_agent(casey)
    adam = people("admin@example.com")
    watch = Watch(adam)
    watch.visit("/desk/")
    watch.visit(f"/desk/tickets/{reference}")
    watch.visit("/admin/")
    bars = adam.page.locator("svg.share-bar")
    assert bars.count() > 0
    width = adam.page.evaluate("document.querySelector('svg.share-bar').getBoundingClientRect().width")
    assert width > 50, f"share bars are {width} px wide: their CSS did not apply"
    assert re.search(r"/admin/$", adam.page.url)

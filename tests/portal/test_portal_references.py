"""Every page, button and path that the policies or the agent's wording name exists in the portal.

The agent quotes the policies to customers and its replies name pages ("your order's page:
/orders/A1001/invoice"), so a feature named there that the portal lacks sends people nowhere.
"""

import glob
import html
import re
from pathlib import Path

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

ROOT = Path(__file__).resolve().parents[2]
POLICY_FILES = sorted(glob.glob(str(ROOT / "policies" / "*.md")))
# Where the agent's customer-facing wording lives (tool messages, offline replies, translations).
WORDING_FILES = [
    *sorted(glob.glob(str(ROOT / "tools" / "*.py"))),
    *(str(ROOT / p) for p in ("worker/agent/backends/offline.py", "worker/agent/compose.py")),
    str(ROOT / "worker/agent/localize.py"),
]
# "Click **Sign up**", "Go to **Account settings**", "under **Account settings → Email preferences**"
UI_REFERENCE = re.compile(r"(?:[Cc]lick|[Gg]o to|under|[Oo]pen)\s+(?:the\s+)?\*\*([^*]+)\*\*")
PATH = re.compile(r"""(?:(?<=\s)|(?<=["'(]))/[a-z][a-z0-9_-]*(?:/[A-Za-z0-9_{}<>.-]+)*""")
TAG = re.compile(r"<[^>]+>")


def ui_references() -> list[tuple[str, str]]:
    found = []
    for path in POLICY_FILES:
        for match in UI_REFERENCE.finditer(Path(path).read_text(encoding="utf-8")):
            found += [(Path(path).name, part.strip()) for part in match.group(1).split("→")]
    return found


def paths_named() -> list[tuple[str, str]]:
    return [
        (Path(path).name, match.group(0))
        for path in POLICY_FILES + WORDING_FILES
        for match in PATH.finditer(Path(path).read_text(encoding="utf-8"))
    ]


def visible_text(response) -> str:
    return html.unescape(TAG.sub(" ", response.get_data(as_text=True))).lower()


@pytest.fixture
def portal_text(demo, customer):
    """The visible text of the pages a customer reaches, logged out and logged in."""
    visitor = demo.test_client()
    pages = [visitor.get("/auth/login"), visitor.get("/auth/signup"), visitor.get("/auth/forgot")]
    pages += [customer.get(p) for p in ("/", "/orders", "/orders/A1003", "/settings/", "/tickets/new")]
    assert all(page.status_code == 200 for page in pages)
    return " ".join(visible_text(page) for page in pages)


def test_the_policies_name_interface_elements():
    named = {name for _, name in ui_references()}
    assert {"Sign up", "Forgot password?", "Account settings", "Email preferences"} <= named


def test_every_interface_element_the_policies_name_is_on_a_portal_page(portal_text):
    missing = [(f, name) for f, name in ui_references() if name.lower() not in portal_text]
    assert missing == []


def test_every_path_named_to_customers_is_a_route(app):
    named = paths_named()
    assert ("invoice.py", "/orders/{order_number}/invoice") in named
    adapter = app.url_map.bind("localhost")
    unknown = []
    for source, path in named:
        concrete = re.sub(r"\{[^}]*\}|<[^>]*>", "A1001", path)
        try:
            adapter.match(concrete, method="GET")
        except (NotFound, MethodNotAllowed):
            unknown.append((source, path))
    assert unknown == []

"""A browser-like HTTP client for the benchmarks: sessions, real forms, CSRF tokens, timings.

Forms are read from the served HTML (action, hidden fields such as `csrf_token`, defaults), filled in and
posted back, the way a browser would, so the benchmarks go through the same validation as customers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests

TIMEOUT = 30


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)  # every field name, in page order
    options: dict[str, list[str]] = field(default_factory=dict)  # select name -> option values


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attr = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(attr.get("action", ""), attr.get("method", "get").lower()))
        elif not self.forms:
            return
        elif tag == "input" and attr.get("name"):
            self._input(attr)
        elif tag == "textarea" and attr.get("name"):
            self._textarea = attr["name"]
            self._add(attr["name"], "")
        elif tag == "select" and attr.get("name"):
            self._select = attr["name"]
            self._add(attr["name"], "")
            self.forms[-1].options[attr["name"]] = []
        elif tag == "option" and self._select:
            self._option(attr)

    def _input(self, attr: dict[str, str]) -> None:
        kind = attr.get("type", "text").lower()
        if kind in ("checkbox", "radio") and "checked" not in attr:
            if attr["name"] not in self.forms[-1].names:
                self.forms[-1].names.append(attr["name"])
            return
        if kind == "submit":
            return
        self._add(attr["name"], attr.get("value", ""))

    def _option(self, attr: dict[str, str]) -> None:
        form = self.forms[-1]
        value = attr.get("value", "")
        form.options[self._select].append(value)
        if "selected" in attr or not form.fields.get(self._select):
            form.fields[self._select] = value

    def _add(self, name: str, value: str) -> None:
        form = self.forms[-1]
        form.fields[name] = value
        if name not in form.names:
            form.names.append(name)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data


def parse_forms(html: str) -> list[Form]:
    """Every form of a page with its fields' current values."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def find_form(html: str, *required: str) -> Form:
    """The first form that has all the `required` field names (e.g. "email", "password")."""
    for form in parse_forms(html):
        if all(any(name == r or name.endswith(r) for name in form.names) for r in required):
            return form
    raise LookupError(f"no form with fields {required} on the page")


def field_name(form: Form, *candidates: str) -> str | None:
    """The first of `candidates` the form has (exact name, else a name containing it)."""
    for candidate in candidates:
        if candidate in form.names:
            return candidate
    for candidate in candidates:
        for name in form.names:
            if candidate in name:
                return name
    return None


class Browser:
    """One logged-in user: a requests session plus timing of every request it makes."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "supportops-bench"

    def get(self, path: str, **kwargs) -> tuple[requests.Response, float]:
        """GET a path; returns the response and its time in milliseconds."""
        return self._timed("GET", path, **kwargs)

    def post(self, path: str, data: dict[str, str], **kwargs) -> tuple[requests.Response, float]:
        return self._timed("POST", path, data=data, **kwargs)

    def _timed(self, method: str, path: str, **kwargs) -> tuple[requests.Response, float]:
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        started = time.perf_counter()
        response = self.session.request(method, urljoin(self.base_url, path), **kwargs)
        return response, (time.perf_counter() - started) * 1000.0

    def submit(self, page_path: str, form: Form, values: dict[str, str]) -> tuple[requests.Response, float]:
        """Post `form` (found on `page_path`) with its fields overridden by `values`."""
        data = dict(form.fields)
        data.update(values)
        action = urljoin(urljoin(self.base_url, page_path), form.action or page_path)
        return self._timed("POST", action, data=data)

    def login(self, email: str, password: str, path: str = "/auth/login") -> None:
        """Log in through the real form (CSRF token included); raises when it does not redirect."""
        page, _ = self.get(path)
        form = find_form(page.text, "email", "password")
        response, _ = self.submit(path, form, {"email": email, "password": password})
        if response.status_code not in (302, 303):
            raise RuntimeError(f"login of {email} failed: HTTP {response.status_code}")

"""Console test kit: the real web app with a secret key, staff members, and signing in."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from starlette.testclient import TestClient

from onward.engine.clock import FakeClock
from onward.engine.coaches import staff
from tests.integration.web_helpers import WebRig, build_rig

SECRET = "a-test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "correct horse battery"
COACH = "coach@example.org"
ADMIN = "admin@example.org"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def console_rig(url: str, clock: FakeClock, **env: str) -> WebRig:
    settings = {"ONWARD_SECRET_KEY": SECRET, "ONWARD_ORG_NAME": "Northside Careers", **env}
    rig = build_rig(url, clock, True, **settings)
    with rig.runtime.sessions.begin() as session:
        staff.add_staff(session, COACH, "coach", "Robin", PASSWORD, clock.now())
        staff.add_staff(session, ADMIN, "admin", "Ada", PASSWORD, clock.now())
    return rig


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, email: str = COACH, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token for later forms."""
    page = client.get("/console/login")
    response = client.post(
        "/console/login",
        data={"email": email, "password": password, "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/console/").text)


class PageCheck(HTMLParser):
    """Collects a page's title and which inputs lack a label."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self._in_title = False
        self.labelled: set[str] = set()
        self.fields: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "title":
            self._in_title = True
        if tag == "label" and values.get("for"):
            self.labelled.add(values["for"] or "")
        if tag in ("input", "textarea", "select") and values.get("type") not in (
            "hidden",
            "submit",
            "button",
        ):
            self.fields.append(values.get("id") or f"<{tag} name={values.get('name')}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data

    @property
    def unlabelled(self) -> list[str]:
        return [field for field in self.fields if field not in self.labelled]

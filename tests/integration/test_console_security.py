"""The console's security rules through real HTTP: sign-in, sessions, CSRF, roles, limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from onward.engine.clock import FakeClock
from onward.engine.coaches import staff
from onward.engine.storage.console_models import AuditEntry, Coaching
from onward.engine.storage.models import Person
from onward.engine.web.console.session import SESSION_COOKIE
from tests.integration.console_helpers import (
    ADMIN,
    COACH,
    PASSWORD,
    PageCheck,
    console_rig,
    csrf_of,
    sign_in,
)
from tests.integration.web_helpers import LOOPBACK_CLIENT, WebRig, build_rig, engine_url

GUARDED_GETS = [
    "/console/",
    "/console/people/1",
    "/console/plans",
    "/console/staff",
    "/console/numbers",
]
GUARDED_POSTS = [
    "/console/logout",
    "/console/people/1/take",
    "/console/people/1/hand-back",
    "/console/people/1/reply",
    "/console/people/1/resolve",
]


@pytest.fixture
def rig(sqlite_engine: Engine, clock: FakeClock) -> Iterator[WebRig]:
    rig = console_rig(engine_url(sqlite_engine), clock)
    yield rig
    rig.client.close()
    rig.runtime.close()


def _person(rig: WebRig) -> int:
    rig.client.post("/webhooks/console/sms", json={"from": "+14155550100", "body": "REJECTED Acme"})
    with rig.runtime.sessions() as session:
        return session.scalars(select(Person.id)).one()


@pytest.mark.parametrize("path", GUARDED_GETS)
def test_every_console_page_without_a_session_redirects_to_sign_in(rig: WebRig, path: str) -> None:
    response = rig.client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login?next=/console/")


@pytest.mark.parametrize("path", GUARDED_POSTS)
def test_every_console_action_without_a_session_redirects_to_sign_in(
    rig: WebRig, path: str
) -> None:
    response = rig.client.post(path, data={"body": "hi"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login")


def test_the_sign_in_form_has_email_password_and_a_csrf_token(rig: WebRig) -> None:
    page = rig.client.get("/console/login").text
    assert 'name="email"' in page and 'name="password"' in page and csrf_of(page)


def test_a_wrong_password_signs_nobody_in(rig: WebRig) -> None:
    page = rig.client.get("/console/login")
    response = rig.client.post(
        "/console/login",
        data={"email": COACH, "password": "wrong password!", "csrf": csrf_of(page.text)},
    )
    assert response.status_code == 401
    assert "match an active account" in response.text
    assert SESSION_COOKIE not in response.cookies
    assert rig.client.get("/console/", follow_redirects=False).status_code == 303


def test_an_unknown_address_is_answered_like_a_wrong_password(rig: WebRig) -> None:
    page = rig.client.get("/console/login")
    response = rig.client.post(
        "/console/login",
        data={"email": "nobody@example.org", "password": PASSWORD, "csrf": csrf_of(page.text)},
    )
    assert response.status_code == 401


def test_the_session_cookie_is_httponly_samesite_lax_and_not_secure_on_http(rig: WebRig) -> None:
    page = rig.client.get("/console/login")
    response = rig.client.post(
        "/console/login",
        data={"email": COACH, "password": PASSWORD, "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
    )
    attributes = cookie.lower()
    assert (
        "httponly" in attributes and "samesite=lax" in attributes and "path=/console" in attributes
    )
    assert "secure" not in attributes


def test_the_session_cookie_is_secure_when_the_public_url_is_https(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    rig = console_rig(
        engine_url(sqlite_engine), clock, ONWARD_PUBLIC_URL="https://onward.example.org"
    )
    try:
        page = rig.client.get("/console/login")
        response = rig.client.post(
            "/console/login",
            data={"email": COACH, "password": PASSWORD, "csrf": csrf_of(page.text)},
            follow_redirects=False,
        )
        cookie = next(
            h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
        )
        assert "secure" in cookie.lower()
    finally:
        rig.client.close()
        rig.runtime.close()


def test_sign_in_without_the_forms_csrf_token_is_refused(rig: WebRig) -> None:
    rig.client.get("/console/login")
    response = rig.client.post("/console/login", data={"email": COACH, "password": PASSWORD})
    assert response.status_code == 403
    assert rig.client.get("/console/", follow_redirects=False).status_code == 303


def test_a_form_posted_without_the_sessions_csrf_token_changes_nothing(rig: WebRig) -> None:
    person_id = _person(rig)
    sign_in(rig.client)
    for token in ("", "forged"):
        response = rig.client.post(f"/console/people/{person_id}/take", data={"csrf": token})
        assert response.status_code == 403
    with rig.runtime.sessions() as session:
        assert session.get(Coaching, person_id) is None


def test_a_session_ends_after_the_idle_timeout(rig: WebRig, clock: FakeClock) -> None:
    sign_in(rig.client)
    clock.advance(timedelta(minutes=29))
    assert rig.client.get("/console/", follow_redirects=False).status_code == 200
    clock.advance(timedelta(minutes=29))  # used a minute ago: the idle clock started again
    assert rig.client.get("/console/", follow_redirects=False).status_code == 200
    clock.advance(timedelta(minutes=31))
    response = rig.client.get("/console/", follow_redirects=False)
    assert response.status_code == 303 and "/console/login" in response.headers["location"]


def test_a_tampered_session_cookie_is_refused(rig: WebRig) -> None:
    sign_in(rig.client)
    value = rig.client.cookies.get(SESSION_COOKIE)
    assert value
    body, _, mac = value.rpartition(".")
    forged = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + mac
    for cookie in (value, forged):
        other = TestClient(rig.daemon.app(), client=LOOPBACK_CLIENT)
        other.cookies.set(SESSION_COOKIE, cookie, path="/console")
        expected = 200 if cookie == value else 303
        assert other.get("/console/", follow_redirects=False).status_code == expected


def test_sign_out_ends_the_session_even_for_a_copied_cookie(rig: WebRig) -> None:
    csrf = sign_in(rig.client)
    copied = rig.client.cookies.get(SESSION_COOKIE)
    response = rig.client.post("/console/logout", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/console/login"
    assert rig.client.get("/console/", follow_redirects=False).status_code == 303
    other = TestClient(rig.daemon.app(), client=LOOPBACK_CLIENT)
    other.cookies.set(SESSION_COOKIE, copied or "", path="/console")
    assert other.get("/console/", follow_redirects=False).status_code == 303


def test_a_disabled_staff_members_session_stops_working(rig: WebRig, clock: FakeClock) -> None:
    sign_in(rig.client)
    with rig.runtime.sessions.begin() as session:
        staff.disable_staff(session, COACH, clock.now())
    assert rig.client.get("/console/", follow_redirects=False).status_code == 303
    page = rig.client.get("/console/login")
    response = rig.client.post(
        "/console/login",
        data={"email": COACH, "password": PASSWORD, "csrf": csrf_of(page.text)},
    )
    assert response.status_code == 401


def test_a_coach_cannot_reach_admin_pages(rig: WebRig) -> None:
    sign_in(rig.client, COACH)
    assert rig.client.get("/console/staff").status_code == 403


def test_a_coach_reads_the_plans_but_changes_nothing(rig: WebRig) -> None:
    sign_in(rig.client, COACH)
    page = rig.client.get("/console/plans")
    main = page.text.split("<main", 1)[1]  # the header's sign-out form aside
    assert page.status_code == 200 and "standard" in main and "<form" not in main


@pytest.mark.parametrize("path", ["/console/plans", "/console/staff"])
def test_an_admin_reaches_admin_pages(rig: WebRig, path: str) -> None:
    sign_in(rig.client, ADMIN)
    assert rig.client.get(path).status_code == 200


def test_sign_in_attempts_are_limited_per_account(rig: WebRig) -> None:
    for _ in range(staff.MAX_FAILURES_PER_ACCOUNT):
        page = rig.client.get("/console/login")
        rig.client.post(
            "/console/login",
            data={"email": COACH, "password": "guess guess guess", "csrf": csrf_of(page.text)},
        )
    page = rig.client.get("/console/login")
    response = rig.client.post(
        "/console/login", data={"email": COACH, "password": PASSWORD, "csrf": csrf_of(page.text)}
    )
    assert response.status_code == 429  # even the right password waits
    # Another account from another address is not locked out by it.
    other = TestClient(rig.daemon.app(), client=("127.0.0.2", 50001))
    sign_in(other, ADMIN)


def test_sign_in_attempts_are_limited_per_address(rig: WebRig, clock: FakeClock) -> None:
    for n in range(staff.MAX_FAILURES_PER_ADDRESS):
        page = rig.client.get("/console/login")
        rig.client.post(
            "/console/login",
            data={"email": f"guess{n}@example.org", "password": "nope nope nope",
                  "csrf": csrf_of(page.text)},
        )  # fmt: skip
    page = rig.client.get("/console/login")
    response = rig.client.post(
        "/console/login", data={"email": ADMIN, "password": PASSWORD, "csrf": csrf_of(page.text)}
    )
    assert response.status_code == 429
    clock.advance(staff.LOCKOUT_WINDOW + timedelta(seconds=1))
    sign_in(rig.client, ADMIN)  # the window passed


def test_sign_in_never_redirects_off_the_console(rig: WebRig) -> None:
    page = rig.client.get("/console/login?next=https://evil.example/steal")
    response = rig.client.post(
        "/console/login",
        data={"email": COACH, "password": PASSWORD, "csrf": csrf_of(page.text),
              "next": "//evil.example/"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.headers["location"] == "/console/"


def test_without_a_secret_key_the_console_says_what_is_missing(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    rig = build_rig(engine_url(sqlite_engine), clock)
    try:
        response = rig.client.get("/console/")
        assert response.status_code == 503 and "ONWARD_SECRET_KEY" in response.text
    finally:
        rig.client.close()
        rig.runtime.close()


def test_a_short_secret_key_fails_at_start_up() -> None:
    from onward.engine.errors import ConfigError
    from onward.engine.settings import load_settings

    with pytest.raises(ConfigError, match="ONWARD_SECRET_KEY"):
        load_settings({"ONWARD_SECRET_KEY": "short"})


def test_every_page_has_a_title_and_every_input_a_label(rig: WebRig) -> None:
    person_id = _person(rig)
    checked = PageCheck()
    checked.feed(rig.client.get("/console/login").text)
    assert checked.title.strip() and not checked.unlabelled
    csrf = sign_in(rig.client, ADMIN)
    # A person in crisis shows the crisis form too.
    rig.client.post("/webhooks/console/sms", json={"from": "+14155550100", "body": "i want to die"})
    rig.client.post(f"/console/people/{person_id}/take", data={"csrf": csrf})
    for path in [*GUARDED_GETS[:1], f"/console/people/{person_id}", *GUARDED_GETS[2:]]:
        response = rig.client.get(path)
        assert response.status_code == 200, path
        page = PageCheck()
        page.feed(response.text)
        assert page.title.strip(), f"{path} has no title"
        assert not page.unlabelled, f"{path}: inputs without a label: {page.unlabelled}"
    not_found = PageCheck()
    not_found.feed(rig.client.get("/console/people/999999").text)
    assert not_found.title.strip()


def test_pages_are_never_cached_nor_framed(rig: WebRig) -> None:
    sign_in(rig.client)
    response = rig.client.get("/console/")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"


def test_viewing_a_person_is_audited(rig: WebRig) -> None:
    person_id = _person(rig)
    sign_in(rig.client)
    rig.client.get(f"/console/people/{person_id}")
    with rig.runtime.sessions() as session:
        assert session.scalar(select(func.count(AuditEntry.id))) == 1

"""The console in real Chromium, served by a real uvicorn: a coach signs in, sees a crisis at
the top of the queue, opens the person, takes the conversation, replies (the reply leaves
through the console channel and shows in the timeline) and hands back. A screenshot of each
page is saved (ONWARD_SCREENSHOTS, default build/screenshots; the README's are in docs/console)."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from onward.channels.registry import ChannelRegistry
from onward.engine.channel_set import ChannelSet
from onward.engine.clock import FakeClock
from onward.engine.coaches import staff
from onward.engine.daemon import Daemon
from onward.engine.plan_store import install_shipped_plans
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from tests.browser.conftest import Served

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("ONWARD_SCREENSHOTS", ROOT / "build" / "screenshots"))
PASSWORD = "correct horse battery"
IN_CRISIS = "+14155550100"
ASKED = "+14155550122"
REPLY = "Hi, this is Robin from Northside Careers. I'm here. Can we talk today?"


@pytest.fixture
def served(sqlite_engine: Engine) -> Iterator[tuple[Served, io.StringIO, FakeClock]]:
    # 18:05 UTC is 10:05 in Los Angeles: inside the people's send window.
    clock = FakeClock(datetime(2026, 11, 24, 18, 5, tzinfo=UTC))
    settings = load_settings({
        "ONWARD_DATABASE_URL": sqlite_engine.url.render_as_string(hide_password=False),
        "ONWARD_SECRET_KEY": "a-browser-test-secret-key-0123456789abcdef",
        "ONWARD_ORG_NAME": "Northside Careers",
    })  # fmt: skip
    printed = io.StringIO()
    channels = ChannelSet.from_settings(settings, ChannelRegistry(), output=printed)
    runtime = Runtime(settings, clock, channels=channels)
    with runtime.sessions.begin() as session:
        install_shipped_plans(session, clock)
        staff.add_staff(session, "robin@example.org", "admin", "Robin", PASSWORD, clock.now())
    daemon = Daemon(runtime)
    with Served(daemon.app()) as server:
        yield server, printed, clock
    runtime.close()


def _text(server: Served, sender: str, body: str) -> None:
    response = httpx.post(
        f"{server.url}/webhooks/console/sms", json={"from": sender, "body": body}, timeout=10
    )
    assert response.status_code == 200, response.text


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_coach_answers_a_person_in_crisis(
    browser: Any, served: tuple[Served, io.StringIO, FakeClock]
) -> None:
    server, printed, clock = served
    _text(server, ASKED, "REJECTED Globex - Designer")
    _text(server, ASKED, "COACH")
    _text(server, IN_CRISIS, "REJECTED Acme - Data Analyst")
    _text(server, IN_CRISIS, "I can't go on like this")
    clock.advance(timedelta(minutes=7))
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    try:
        page.goto(f"{server.url}/console/")
        assert page.url.startswith(f"{server.url}/console/login")
        _shot(page, "login")
        page.get_by_label("Email").fill("robin@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{server.url}/console/")
        rows = page.locator("tbody tr")
        assert "crisis" in rows.nth(0).inner_text()
        assert IN_CRISIS in rows.nth(0).inner_text() and "7 min ago" in rows.nth(0).inner_text()
        assert "asked for a coach" in rows.nth(1).inner_text()
        _shot(page, "queue")

        rows.nth(0).get_by_role("link").click()
        page.wait_for_url(re.compile(r".*/console/people/\d+$"))
        assert page.get_by_role("heading", name="Crisis").is_visible()
        _shot(page, "person")

        page.get_by_role("button", name="Take this conversation").click()
        assert "You hold this conversation" in page.locator(".notice").inner_text()
        page.get_by_label("Message").fill(REPLY)
        page.get_by_role("button", name="Send reply").click()
        assert page.locator(".notice").inner_text() == "Reply sent."
        assert REPLY in printed.getvalue()  # it left through the console channel
        timeline = page.locator("table").first.inner_text()
        assert REPLY in timeline and "from Robin: delivered" in timeline
        _shot(page, "reply")

        page.get_by_role("button", name="Hand back to onward").click()
        assert "Handed back" in page.locator(".notice").inner_text()
        assert page.get_by_role("button", name="Take this conversation").is_visible()

        page.goto(f"{server.url}/console/plans")
        assert page.title().startswith("Plans")
        assert "Northside Careers" in page.locator("main").inner_text()  # the signed first message
        _shot(page, "plans")
        page.goto(f"{server.url}/console/numbers")
        assert page.title().startswith("Numbers")
        _shot(page, "numbers")
    finally:
        page.close()

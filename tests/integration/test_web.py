"""The web app through real HTTP requests: console inbound, limits, health, readiness, metrics."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from starlette.testclient import TestClient

from onward.engine.clock import FakeClock
from onward.engine.storage.db import create_db_engine
from onward.engine.storage.models import InboundMessage, Person, Run
from tests.integration.web_helpers import WebRig, build_rig, engine_url

SMS = "/webhooks/console/sms"


def _handled(rig: WebRig) -> int:
    with rig.runtime.sessions() as session:
        query = select(func.count()).where(InboundMessage.handled_at.is_not(None))
        return session.scalar(query) or 0


def _count(rig: WebRig, model: type) -> int:
    with rig.runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_texted_rejection_gets_a_kind_reply_and_starts_one_run(rig: WebRig) -> None:
    response = rig.client.post(
        SMS, json={"from": "+1 (415) 555-0100", "body": "REJECTED Acme - Data Analyst"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    reply = response.json()["reply"]
    assert "Acme" in reply and "Next:" in reply and "STOP" in reply
    with rig.runtime.sessions() as session:
        person = session.scalars(select(Person)).one()
        assert person.phone == "+14155550100"  # normalised to E.164 before storing
        assert person.timezone == "America/Los_Angeles"
    assert _count(rig, Run) == 1


def test_a_provider_retry_of_the_same_message_changes_nothing(rig: WebRig) -> None:
    headers = {"X-Console-Message-Id": "msg-1"}
    body = {"from": "+14155550100", "body": "REJECTED Acme"}
    first = rig.client.post(SMS, json=body, headers=headers)
    second = rig.client.post(SMS, json=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert _count(rig, InboundMessage) == 1
    assert _count(rig, Run) == 1


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"{not json", 400),
        (b'["a list"]', 422),
        (b'{"body": "REJECTED Acme"}', 422),
        (b'{"from": "", "body": "hi"}', 422),
        (b'{"from": "+14155550100", "body": 7}', 422),
    ],
)
def test_malformed_bodies_are_refused_and_nothing_is_stored(
    rig: WebRig, payload: bytes, status: int
) -> None:
    response = rig.client.post(SMS, content=payload, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert response.json()["error"]
    assert _count(rig, InboundMessage) == 0
    assert _count(rig, Person) == 0


def test_an_oversized_body_gets_413_and_nothing_is_stored(rig: WebRig) -> None:
    huge = "x" * (64 * 1024 + 1)
    response = rig.client.post(SMS, json={"from": "+14155550100", "body": huge})
    assert response.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
        yield b'{"from": "+14155550100", "body": "'
        for _ in range(70):
            yield b"y" * 1024
        yield b'"}'

    streamed = rig.client.post(SMS, content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert _count(rig, InboundMessage) == 0


def test_a_10kb_body_and_an_empty_body_are_taken(rig: WebRig) -> None:
    long = rig.client.post(SMS, json={"from": "+14155550100", "body": "I keep thinking. " * 600})
    empty = rig.client.post(SMS, json={"from": "+14155550101", "body": ""})
    assert long.status_code == empty.status_code == 200
    assert _count(rig, InboundMessage) == 2


def test_the_console_inbound_refuses_other_hosts(rig: WebRig) -> None:
    outsider = TestClient(rig.daemon.app(), client=("203.0.113.9", 4000))
    response = outsider.post(SMS, json={"from": "+14155550100", "body": "REJECTED Acme"})
    assert response.status_code == 403
    assert _count(rig, InboundMessage) == 0


def test_the_console_inbound_is_refused_when_the_server_listens_beyond_loopback(
    db_engine: Engine, clock: FakeClock
) -> None:
    rig = build_rig(engine_url(db_engine), clock, ONWARD_HOST="0.0.0.0")
    try:
        response = rig.client.post(SMS, json={"from": "+14155550100", "body": "REJECTED Acme"})
        assert response.status_code == 403
    finally:
        rig.runtime.close()


def test_unknown_channels_and_kinds_are_404(rig: WebRig) -> None:
    assert rig.client.post("/webhooks/pigeon/sms", json={}).status_code == 404
    assert rig.client.post("/webhooks/console/fax", json={}).status_code == 404
    assert rig.client.get(SMS).status_code == 405


def test_health_readiness_and_metrics(rig: WebRig) -> None:
    assert rig.client.get("/healthz").status_code == 200
    ready = rig.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    rig.client.post(SMS, json={"from": "+14155550100", "body": "HELP"})
    metrics = rig.client.get("/metrics")
    assert metrics.status_code == 200
    assert 'onward_inbound_messages_total{channel="console",command="help"}' in metrics.text
    for name in (
        "onward_deliveries_total",
        "onward_dispatch_lag_seconds",
        "onward_tick_duration_seconds",
        "onward_crisis_alerts_total",
    ):
        assert name in metrics.text


def test_readiness_fails_on_an_old_schema(tmp_path: Path, clock: FakeClock) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"
    create_db_engine(url).dispose()
    rig = build_rig(url, clock, install_plans=False)
    try:
        ready = rig.client.get("/readyz")
        assert ready.status_code == 503
        assert "onward db upgrade" in ready.json()["reason"]
        assert rig.client.get("/healthz").status_code == 200
    finally:
        rig.runtime.close()


def test_a_database_that_is_gone_gives_503s_not_losses(clock: FakeClock) -> None:
    rig = build_rig("postgresql+psycopg://postgres@127.0.0.1:9/nowhere", clock, install_plans=False)
    try:
        assert rig.client.get("/healthz").status_code == 200
        assert rig.client.get("/readyz").status_code == 503
        response = rig.client.post(SMS, json={"from": "+14155550100", "body": "REJECTED Acme"})
        assert response.status_code == 503
        assert response.headers["retry-after"]
    finally:
        rig.runtime.close()


def test_a_slow_database_gets_a_503_before_the_provider_gives_up(
    db_engine: Engine, clock: FakeClock
) -> None:
    rig = build_rig(engine_url(db_engine), clock, ONWARD_WEBHOOK_TIMEOUT_SECONDS="0.5")
    blocker = create_db_engine(engine_url(db_engine))
    headers = {"X-Console-Message-Id": "slow-1"}
    body = {"from": "+14155550100", "body": "REJECTED Acme"}
    try:
        with blocker.connect() as conn:
            # Another writer holds the database: every write of the webhook has to wait.
            if db_engine.dialect.name == "postgresql":
                conn.begin()
                conn.execute(text("LOCK TABLE inbound_messages IN ACCESS EXCLUSIVE MODE"))
            else:
                conn.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: the write lock is taken
            response = rig.client.post(SMS, json=body, headers=headers)
            assert response.status_code == 503 and response.headers["retry-after"]
            conn.rollback()
        deadline = time.monotonic() + 10  # the first attempt carries on once the lock is gone
        while _handled(rig) == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        retried = rig.client.post(SMS, json=body, headers=headers)  # the provider's retry
        assert retried.status_code == 200 and "Acme" in retried.json()["reply"]
        assert _count(rig, InboundMessage) == 1 and _count(rig, Run) == 1
    finally:
        blocker.dispose()
        rig.runtime.close()


def test_on_sqlite_a_webhook_waits_for_the_write_lock_on_the_loop_not_in_a_thread(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    rig = build_rig(engine_url(sqlite_engine), clock)
    blocker = create_db_engine(engine_url(sqlite_engine))
    before = set(threading.enumerate())  # other tests' worker threads may still be idling
    try:
        with blocker.connect() as conn:
            conn.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: another writer has the lock
            freed = threading.Timer(0.3, conn.rollback)
            freed.start()
            started = time.monotonic()
            response = rig.client.post(SMS, json={"from": "+14155550100", "body": "REJECTED Acme"})
            freed.join()
        assert response.status_code == 200 and "Acme" in response.json()["reply"]
        assert time.monotonic() - started >= 0.25  # it waited for the lock ...
        started_here = set(threading.enumerate()) - before
        assert not [t for t in started_here if t.name == "onward-inbound"]  # ... here
        assert _count(rig, InboundMessage) == 1 and _count(rig, Run) == 1
    finally:
        blocker.dispose()
        rig.runtime.close()


# --- every message a provider delivered is stored, whatever the phone metadata says ----------


def test_a_number_the_metadata_calls_invalid_is_stored_and_routed(rig: WebRig) -> None:
    uk_drama_range = "+447700900123"  # phonenumbers: not a valid number; a carrier: a person
    response = rig.client.post(SMS, json={"from": uk_drama_range, "body": "REJECTED Acme"})
    assert response.status_code == 200
    assert "Acme" in response.json()["reply"]
    assert "time zone" not in response.json()["reply"]  # one zone in the UK: nothing to ask
    with rig.runtime.sessions() as session:
        person = session.scalars(select(Person)).one()
        assert (person.phone, person.timezone, person.country) == (
            uk_drama_range,
            "Europe/London",
            "GB",
        )
    assert _count(rig, Run) == 1


def test_a_country_spanning_zones_asks_once_which_zone(rig: WebRig) -> None:
    sender = "+1 999 555 0100"  # +1, but no area code the metadata knows
    first = rig.client.post(SMS, json={"from": sender, "body": "REJECTED Acme"}).json()["reply"]
    assert "Acme" in first and "TZ America/Chicago" in first
    second = rig.client.post(SMS, json={"from": sender, "body": "HELP"}).json()["reply"]
    assert "TZ America/Chicago" not in second
    with rig.runtime.sessions() as session:
        person = session.scalars(select(Person)).one()
        assert (person.phone, person.timezone) == ("+19995550100", "America/New_York")


@pytest.mark.parametrize(
    ("sender", "reason"),
    [("ACME", "alphanumeric"), ("12345", "short code"), ("+1415", "too short")],
)
def test_a_message_from_no_phone_number_is_kept_with_a_reason(
    rig: WebRig, sender: str, reason: str
) -> None:
    headers = {"X-Console-Message-Id": "from-nobody"}
    for _ in range(2):  # the provider's retry finds it stored once
        response = rig.client.post(
            SMS, json={"from": sender, "body": "REJECTED Acme"}, headers=headers
        )
        assert response.status_code == 200
        assert response.json()["reply"] is None
    with rig.runtime.sessions() as session:
        (kept,) = session.scalars(select(InboundMessage)).all()
        assert kept.body == "REJECTED Acme" and kept.sender == sender
        assert kept.handled_at is not None and reason in (kept.error or "")
    assert _count(rig, Person) == 0

"""Changes to a running plan: a new time zone keeps wall times, a crisis hold outlasts PAUSE,
ending a run closes queued retries, and an operator retry never re-sends what went out."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from onward.engine.clock import FakeClock
from onward.engine.deliveries import retry
from onward.engine.errors import UsageError
from onward.engine.storage.models import Delivery, Run, Step
from tests.integration.dispatch_helpers import FlakyChannel, Harness
from tests.integration.inbound_helpers import PHONE, Talk


def _local_walls(talk: Talk, zone: str) -> dict[str, str]:
    run = talk.rows(Run)[0]
    tz = ZoneInfo(zone)
    return {
        s.step_key: s.due_at.astimezone(tz).strftime("%a %H:%M")
        for s in talk.rows(Step, Step.run_id == run.id, Step.status == "pending")
    }


def test_a_new_time_zone_keeps_each_step_at_its_local_wall_time(
    engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(engine, clock)
    talk.say("REJECTED Acme")
    before = _local_walls(talk, "America/Los_Angeles")
    reply = talk.say("TZ europe/london")
    assert reply is not None and "Europe/London" in reply
    assert _local_walls(talk, "Europe/London") == before
    assert before["checkin"].endswith("18:00")


def test_pause_during_a_crisis_hold_keeps_the_hold(engine: Engine, clock: FakeClock) -> None:
    talk = Talk(engine, clock)
    talk.say("REJECTED Acme")
    crisis = talk.say("honestly I want to die")
    assert crisis is not None and "988" in crisis
    reply = talk.say("PAUSE 1d")
    assert reply is not None and "RESUME" in reply
    run = talk.rows(Run)[0]
    assert (run.status, run.pause_reason, run.paused_until) == ("paused", "crisis", None)


def test_ending_a_run_closes_a_delivery_queued_for_a_retry(
    engine: Engine, clock: FakeClock
) -> None:
    rig = Harness(engine, clock, sms=FlakyChannel.transient(1))
    run_id = rig.start_run()
    dispatcher = rig.dispatcher()
    first_due = dispatcher.earliest_due()
    assert first_due is not None
    clock.set(first_due)
    assert dispatcher.tick() == {"retried": 1}  # the channel fails the first step once
    queued = [d for d in rig.deliveries() if d.status == "queued"]
    assert len(queued) == 1
    talk = Talk(engine, clock)
    talk.say("HIRED")
    (closed,) = [d for d in rig.deliveries() if d.id == queued[0].id]
    assert closed.status == "cancelled"
    assert {s.status for s in rig.steps(run_id)} <= {"sent", "cancelled"}


def test_an_operator_retry_refuses_a_step_that_already_went_out(
    engine: Engine, clock: FakeClock
) -> None:
    rig = Harness(engine, clock)
    run_id = rig.start_run()
    rig.drive(rig.dispatcher(), until=clock.now() + timedelta(days=1, hours=12))
    checkin = rig.step(run_id, "checkin")
    assert checkin.status == "sent"
    with rig.sessions.begin() as session:
        old = Delivery(
            step_id=checkin.id,
            run_id=run_id,
            person_id=rig.person(PHONE).id,
            channel="console",
            medium="sms",
            address=PHONE,
            status="failed",
            status_rank=4,
            attempts=1,
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        session.add(old)
    with rig.sessions.begin() as session, pytest.raises(UsageError, match="already went out"):
        retry(session, old.id, clock.now())

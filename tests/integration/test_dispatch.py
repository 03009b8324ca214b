"""The dispatcher on both backends: right local time, quiet hours, DST, guards, retries."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from onward.channels import (
    DeliveryState,
    DeliveryStatus,
    OutboundMessage,
    PermanentSendError,
    RecipientOptedOut,
)
from onward.channels import TransientSendError as Transient
from onward.engine import consent_ledger, deliveries, status_callbacks
from onward.engine.cli import main
from onward.engine.cli.state import state
from onward.engine.clock import FakeClock
from onward.engine.consent_ledger import by_text
from onward.engine.dispatch.dispatcher import Dispatcher
from onward.engine.dispatch.retry import RetryPolicy
from onward.engine.errors import UsageError
from onward.engine.housekeeping import sweep
from onward.engine.runs import cancel, get_run, opt_out, pause, reopen_after_opt_out
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from onward.engine.storage.models import Person, Run, Step
from tests.integration.dispatch_helpers import WINDOW, FlakyChannel, Harness, due

LA = ZoneInfo("America/Los_Angeles")
EMAIL = "sam@example.org"


def flaky_world(db_engine: Engine, clock: FakeClock, channel: FlakyChannel) -> Harness:
    return Harness(db_engine, clock, sms=channel)


def local(value: datetime | None, tz: ZoneInfo = LA) -> str:
    assert value is not None
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def in_window(value: datetime | None, tz: ZoneInfo) -> bool:
    assert value is not None
    return 9 <= value.astimezone(tz).hour < 20


def failed_listing(world: Harness) -> list[dict[str, Any]]:
    """What `onward deliveries list --failed --json` prints for this database."""
    url = world.engine.url.render_as_string(hide_password=False)
    state.use(Runtime(load_settings({"ONWARD_DATABASE_URL": url}), clock=world.clock))
    try:
        with CliRunner().isolation() as (out, _err, _mixed):
            assert main(["deliveries", "list", "--failed", "--json"]) == 0
            sys.stdout.flush()
            rows: list[dict[str, Any]] = json.loads(out.getvalue().decode())
            return rows
    finally:
        state.use(None)


# -- a whole run ------------------------------------------------------------------------------


def test_a_whole_standard_run_goes_out_once_each_at_its_local_time(world: Harness) -> None:
    run_id = world.start_run(company="Acme")  # Tuesday 07:00 in San Francisco
    planned = {s.step_key: s.due_at for s in world.steps(run_id)}
    dispatcher = world.dispatcher()

    world.drive(dispatcher, until=planned["reflect"])
    # The person answered the reflection prompt: its reminder must not re-ask.
    world.update_step(world.step(run_id, "reflect").id, answered_at=world.clock.now())
    world.drive(dispatcher)

    steps = {s.step_key: s for s in world.steps(run_id)}
    sent = {key: local(s.sent_at) for key, s in steps.items() if s.status == "sent"}
    assert sent == {
        "ack": "2026-11-24 09:00",  # reported at 07:00: held for the window to open
        "checkin": "2026-11-25 18:00",
        "reflect": "2026-11-26 10:00",
        "feedback": "2026-11-28 10:00",
        "feedback.reminder": "2026-11-29 10:00",
        "apply": "2026-12-02 10:00",
        "research": "2026-12-02 15:00",  # 5 business days, Thanksgiving skipped
        "apply.reminder": "2026-12-05 10:00",
        "encourage": "2026-12-08 17:00",
    }
    assert steps["reflect.reminder"].status == "skipped"
    assert steps["reflect.reminder"].last_error == "the prompt was answered"
    for step in steps.values():
        if step.status == "sent":
            assert step.sent_at == planned[step.step_key]
            assert in_window(step.sent_at, LA)

    outbox = world.sms.outbox  # type: ignore[attr-defined]
    assert len(outbox) == 9
    assert len({m.delivery_id for m in outbox}) == 9
    assert all(m.to == "+14155550100" and m.medium == "sms" for m in outbox)
    assert "Acme" in outbox[0].body
    rows = world.deliveries()
    assert len(rows) == 9
    assert {r.status for r in rows} == {"delivered"}
    assert {r.step_id for r in rows} == {s.id for s in steps.values() if s.status == "sent"}
    by_delivery = {r.id: r.step_id for r in rows}
    texts = {steps_key(steps, by_delivery[m.delivery_id]): m.body for m in outbox}
    assert texts["feedback.reminder"].startswith("Did you get a chance to ask for feedback?")

    # Nothing more is due; a week after the last nudge housekeeping closes the run.
    assert dispatcher.earliest_due() is None
    assert dispatcher.tick() == {}
    world.clock.set(planned["encourage"] + timedelta(days=7, minutes=1))
    with world.sessions.begin() as session:
        assert sweep(session, world.clock.now(), WINDOW) == {
            "resumed": 0,
            "completed": 1,
            "erased_by_retention": 0,
            "journal_links_forgotten": 0,
        }
        assert session.get(Run, run_id).status == "completed"  # type: ignore[union-attr]


def steps_key(steps: dict[str, Step], step_id: int | None) -> str:
    return next(key for key, step in steps.items() if step.id == step_id)


# -- quiet hours and DST ------------------------------------------------------------------------


def test_a_step_due_at_night_waits_for_the_morning(world: Harness) -> None:
    run_id = world.start_run()
    dispatcher = world.dispatcher()
    world.drive(dispatcher, until=world.step(run_id, "ack").due_at)
    checkin = world.step(run_id, "checkin")
    night = datetime(2026, 11, 25, 22, 0, tzinfo=LA)
    world.update_step(checkin.id, due_at=night)

    world.clock.set(night)
    assert dispatcher.tick() == {"rescheduled": 1}
    assert len(world.sms.outbox) == 1  # type: ignore[attr-defined]
    moved = world.step(run_id, "checkin")
    assert (moved.status, local(moved.due_at)) == ("pending", "2026-11-26 09:00")
    assert moved.claimed_by is None and moved.lease_until is None
    assert dispatcher.earliest_due() == moved.due_at

    world.clock.advance(timedelta(hours=10, minutes=59))  # 08:59: still quiet
    assert dispatcher.tick() == {}
    world.clock.advance(timedelta(minutes=1))
    assert dispatcher.tick() == {"sent": 1}
    assert local(world.step(run_id, "checkin").sent_at) == "2026-11-26 09:00"


@pytest.mark.parametrize(
    ("phone", "zone", "reported", "expected"),
    [
        pytest.param(
            "+12125550100",
            "America/New_York",
            datetime(2026, 10, 30, 18, 0, tzinfo=UTC),  # Friday 14:00 EDT
            {
                "checkin": datetime(2026, 10, 31, 22, 0, tzinfo=UTC),  # 18:00 EDT
                "reflect": datetime(2026, 11, 1, 15, 0, tzinfo=UTC),  # 10:00 EST, clocks fell back
                "reflect.reminder": datetime(2026, 11, 2, 15, 0, tzinfo=UTC),
            },
            id="new-york-fall-back",
        ),
        pytest.param(
            "+442079460000",
            "Europe/London",
            datetime(2026, 3, 27, 12, 0, tzinfo=UTC),  # Friday 12:00 GMT
            {
                "checkin": datetime(2026, 3, 28, 18, 0, tzinfo=UTC),  # 18:00 GMT
                "reflect": datetime(2026, 3, 29, 9, 0, tzinfo=UTC),  # 10:00 BST, sprang forward
                "reflect.reminder": datetime(2026, 3, 30, 9, 0, tzinfo=UTC),
            },
            id="london-spring-forward",
        ),
    ],
)
def test_steps_across_a_clock_change_keep_their_wall_time(
    db_engine: Engine, phone: str, zone: str, reported: datetime, expected: dict[str, datetime]
) -> None:
    tz = ZoneInfo(zone)
    world = Harness(db_engine, FakeClock(reported))
    run_id = world.start_run(phone=phone)
    assert world.person(phone).timezone == zone
    planned = {s.step_key: s.due_at for s in world.steps(run_id)}
    world.drive(world.dispatcher())

    steps = world.steps(run_id)
    assert {s.status for s in steps} == {"sent"}
    for key, instant in expected.items():
        assert planned[key] == instant
    plan_times = {"checkin": "18:00", "reflect": "10:00", "feedback": "10:00", "apply": "10:00"}
    for step in steps:
        assert step.sent_at == planned[step.step_key]
        assert in_window(step.sent_at, tz)
        if step.step_key in plan_times:
            assert step.sent_at.astimezone(tz).strftime("%H:%M") == plan_times[step.step_key]
    outbox = world.sms.outbox  # type: ignore[attr-defined]
    assert len(outbox) == len(steps) == len(world.deliveries())
    assert len({m.delivery_id for m in outbox}) == len(steps)


# -- guards at the moment of sending ---------------------------------------------------------


def test_an_sms_opt_out_after_scheduling_skips_the_step(world: Harness) -> None:
    run_id = world.start_run()
    world.update_person(sms_status="opted_out")
    dispatcher = world.dispatcher()
    world.clock.set(world.step(run_id, "ack").due_at)
    assert dispatcher.tick() == {"skipped": 1}
    ack = world.step(run_id, "ack")
    assert ack.status == "skipped" and "opted out" in (ack.last_error or "")
    assert world.sms.outbox == [] and world.deliveries() == []  # type: ignore[attr-defined]


def test_an_sms_opt_out_with_an_active_email_sends_by_email(world: Harness) -> None:
    run_id = world.start_run(company="Acme")
    world.update_person(sms_status="opted_out", email=EMAIL, email_status="active")
    dispatcher = world.dispatcher()
    world.clock.set(world.step(run_id, "ack").due_at)
    assert dispatcher.tick() == {"sent": 1}
    assert world.sms.outbox == []  # type: ignore[attr-defined]
    [message] = world.email.outbox  # type: ignore[attr-defined]
    assert (message.medium, message.to) == ("email", EMAIL)
    assert message.subject == "I'm sorry about Acme"
    [row] = world.deliveries()
    assert (row.medium, row.address, row.status) == ("email", EMAIL, "delivered")


def test_nothing_of_a_paused_run_is_claimed(world: Harness) -> None:
    run_id = world.start_run()
    dispatcher = world.dispatcher()
    with world.sessions.begin() as session:
        pause(session, get_run(session, run_id), world.clock.now(), None, "person")
    world.clock.set(world.step(run_id, "checkin").due_at)  # ack and checkin both overdue
    assert dispatcher.tick() == {}
    assert dispatcher.earliest_due() is None
    assert world.sms.outbox == []  # type: ignore[attr-defined]
    assert {s.status for s in world.steps(run_id)} == {"pending"}


def _two_steps_due_together(world: Harness) -> tuple[int, Dispatcher]:
    """A run whose ack went out, with its checkin and reflect due at the same moment."""
    run_id = world.start_run()
    dispatcher = world.dispatcher()
    world.drive(dispatcher, until=world.step(run_id, "ack").due_at)
    at = datetime(2026, 11, 25, 12, 0, tzinfo=LA)
    for key in ("checkin", "reflect"):
        world.update_step(world.step(run_id, key).id, due_at=at)
    world.clock.set(at)
    return run_id, dispatcher


def test_a_pause_while_a_batch_is_sent_holds_the_rest_of_it(
    db_engine: Engine, clock: FakeClock
) -> None:
    world = flaky_world(db_engine, clock, FlakyChannel())
    run_id, dispatcher = _two_steps_due_together(world)

    def paused_meanwhile(_message: OutboundMessage) -> None:
        world.clock.advance(timedelta(seconds=3))  # a paced batch: the next send is checked
        with world.sessions.begin() as session:
            run = session.get(Run, run_id)
            if run is not None and run.status == "active":
                pause(session, run, world.clock.now(), None, "person")

    world.sms.during_send = paused_meanwhile  # type: ignore[attr-defined]
    assert dispatcher.tick() == {"sent": 1, "released": 1}
    held = [s for s in world.steps(run_id) if s.step_key in ("checkin", "reflect")]
    assert sorted((s.status, s.claimed_by) for s in held) == [("pending", None), ("sent", None)]
    world.clock.advance(timedelta(hours=1))
    assert dispatcher.tick() == {}  # nothing of a paused run is claimed
    assert len(world.sms.outbox) == 2  # type: ignore[attr-defined]  # (the ack, then one)


@pytest.mark.parametrize("ending", ["superseded", "cancelled"])
def test_a_run_that_ends_while_a_batch_is_sent_has_the_rest_cancelled(
    db_engine: Engine, clock: FakeClock, ending: str
) -> None:
    world = flaky_world(db_engine, clock, FlakyChannel())
    run_id, dispatcher = _two_steps_due_together(world)
    newer: list[int] = []

    def ended_meanwhile(_message: OutboundMessage) -> None:
        world.clock.advance(timedelta(seconds=3))
        if world.steps(run_id)[-1].status == "cancelled":
            return  # ended already
        if ending == "superseded":
            newer.append(world.start_run(company="Globex"))
        else:
            with world.sessions.begin() as session:
                cancel(session, get_run(session, run_id), world.clock.now())

    world.sms.during_send = ended_meanwhile  # type: ignore[attr-defined]
    assert dispatcher.tick() == {"sent": 1, "cancelled": 1}
    steps = world.steps(run_id)
    assert sorted(s.status for s in steps if s.step_key in ("checkin", "reflect")) == [
        "cancelled",
        "sent",
    ]
    assert {s.status for s in steps if s.status != "sent"} == {"cancelled"}
    unsent = [d for d in world.deliveries() if d.status not in ("sent", "delivered")]
    assert [d.status for d in unsent] == ["cancelled"]  # not left queued for a retry
    assert len(world.sms.outbox) == 2  # type: ignore[attr-defined]
    world.sms.during_send = None  # type: ignore[attr-defined]
    world.clock.advance(timedelta(hours=1))
    outcome = dispatcher.tick()
    if ending == "superseded":
        # Only the newer run speaks: one stream per person.
        assert outcome == {"sent": 1}
        assert "Globex" in world.sms.outbox[-1].body  # type: ignore[attr-defined]
        assert world.deliveries()[-1].run_id == newer[0]
    else:
        assert outcome == {}


def test_a_stop_while_a_batch_is_sent_keeps_the_rest_for_a_start(
    db_engine: Engine, clock: FakeClock
) -> None:
    """STOP arrives while the provider takes the first of two steps handed over together: the
    second is not sent, and ends as the opt-out ended the run's other steps, so START (within
    30 days) brings it back."""
    world = flaky_world(db_engine, clock, FlakyChannel())
    run_id, dispatcher = _two_steps_due_together(world)

    def stop_meanwhile(_message: OutboundMessage) -> None:
        world.clock.advance(timedelta(seconds=3))
        with world.sessions.begin() as session:
            person = session.scalars(select(Person)).one()
            if person.sms_status == "active":
                opt_out(session, person, "sms", world.clock.now(), by_text("STOP"))

    world.sms.during_send = stop_meanwhile  # type: ignore[attr-defined]
    assert dispatcher.tick() == {"sent": 1, "cancelled": 1}
    world.sms.during_send = None  # type: ignore[attr-defined]
    unsent = next(
        s
        for s in world.steps(run_id)
        if s.step_key in ("checkin", "reflect") and s.status != "sent"
    )
    assert (unsent.status, unsent.last_error, unsent.sent_at) == ("cancelled", "opted out", None)
    with world.sessions.begin() as session:
        person = session.scalars(select(Person)).one()
        consent_ledger.record(person, "sms", "active", world.clock.now(), by_text("START"))
        assert reopen_after_opt_out(session, person, world.clock.now(), WINDOW) is not None
    assert world.step(run_id, unsent.step_key).status == "pending"


# -- retries and failures -------------------------------------------------------------------


def test_transient_errors_retry_no_sooner_than_retry_after_then_send_once(
    db_engine: Engine, clock: FakeClock
) -> None:
    channel = FlakyChannel.transient(2, retry_after=timedelta(seconds=120))
    world = flaky_world(db_engine, clock, channel)
    run_id = world.start_run()
    dispatcher = world.dispatcher()
    ack_id = world.step(run_id, "ack").id
    world.clock.set(world.step(run_id, "ack").due_at)

    for attempt in (1, 2):
        failed_at = world.clock.now()
        assert dispatcher.tick() == {"retried": 1}
        step = world.step(run_id, "ack")
        assert step.status == "pending" and step.due_at >= failed_at + timedelta(seconds=120)
        assert step.due_at <= failed_at + timedelta(seconds=120) + timedelta(seconds=60)
        [row] = world.deliveries(ack_id)
        assert (row.status, row.attempts) == ("queued", attempt)
        assert dispatcher.earliest_due() == step.due_at
        world.clock.set(step.due_at - timedelta(seconds=1))
        assert dispatcher.tick() == {}  # not a second early
        world.clock.set(step.due_at)

    assert dispatcher.tick() == {"sent": 1}
    [row] = world.deliveries(ack_id)
    assert (row.status, row.attempts, row.error) == ("sent", 3, None)
    assert row.provider_id == f"flaky-{row.id}-1"
    assert [m.delivery_id for m in channel.calls] == [row.id] * 3
    assert len(channel.outbox) == 1
    assert world.step(run_id, "ack").status == "sent"


def test_retries_give_up_at_the_limit_and_an_operator_retry_gets_a_fresh_budget(
    db_engine: Engine, clock: FakeClock
) -> None:
    channel = FlakyChannel(forever=Transient("provider down"))
    world = flaky_world(db_engine, clock, channel)
    run_id = world.start_run()
    dispatcher = world.dispatcher(retry=RetryPolicy(max_attempts=3))
    ack_id = world.step(run_id, "ack").id

    outcomes = []
    for _ in range(3):
        world.clock.set(due(dispatcher))
        outcomes.append(dispatcher.tick())
    assert outcomes == [{"retried": 1}, {"retried": 1}, {"failed": 1}]
    step = world.step(run_id, "ack")
    assert step.status == "failed" and "gave up after 3 attempts" in (step.last_error or "")
    [row] = world.deliveries(ack_id)
    assert (row.status, row.attempts, row.error) == ("failed", 3, "provider down")
    assert [r["id"] for r in failed_listing(world)] == [row.id]

    # `onward deliveries retry ID`: queued again, due now, tried again with a fresh budget.
    with world.sessions.begin() as session:
        deliveries.retry(session, row.id, world.clock.now())
    assert dispatcher.tick() == {"retried": 1}  # not "failed" after a single attempt
    channel.forever = None
    world.clock.set(due(dispatcher))
    assert dispatcher.tick() == {"sent": 1}
    [row] = world.deliveries(ack_id)
    assert (row.status, row.attempts) == ("sent", 5)
    assert len(channel.outbox) == 1 and failed_listing(world) == []


def test_a_permanent_error_fails_at_once_and_retry_requeues_it(
    db_engine: Engine, clock: FakeClock
) -> None:
    channel = FlakyChannel(PermanentSendError("not a mobile number", code="21614"))
    world = flaky_world(db_engine, clock, channel)
    run_id = world.start_run()
    dispatcher = world.dispatcher()
    ack = world.step(run_id, "ack")
    world.clock.set(ack.due_at)

    assert dispatcher.tick() == {"failed": 1}
    [row] = world.deliveries(ack.id)
    assert (row.status, row.error, row.error_code, row.attempts) == (
        "failed",
        "not a mobile number",
        "21614",
        1,
    )
    assert world.step(run_id, "ack").status == "failed"
    [listed] = failed_listing(world)
    assert (listed["id"], listed["step"], listed["error"]) == (row.id, "ack", "not a mobile number")

    world.clock.advance(timedelta(minutes=10))
    with world.sessions.begin() as session:
        deliveries.retry(session, row.id, world.clock.now())
    assert world.step(run_id, "ack").due_at == world.clock.now()
    assert dispatcher.tick() == {"sent": 1}
    assert [r.status for r in world.deliveries(ack.id)] == ["sent"]  # the same row, not a second
    assert len(channel.outbox) == 1
    with world.sessions.begin() as session, pytest.raises(UsageError):
        deliveries.retry(session, row.id, world.clock.now())  # sent ones are not retried


@pytest.mark.parametrize(
    ("then", "step_status", "delivery_status"),
    [("daemon-down-7h", "missed", "missed"), ("opted-out", "skipped", "cancelled")],
)
def test_a_retry_that_will_never_be_made_does_not_leave_its_delivery_queued(
    db_engine: Engine, clock: FakeClock, then: str, step_status: str, delivery_status: str
) -> None:
    world = flaky_world(db_engine, clock, FlakyChannel.transient(1))
    run_id = world.start_run()
    dispatcher = world.dispatcher()
    world.clock.set(world.step(run_id, "ack").due_at)
    assert dispatcher.tick() == {"retried": 1}
    assert [r.status for r in world.deliveries()] == ["queued"]
    if then == "opted-out":
        world.update_person(sms_status="opted_out")
        world.clock.set(due(dispatcher))
    else:
        world.clock.set(due(dispatcher) + timedelta(hours=7))
    assert dispatcher.tick() == {step_status: 1}
    assert world.step(run_id, "ack").status == step_status
    [row] = world.deliveries()
    assert row.status == delivery_status and row.error
    assert world.sms.outbox == []  # type: ignore[attr-defined]


def test_a_reminder_waits_for_its_prompt(world: Harness) -> None:
    run_id = world.start_run()
    dispatcher = world.dispatcher()
    world.drive(dispatcher, until=world.step(run_id, "checkin").due_at)
    reflect = world.step(run_id, "reflect")
    reminder = world.step(run_id, "reflect.reminder")
    later = reminder.due_at + timedelta(hours=2)  # the prompt itself was held back
    world.update_step(reflect.id, due_at=later)
    world.clock.set(reminder.due_at)
    assert dispatcher.tick() == {"rescheduled": 1}
    assert world.step(run_id, "reflect.reminder").due_at == later + timedelta(days=1)
    world.clock.set(later)
    assert dispatcher.tick() == {"sent": 1}
    assert world.step(run_id, "reflect.reminder").status == "pending"


def test_a_carrier_opt_out_marks_the_person_and_stops_all_sms(
    db_engine: Engine, clock: FakeClock
) -> None:
    channel = FlakyChannel(RecipientOptedOut("unsubscribed recipient", code="21610"))
    world = flaky_world(db_engine, clock, channel)
    run_id = world.start_run()
    dispatcher = world.dispatcher()
    world.clock.set(world.step(run_id, "ack").due_at)
    assert dispatcher.tick() == {"skipped": 1}
    assert world.person().sms_status == "opted_out"
    [row] = world.deliveries()
    assert (row.status, row.error_code) == ("failed", "21610")

    world.drive(dispatcher)
    assert len(channel.calls) == 1 and channel.outbox == []
    # The same as STOP: nothing else can carry the plan, so it ends and what waits is cancelled.
    steps = world.steps(run_id)
    assert steps[0].status == "skipped"
    assert {s.status for s in steps[1:]} == {"cancelled"}
    with world.sessions() as session:
        assert session.get(Run, run_id).status == "cancelled"  # type: ignore[union-attr]


def test_a_carrier_opt_out_reroutes_to_an_active_email(db_engine: Engine, clock: FakeClock) -> None:
    channel = FlakyChannel(RecipientOptedOut("unsubscribed recipient", code="21610"))
    world = flaky_world(db_engine, clock, channel)
    run_id = world.start_run(email=EMAIL, email_status="active")
    dispatcher = world.dispatcher()
    ack = world.step(run_id, "ack")
    world.clock.set(ack.due_at)
    assert dispatcher.tick() == {"rerouted": 1}
    assert dispatcher.tick() == {"sent": 1}
    [failed, sent] = world.deliveries(ack.id)
    assert (failed.medium, failed.status) == ("sms", "failed")
    assert (sent.medium, sent.address, sent.status) == ("email", EMAIL, "delivered")
    assert len(world.email.outbox) == 1  # type: ignore[attr-defined]


# -- the wake-up time and status callbacks ------------------------------------------------------


def test_earliest_due_is_the_next_pending_step_of_an_active_run(world: Harness) -> None:
    dispatcher = world.dispatcher()
    assert dispatcher.earliest_due() is None
    run_id = world.start_run()
    steps = {s.step_key: s for s in world.steps(run_id)}
    assert dispatcher.earliest_due() == steps["ack"].due_at
    assert dispatcher.earliest_due().tzinfo is not None  # type: ignore[union-attr]

    world.clock.set(steps["ack"].due_at)
    while_claimed: list[datetime | None] = []
    channel = FlakyChannel()
    channel.during_send = lambda _message: while_claimed.append(dispatcher.earliest_due())
    world.sms = channel
    dispatcher = world.dispatcher()
    assert dispatcher.tick() == {"sent": 1}
    assert while_claimed == [steps["checkin"].due_at]  # claimed is not pending
    world.update_step(steps["checkin"].id, status="cancelled")
    assert dispatcher.earliest_due() == steps["reflect"].due_at

    other = world.start_run(phone="+12125550100")  # 10:00 in New York: its ack is now
    assert dispatcher.earliest_due() == world.step(other, "ack").due_at
    with world.sessions.begin() as session:
        pause(session, get_run(session, other), world.clock.now(), None, "person")
    assert dispatcher.earliest_due() == steps["reflect"].due_at
    with world.sessions.begin() as session:
        cancel(session, get_run(session, run_id), world.clock.now())
    assert dispatcher.earliest_due() is None


def test_the_dispatcher_gives_way_before_each_batch_it_claims(world: Harness) -> None:
    """The daemon's webhooks go first: the hook runs before every claim, holding nothing."""
    for n in range(3):
        world.start_run(phone=f"+1415555{n:04d}")
    dispatcher = world.dispatcher(batch=2)
    held_during_hook: list[int] = []

    def give_way() -> None:
        with world.sessions() as session:
            claimed = select(func.count()).select_from(Step).where(Step.status == "claimed")
            held_during_hook.append(session.scalar(claimed) or 0)

    dispatcher.before_batch = give_way
    world.clock.set(due(dispatcher))
    assert dispatcher.tick() == {"sent": 3}  # the three acks, due at the same moment
    # A batch of 2, then one that came back short: a hook before each, nothing claimed.
    assert held_during_hook == [0, 0]


def test_the_dispatcher_gives_way_before_each_send(world: Harness) -> None:
    """And before each send: a webhook being handled goes first (at most 5 ms a send)."""
    for n in range(3):
        world.start_run(phone=f"+1415555{n:04d}")
    dispatcher = world.dispatcher(batch=10)
    sent_before: list[int] = []
    dispatcher.before_send = lambda: sent_before.append(len(world.sms.outbox))
    world.clock.set(due(dispatcher))
    assert dispatcher.tick() == {"sent": 3}
    assert sent_before == [0, 1, 2]  # one hook before each of the three, and not after


def test_status_callbacks_only_move_a_delivery_forward(db_engine: Engine, clock: FakeClock) -> None:
    world = flaky_world(db_engine, clock, FlakyChannel(status="sent"))
    run_id = world.start_run()
    dispatcher = world.dispatcher()
    world.clock.set(world.step(run_id, "ack").due_at)
    assert dispatcher.tick() == {"sent": 1}
    [row] = world.deliveries()
    assert (row.channel, row.status) == ("flaky", "sent")

    def apply(
        state: DeliveryState,
        provider_id: str | None = row.provider_id,
        delivery_id: int | None = None,
    ) -> bool:
        status = DeliveryStatus("flaky", provider_id, delivery_id, state)
        with world.sessions.begin() as session:
            return status_callbacks.apply_status(
                session, status, world.clock.now(), {"sms", "email"}
            )

    assert apply("delivered") is True
    assert apply("sent") is False  # late
    assert apply("delivered") is False  # repeated
    assert apply("undelivered") is False  # terminal: the first one recorded wins
    assert apply("delivered", provider_id="SMnope") is False  # unknown provider id
    assert apply("delivered", provider_id=None, delivery_id=row.id + 999) is False
    assert apply("failed", provider_id="SMnope", delivery_id=row.id) is False  # ids disagree
    [row] = world.deliveries()
    assert (row.status, row.status_rank) == ("delivered", 4)

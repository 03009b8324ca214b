"""Leases, crashes, restarts and races: no step is lost, and none reaches a person twice."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from onward.channels import (
    Channel,
    ChannelContext,
    DeliveryStatus,
    OutboundMessage,
    SendInDoubt,
    SendResult,
)
from onward.channels.twilio_sms import TwilioSmsChannel
from onward.engine.channel_set import ChannelSet
from onward.engine.clock import FakeClock
from onward.engine.daemon import Daemon
from onward.engine.dispatch.dispatcher import DispatchConfig, Dispatcher
from onward.engine.housekeeping import sweep
from onward.engine.runs import get_run, pause
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from onward.engine.status_callbacks import apply_status
from onward.engine.storage.db import create_db_engine, session_factory
from onward.engine.storage.models import Delivery, Run, Step
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, running_fake
from tests.integration.dispatch_helpers import (
    WINDOW,
    FlakyChannel,
    Harness,
    ProcessKilled,
    due,
    kill_the_process,
)

LA = ZoneInfo("America/Los_Angeles")
LEASE = timedelta(seconds=120)


def local(value: datetime | None) -> str:
    assert value is not None
    return value.astimezone(LA).strftime("%Y-%m-%d %H:%M")


def restarted_daemon(world: Harness, **env: str) -> Daemon:
    """`onward serve` starting afresh: settings, a new engine, the same database."""
    url = world.engine.url.render_as_string(hide_password=False)
    settings = load_settings({"ONWARD_DATABASE_URL": url, **env})
    channels = ChannelSet({"sms": ("console", world.sms), "email": ("console", world.email)})
    return Daemon(Runtime(settings, world.clock, channels=channels))


# -- leases ---------------------------------------------------------------------------------


def test_a_lease_that_ran_out_passes_the_step_to_another_dispatcher(
    db_engine: Engine, clock: FakeClock
) -> None:
    """A dispatcher stalls past its lease inside a send: another takes the step over, finds its
    delivery in `sending` and never sends it a second time; the stalled send, when it returns,
    is recorded on the one delivery."""
    world = Harness(db_engine, clock, sms=FlakyChannel())
    run_id = world.start_run()
    stalled, other = world.dispatcher("A"), world.dispatcher("B")
    ack = world.step(run_id, "ack")
    world.clock.set(ack.due_at)
    others: list[dict[str, int]] = []

    def stalls_past_the_lease(_message: OutboundMessage) -> None:
        others.append(other.tick())  # the lease holds: B takes nothing
        world.clock.advance(LEASE + timedelta(seconds=1))
        others.append(other.tick())

    world.sms.during_send = stalls_past_the_lease  # type: ignore[attr-defined]
    assert stalled.tick() == {"sent": 1}
    assert others == [{}, {"unknown": 1}]
    assert len(world.sms.calls) == 1  # type: ignore[attr-defined]
    [row] = world.deliveries()
    assert row.status == "sent" and row.provider_id  # A's answer settles B's doubt
    step = world.step(run_id, "ack")
    assert (step.status, step.claimed_by, step.lease_until) == ("sent", None, None)


def test_a_dispatcher_keeps_its_lease_while_a_slow_batch_is_sent(
    db_engine: Engine, clock: FakeClock
) -> None:
    world = Harness(db_engine, clock, sms=FlakyChannel(status="delivered"))
    run_id = world.start_run()
    slow, other = world.dispatcher("slow"), world.dispatcher("other")
    ack = world.step(run_id, "ack")
    world.update_step(world.step(run_id, "checkin").id, due_at=ack.due_at)
    world.clock.set(ack.due_at)
    others_ticks = []

    def provider_takes_70_seconds(_message: OutboundMessage) -> None:
        world.clock.advance(timedelta(seconds=70))
        others_ticks.append(other.tick())

    world.sms.during_send = provider_takes_70_seconds  # type: ignore[attr-defined]
    # Both steps are claimed and prepared together at t0 (lease to t0+120 s). The first send
    # takes until t0+70 s, past half the lease: the second is not started late but handed back
    # to the queue, due at once, so no one ever finds it half-sent; the next tick sends it.
    assert slow.tick() == {"sent": 1, "released": 1}
    assert slow.tick() == {"sent": 1}
    assert others_ticks == [{}, {}]
    rows = world.deliveries()
    assert [(r.status, r.error) for r in rows] == [("delivered", None)] * 2
    assert len(world.sms.outbox) == 2  # type: ignore[attr-defined]


def test_a_delivery_left_sending_by_a_crash_is_never_sent_again(
    db_engine: Engine, clock: FakeClock
) -> None:
    world = Harness(db_engine, clock, sms=FlakyChannel())
    run_id = world.start_run()
    doomed, survivor = world.dispatcher("A"), world.dispatcher("B")
    ack = world.step(run_id, "ack")
    world.clock.set(ack.due_at)
    # The delivery row is written in `sending`, and A dies in the middle of the send.
    world.sms.during_send = kill_the_process  # type: ignore[attr-defined]
    with pytest.raises(ProcessKilled):
        doomed.tick()
    world.sms.during_send = None  # type: ignore[attr-defined]
    [row] = world.deliveries()
    assert row.status == "sending"

    assert survivor.tick() == {}  # A's lease still runs
    world.clock.advance(LEASE + timedelta(seconds=1))
    assert survivor.tick() == {"unknown": 1}
    assert world.sms.calls == []  # type: ignore[attr-defined]  # (none by the survivor)
    [row] = world.deliveries()
    assert row.status == "unknown" and "not re-sent" in (row.error or "")
    step = world.step(run_id, "ack")
    assert (step.status, step.claimed_by) == ("sent", None)
    assert survivor.earliest_due() == world.step(run_id, "checkin").due_at

    # The provider's callback, carrying our delivery id, settles what really happened.
    status = DeliveryStatus("console", "SM-late", row.id, "delivered")
    with world.sessions.begin() as session:
        assert apply_status(session, status, world.clock.now(), {"sms", "email"}) is True
    [row] = world.deliveries()
    assert (row.status, row.provider_id) == ("delivered", "SM-late")


def test_a_restart_after_kill_9_mid_send_does_not_send_again(world: Harness) -> None:
    run_id = world.start_run()
    ack = world.step(run_id, "ack")
    person_id = world.person().id
    world.clock.set(ack.due_at + timedelta(minutes=1))
    # What a process killed between "sending" and the provider's answer leaves behind.
    with world.sessions.begin() as session:
        step = session.get(Step, ack.id)
        assert step is not None
        step.status, step.claimed_by = "claimed", "old-host:4242"
        step.lease_until, step.attempts = ack.due_at + LEASE, 1
        session.add(
            Delivery(
                step_id=ack.id,
                run_id=run_id,
                person_id=person_id,
                channel="console",
                medium="sms",
                address="+14155550100",
                status="sending",
                status_rank=1,
                attempts=1,
                created_at=ack.due_at,
                updated_at=ack.due_at,
            )
        )
    world.clock.set(ack.due_at + LEASE + timedelta(seconds=5))
    daemon = restarted_daemon(world)
    assert daemon.dispatcher.tick() == {"unknown": 1}
    assert world.sms.outbox == []  # type: ignore[attr-defined]
    assert [r.status for r in world.deliveries()] == ["unknown"]
    assert daemon.dispatcher.tick() == {}


# -- restarts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overdue", "outcome"),
    [(timedelta(hours=5), "sent"), (timedelta(hours=7), "missed")],
    ids=["5h-sent", "7h-missed"],
)
def test_a_restart_sends_recent_steps_and_marks_old_ones_missed(
    world: Harness, overdue: timedelta, outcome: str
) -> None:
    run_id = world.start_run()
    ack = world.step(run_id, "ack")  # 09:00 in San Francisco
    world.clock.set(
        ack.due_at + overdue
    )  # the daemon was down  # 14:00 or 16:00: inside the window either way
    daemon = restarted_daemon(world)
    assert daemon.dispatcher.config.grace == timedelta(hours=6)  # the default setting
    assert daemon.dispatcher.tick() == {outcome: 1}
    step = world.step(run_id, "ack")
    assert step.status == outcome
    if outcome == "sent":
        assert step.sent_at == world.clock.now()
        assert len(world.sms.outbox) == 1  # type: ignore[attr-defined]
    else:
        assert "not sent late" in (step.last_error or "")
        assert world.sms.outbox == [] and world.deliveries() == []  # type: ignore[attr-defined]

    # The rest of the plan carries on as scheduled.
    checkin = world.step(run_id, "checkin")
    world.clock.set(due(daemon.dispatcher))
    assert world.clock.now() == checkin.due_at
    assert daemon.dispatcher.tick() == {"sent": 1}


def test_the_grace_period_is_a_setting(world: Harness) -> None:
    run_id = world.start_run()
    ack = world.step(run_id, "ack")
    world.clock.set(ack.due_at + timedelta(hours=3))
    daemon = restarted_daemon(world, ONWARD_MISSED_GRACE_HOURS="2")
    assert daemon.dispatcher.tick() == {"missed": 1}
    assert world.sms.outbox == []  # type: ignore[attr-defined]


def test_a_restart_at_night_waits_for_the_morning_rather_than_missing(world: Harness) -> None:
    run_id = world.start_run()
    dispatcher = world.dispatcher()
    world.drive(dispatcher, until=world.step(run_id, "ack").due_at)
    checkin = world.step(run_id, "checkin")  # 18:00; the daemon was down until 22:00
    world.clock.set(checkin.due_at + timedelta(hours=4))
    daemon = restarted_daemon(world)
    assert daemon.dispatcher.tick() == {"rescheduled": 1}
    assert local(world.step(run_id, "checkin").due_at) == "2026-11-26 09:00"
    world.clock.set(due(daemon.dispatcher))
    assert daemon.dispatcher.tick() == {"sent": 1}
    assert len(world.sms.outbox) == 2  # type: ignore[attr-defined]


# -- races ----------------------------------------------------------------------------------


def test_dispatchers_racing_for_100_due_steps_claim_each_exactly_once(world: Harness) -> None:
    run_id = world.start_run()
    now = world.clock.now()
    with world.sessions.begin() as session:
        for n in range(100):
            session.add(
                Step(
                    run_id=run_id,
                    step_key="ack",
                    kind="message",
                    seq=0,
                    due_at=now - timedelta(seconds=n),
                    status="pending",
                    attempts=0,
                )
            )
    world.clock.set(datetime(2026, 11, 24, 12, 0, tzinfo=LA))  # inside the window
    url = world.engine.url.render_as_string(hide_password=False)
    racers = 4
    start = threading.Barrier(racers)
    channel = FlakyChannel()

    def race(worker: str) -> dict[str, int]:
        # A separate engine per dispatcher: separate connections, as separate replicas have.
        engine = create_db_engine(url)
        try:
            dispatcher = Dispatcher(
                session_factory(engine),
                world.clock,
                {"sms": ("flaky", channel)},
                world.dispatcher(worker, batch=7).config,
                sleep=lambda _seconds: None,
            )
            start.wait(timeout=10)
            return dispatcher.tick()
        finally:
            engine.dispose()

    with ThreadPoolExecutor(racers) as pool:
        outcomes = list(pool.map(race, [f"w{n}" for n in range(racers)]))

    assert sum(outcome.get("sent", 0) for outcome in outcomes) == 101  # and the run's own ack
    sent_steps = [d.step_id for d in world.deliveries()]
    assert len(sent_steps) == len(set(sent_steps)) == 101
    assert len(channel.calls) == 101
    with world.sessions() as session:
        statuses = {
            row.status for row in session.execute(select(Step.status).where(Step.step_key == "ack"))
        }
    assert statuses == {"sent"}


# -- housekeeping ---------------------------------------------------------------------------


def test_housekeeping_resumes_a_pause_that_ran_out_and_shifts_what_waits(world: Harness) -> None:
    run_id = world.start_run()
    dispatcher = world.dispatcher()
    world.drive(dispatcher, until=world.step(run_id, "ack").due_at)
    before = {s.step_key: s.due_at for s in world.steps(run_id) if s.status == "pending"}
    world.clock.advance(timedelta(hours=1))  # Tuesday 10:00
    until = world.clock.now() + timedelta(days=2)
    with world.sessions.begin() as session:
        pause(session, get_run(session, run_id), world.clock.now(), until, "person")

    world.clock.set(before["checkin"])
    assert dispatcher.tick() == {} and dispatcher.earliest_due() is None
    world.clock.set(until - timedelta(minutes=1))
    with world.sessions.begin() as session:
        assert sweep(session, world.clock.now(), WINDOW)["resumed"] == 0

    world.clock.set(until + timedelta(hours=3))  # housekeeping ran late: held 2 days 3 hours
    with world.sessions.begin() as session:
        assert sweep(session, world.clock.now(), WINDOW)["resumed"] == 1
        run = session.get(Run, run_id)
        assert run is not None
        assert (run.status, run.paused_at, run.paused_until) == ("active", None, None)
    after = {s.step_key: s.due_at for s in world.steps(run_id) if s.status == "pending"}
    assert after.keys() == before.keys()
    assert local(after["checkin"]) == "2026-11-28 09:00"  # 21:00 waits for the morning
    assert local(after["reflect"]) == "2026-11-28 13:00"
    assert local(after["encourage"]) == "2026-12-11 09:00"  # 20:00 is past the window too
    for key, when in after.items():
        if key not in ("checkin", "encourage"):
            assert when == before[key] + timedelta(days=2, hours=3)

    world.drive(dispatcher)
    steps = world.steps(run_id)
    assert {s.status for s in steps} == {"sent"}
    assert all(s.sent_at == after[s.step_key] for s in steps if s.step_key in after)


def test_the_clock_jumping_forward_and_back_loses_and_doubles_nothing(world: Harness) -> None:
    run_id = world.start_run()
    dispatcher = world.dispatcher()
    world.drive(dispatcher, until=world.clock.now() + timedelta(days=1))
    sent_before = [s.id for s in world.steps(run_id) if s.status == "sent"]
    world.clock.advance(timedelta(hours=1))  # an NTP correction forward...
    dispatcher.tick()
    world.clock.advance(timedelta(hours=-1))  # ...and back again
    dispatcher.tick()
    world.drive(dispatcher)
    steps = world.steps(run_id)
    assert set(sent_before) <= {s.id for s in steps if s.status == "sent"}
    delivered = [d.step_id for d in world.deliveries()]
    assert len(delivered) == len(set(delivered))  # no step sent twice
    assert {s.status for s in steps if s.reminder_of is None} == {"sent"}


def test_stopping_mid_batch_hands_unsent_steps_back_to_the_queue(
    db_engine: Engine, clock: FakeClock
) -> None:
    world = Harness(db_engine, clock, sms=FlakyChannel())
    run_ids = [world.start_run(phone=f"+1415555{n:04d}") for n in range(3)]
    dispatcher = world.dispatcher("stopping")
    first = world.step(run_ids[0], "ack")
    world.clock.set(first.due_at)

    def sigterm_arrives(_message: OutboundMessage) -> None:
        dispatcher.stopping = True  # as the daemon's shutdown does

    world.sms.during_send = sigterm_arrives  # type: ignore[attr-defined]
    assert dispatcher.tick() == {"sent": 1, "released": 2}
    acks = [world.step(run_id, "ack") for run_id in run_ids]
    assert sorted(s.status for s in acks) == ["pending", "pending", "sent"]
    statuses = sorted(d.status for d in world.deliveries())
    assert statuses == ["queued", "queued", "sent"]  # nothing left half-sent or unknown
    world.sms.during_send = None  # type: ignore[attr-defined]
    assert world.dispatcher("next").tick() == {"sent": 2}
    assert len(world.sms.outbox) == 3  # type: ignore[attr-defined]


def test_forget_while_the_provider_is_called_erases_and_breaks_nothing(
    db_engine: Engine, clock: FakeClock
) -> None:
    from onward.engine.people import forget, lookup

    world = Harness(db_engine, clock, sms=FlakyChannel())
    erased, kept = world.start_run(phone="+14155550100"), world.start_run(phone="+14155550101")
    dispatcher = world.dispatcher("w")
    world.clock.set(world.step(erased, "ack").due_at)

    def forget_yes_arrives(message: OutboundMessage) -> None:
        if message.to == "+14155550100":
            with world.sessions.begin() as session:
                forget(session, lookup(session, "+14155550100"))

    world.sms.during_send = forget_yes_arrives  # type: ignore[attr-defined]
    outcomes = dispatcher.tick()
    assert sum(outcomes.values()) == 2
    assert [d.address for d in world.deliveries()] == ["+14155550101"]  # nothing left of the other
    assert world.step(kept, "ack").status == "sent"


def test_a_status_callback_that_beats_the_record_is_not_set_back(
    db_engine: Engine, clock: FakeClock
) -> None:
    """A fast provider calls back `delivered` while its API call is still returning: recording
    the send afterwards must not move the delivery back to `sent`."""
    world = Harness(db_engine, clock, sms=FlakyChannel(status="sent"))
    run_id = world.start_run()
    ack = world.step(run_id, "ack")
    world.clock.set(ack.due_at)

    def callback_arrives_first(message: OutboundMessage) -> None:
        status = DeliveryStatus("flaky", None, message.delivery_id, "delivered")
        with world.sessions.begin() as session:
            assert apply_status(session, status, world.clock.now(), {"sms", "email"}) is True

    world.sms.during_send = callback_arrives_first  # type: ignore[attr-defined]
    assert world.dispatcher().tick() == {"sent": 1}
    [row] = world.deliveries()
    assert row.status == "delivered" and row.provider_id is not None
    assert world.step(run_id, "ack").status == "sent"


def _two_steps_due_together(world: Harness, at: datetime) -> tuple[Dispatcher, int]:
    run_id = world.start_run()
    dispatcher = world.dispatcher()
    world.drive(dispatcher, until=world.step(run_id, "ack").due_at)
    for key in ("checkin", "reflect"):
        world.update_step(world.step(run_id, key).id, due_at=at)
    world.clock.set(at)
    return dispatcher, run_id


def test_a_paced_batch_stops_at_the_window_close(db_engine: Engine, clock: FakeClock) -> None:
    """A provider's pace can stretch a batch past 20:00: what is left waits for the morning."""
    world = Harness(db_engine, clock, sms=FlakyChannel())
    dispatcher, run_id = _two_steps_due_together(
        world, datetime(2026, 11, 25, 19, 59, 59, tzinfo=LA)
    )
    world.sms.during_send = lambda _message: world.clock.advance(timedelta(seconds=2))  # type: ignore[attr-defined]
    assert dispatcher.tick() == {"sent": 1, "released": 1}
    assert len(world.sms.outbox) == 2  # type: ignore[attr-defined]  # (the ack, then one)
    assert dispatcher.tick() == {"rescheduled": 1}
    waiting = [s for s in world.steps(run_id) if s.step_key in ("checkin", "reflect")]
    assert sorted(s.status for s in waiting) == ["pending", "sent"]
    later = next(s for s in waiting if s.status == "pending")
    assert later.due_at.astimezone(LA).strftime("%Y-%m-%d %H:%M") == "2026-11-26 09:00"


def test_a_stop_during_a_paced_batch_holds_the_rest_of_it(
    db_engine: Engine, clock: FakeClock
) -> None:
    """STOP arrives while a slow batch is being sent: nothing more goes to that person."""
    world = Harness(db_engine, clock, sms=FlakyChannel())
    dispatcher, _ = _two_steps_due_together(world, datetime(2026, 11, 25, 12, 0, tzinfo=LA))

    def stop_arrives_meanwhile(_message: OutboundMessage) -> None:
        world.clock.advance(timedelta(seconds=3))
        world.update_person(sms_status="opted_out")

    world.sms.during_send = stop_arrives_meanwhile  # type: ignore[attr-defined]
    assert dispatcher.tick() == {"sent": 1, "released": 1}
    assert dispatcher.tick() == {"skipped": 1}
    assert len(world.sms.outbox) == 2  # type: ignore[attr-defined]  # (the ack, then one)


def test_a_dispatcher_killed_mid_batch_leaves_only_the_group_in_flight_in_doubt(
    db_engine: Engine, clock: FakeClock
) -> None:
    """At 2 messages a second a batch of 6 is handed over 2 at a time: killed during its third
    send, the dispatcher leaves 2 deliveries in doubt, not the 4 it had not yet recorded."""
    sms = FlakyChannel()
    sms.rate_per_sec = 2.0
    world = Harness(db_engine, clock, sms=sms)
    for n in range(6):
        world.start_run(phone=f"+1415555{n:04d}")
    doomed = world.dispatcher("doomed")
    world.clock.set(due(doomed))
    calls: list[str] = []

    def killed_at_the_third(message: OutboundMessage) -> None:
        calls.append(message.to)
        if len(calls) == 3:
            raise ProcessKilled

    sms.during_send = killed_at_the_third
    with pytest.raises(ProcessKilled):
        doomed.tick()
    states = Counter(d.status for d in world.deliveries())
    assert states == {"sent": 2, "sending": 2, "queued": 2}

    sms.during_send = None
    world.clock.advance(LEASE + timedelta(seconds=1))
    assert world.dispatcher("survivor").tick() == {"sent": 2, "unknown": 2}
    states = Counter(d.status for d in world.deliveries())
    assert states == {"sent": 4, "unknown": 2}
    assert len(world.deliveries()) == 6  # the queued ones went out on their own rows


# -- sends in doubt, settled by asking the provider ------------------------------------------------


class DiesAfterHandingOver:
    """The real Twilio channel, in a process killed right after its `n`-th message reached
    Twilio: the answer is never recorded (and the rest of the group is never sent)."""

    def __init__(self, twilio: TwilioSmsChannel, n: int) -> None:
        self.twilio, self.n, self.sent = twilio, n, 0
        self.name, self.medium, self.max_body = twilio.name, twilio.medium, twilio.max_body
        self.rate_per_sec, self.requires = twilio.rate_per_sec, twilio.requires
        self.settle_after = twilio.settle_after

    def send(self, message: OutboundMessage) -> SendResult:
        result = self.twilio.send(message)
        self.sent += 1
        if self.sent == self.n:
            raise ProcessKilled
        return result

    def find_sent(self, doubt: SendInDoubt) -> SendResult | None:
        return self.twilio.find_sent(doubt)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.twilio, name)


def test_sends_in_doubt_are_settled_by_twilios_list_none_lost_none_doubled(
    db_engine: Engine, clock: FakeClock
) -> None:
    with running_fake(clock=clock.now) as fake:
        context = ChannelContext(
            settings={
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "ONWARD_TWILIO_FROM": "+15005550006",
                "ONWARD_TWILIO_API_BASE": fake.base_url,
                "ONWARD_TWILIO_RATE_PER_SEC": "2",
            },
            clock=clock.now,
        )
        twilio = TwilioSmsChannel(context)
        world = Harness(db_engine, clock, sms=DiesAfterHandingOver(twilio, n=3))
        for n in range(5):
            world.start_run(phone=f"+1415555{n:04d}")

        def dispatcher(worker: str, channel: Channel) -> Dispatcher:
            return Dispatcher(
                world.sessions,
                clock,
                {"sms": ("twilio", channel)},
                DispatchConfig(worker_id=worker, lease=LEASE),
                sleep=lambda seconds: clock.set(clock.now() + timedelta(seconds=seconds)),
            )

        doomed = dispatcher("doomed", world.sms)
        clock.set(due(doomed))
        with pytest.raises(ProcessKilled):
            doomed.tick()
        # The 3rd message reached Twilio unrecorded; the 4th was handed over, never sent.
        # (Twilio's first word is "queued": a recorded send stays `sending`, with its id.)
        assert Counter((d.status, d.provider_id is not None) for d in world.deliveries()) == {
            ("sending", True): 2,
            ("sending", False): 2,
            ("queued", False): 1,
        }
        survivor = dispatcher("survivor", twilio)
        clock.advance(LEASE + timedelta(seconds=1))
        assert survivor.tick() == {"unknown": 2, "sent": 1}
        assert sum(fake.received().values()) == 4

        clock.advance(twilio.settle_after - timedelta(seconds=1))
        survivor.tick()
        assert fake.lists() == []  # not before any request for them has surely ended
        clock.advance(timedelta(seconds=1))
        assert survivor.tick() == {"sent": 1}  # the one that never left, sent again now
        rows = world.deliveries()
        assert len(rows) == 5 and {r.status for r in rows} <= {"sending", "sent"}
        assert len({r.provider_id for r in rows}) == 5
        assert [r.error for r in rows].count("settled: the provider had taken it") == 1
        # The one left queued and the one that never left were each sent again on their row.
        assert sorted(r.attempts for r in rows) == [1, 1, 1, 2, 2]
        assert len(fake.received()) == 5 and set(fake.received().values()) == {1}
        assert survivor.tick() == {}  # nothing left in doubt, nothing sent twice
        assert len(fake.lists()) == 2

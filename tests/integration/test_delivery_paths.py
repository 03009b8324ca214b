"""Delivery paths between the engine and providers: pacing, fallback to the other medium,
refused credentials, provider events applied once, and one-click unsubscribe."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient
from typer.testing import CliRunner

from onward.channels import (
    DeliveryStatus,
    InvalidAddress,
    PermanentSendError,
    ProviderAuthError,
    RecipientOptedOut,
    SendOutcomeUnknown,
    TransientSendError,
)
from onward.channels.console import ConsoleChannel
from onward.engine.channel_set import ChannelSet
from onward.engine.cli import app
from onward.engine.cli.state import state
from onward.engine.clock import FakeClock
from onward.engine.dispatch.dispatcher import DispatchConfig, Dispatcher
from onward.engine.dispatch.owed_replies import Replier
from onward.engine.dispatch.pacing import ChannelHealth, Pacer
from onward.engine.people import create_person
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from onward.engine.status_callbacks import apply_status
from onward.engine.storage.models import InboundMessage as InboundRow
from onward.engine.unsubscribe import make_token, read_token, unsubscribe_url
from tests.integration.dispatch_helpers import PHONE, FlakyChannel, Harness
from tests.integration.web_helpers import build_rig, engine_url

EMAIL = "sam@example.org"
BOTH = {"sms", "email"}  # the mediums this daemon has channels for


def _dispatcher(rig: Harness, health: ChannelHealth | None = None) -> Dispatcher:
    def fake_sleep(seconds: float) -> None:
        rig.clock.advance(timedelta(seconds=seconds))

    return Dispatcher(
        rig.sessions,
        rig.clock,
        {"sms": ("flaky-sms", rig.sms), "email": ("flaky-email", rig.email)},
        DispatchConfig(worker_id="w1"),
        health=health,
        sleep=fake_sleep,
    )


def _first_due(rig: Harness, dispatcher: Dispatcher) -> None:
    due = dispatcher.earliest_due()
    assert due is not None
    rig.clock.set(due)


def test_a_pacer_spaces_slots_by_the_rate_and_never_refuses(clock: FakeClock) -> None:
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    pacer = Pacer(3.0, clock, sleep)
    start = clock.now()
    for _ in range(10):
        pacer.wait_turn()
    assert clock.now() - start == pytest.approx(timedelta(seconds=3), abs=timedelta(milliseconds=5))
    assert len(waited) == 9 and all(w == pytest.approx(1 / 3) for w in waited)
    with pytest.raises(ValueError):
        Pacer(0, clock)


def test_a_burst_at_the_window_opening_is_paced_at_the_channel_rate(
    db_engine: Engine, clock: FakeClock
) -> None:
    sms = FlakyChannel()
    sms.rate_per_sec = 2.0
    rig = Harness(db_engine, clock, sms=sms, email=FlakyChannel(medium="email"))
    for n in range(8):
        rig.start_run(phone=f"+1415555{n:04d}")
    dispatcher = _dispatcher(rig)
    _first_due(rig, dispatcher)
    opening = clock.now()
    outcomes = dispatcher.tick()
    assert outcomes == {"sent": 8}
    assert len(sms.outbox) == 8
    assert clock.now() - opening == pytest.approx(
        timedelta(seconds=3.5), abs=timedelta(milliseconds=50)
    )


def test_a_channel_whose_provider_sets_no_pace_is_not_paced(
    db_engine: Engine, clock: FakeClock
) -> None:
    """A provider that sets no pace (`rate_per_sec` 0) is not slowed by one of onward's own:
    the burst goes out as fast as the dispatcher can send it."""
    sms = FlakyChannel()
    sms.rate_per_sec = 0.0
    rig = Harness(db_engine, clock, sms=sms, email=FlakyChannel(medium="email"))
    for n in range(8):
        rig.start_run(phone=f"+1415555{n:04d}")
    slept: list[float] = []
    dispatcher = Dispatcher(
        rig.sessions,
        rig.clock,
        {"sms": ("flaky-sms", rig.sms), "email": ("flaky-email", rig.email)},
        DispatchConfig(worker_id="w1", batch=3),
        sleep=slept.append,
    )
    _first_due(rig, dispatcher)
    assert dispatcher.tick() == {"sent": 8}
    assert slept == [] and len(sms.outbox) == 8


def test_a_claim_takes_what_the_slowest_channel_sends_before_half_the_lease(
    db_engine: Engine, clock: FakeClock
) -> None:
    """A claim's batch of 100 (the default) is what an unpaced channel takes at once; a paced
    one gets no more than it sends in most of half a lease, so nothing claimed has to be
    handed back unsent when the provider's pace stretches the batch."""
    assert load_settings({}).claim_batch == 100
    sms = FlakyChannel()
    sms.rate_per_sec = 0.0
    rig = Harness(db_engine, clock, sms=sms, email=FlakyChannel(medium="email"))
    channels = {"sms": ("flaky-sms", rig.sms), "email": ("flaky-email", rig.email)}
    config = DispatchConfig(worker_id="w1", batch=100, lease=timedelta(seconds=120))
    assert Dispatcher(rig.sessions, clock, channels, config).config.batch == 100  # no pace
    sms.rate_per_sec = 1.0  # a long code: 48 sends take 48 of the 60 s before half the lease
    assert Dispatcher(rig.sessions, clock, channels, config).config.batch == 48
    sms.rate_per_sec = 10.0
    assert Dispatcher(rig.sessions, clock, channels, config).config.batch == 100


def test_the_console_sets_no_pace_of_its_own() -> None:
    """The embedded default prints what it sends: no provider's limit to keep to, so a burst
    is not capped at a rate of onward's choosing (it was 1,000 a second)."""
    assert ConsoleChannel.rate_per_sec == 0.0


def test_a_permanent_failure_hands_the_step_to_the_other_medium_once(
    db_engine: Engine, clock: FakeClock
) -> None:
    sms = FlakyChannel(InvalidAddress("invalid number", code="21211"))
    email = FlakyChannel(medium="email")
    rig = Harness(db_engine, clock, sms=sms, email=email)
    run_id = rig.start_run(email=EMAIL, email_status="active")
    dispatcher = _dispatcher(rig)
    _first_due(rig, dispatcher)
    assert dispatcher.tick() == {"rerouted": 1}
    assert dispatcher.tick() == {"sent": 1}  # the next tick, due at once
    assert [m.to for m in email.outbox] == [EMAIL]
    ack = rig.step(run_id, "ack")
    assert (ack.status, ack.medium) == ("sent", "email")
    assert rig.person().preferred_medium == "email"  # an invalid number is not tried again
    failed, sent = rig.deliveries(ack.id)
    assert (failed.status, failed.error_code, sent.status) == ("failed", "21211", "sent")


def test_a_permanent_failure_without_another_medium_fails_the_step(
    db_engine: Engine, clock: FakeClock
) -> None:
    rig = Harness(db_engine, clock, sms=FlakyChannel(PermanentSendError("too long", code="21617")))
    run_id = rig.start_run()
    dispatcher = _dispatcher(rig)
    _first_due(rig, dispatcher)
    assert dispatcher.tick() == {"failed": 1}
    assert rig.step(run_id, "ack").status == "failed"


def test_refused_credentials_hold_the_channel_instead_of_burning_retries(
    db_engine: Engine, clock: FakeClock
) -> None:
    sms = FlakyChannel(ProviderAuthError("401 from the provider"))
    rig = Harness(db_engine, clock, sms=sms)
    run_id = rig.start_run()
    health = ChannelHealth()
    dispatcher = _dispatcher(rig, health)
    _first_due(rig, dispatcher)
    assert dispatcher.tick() == {"held": 1}
    assert "flaky-sms" in health.problems()
    ack = rig.step(run_id, "ack")
    assert ack.status == "pending" and ack.attempts == 1
    [delivery] = rig.deliveries(ack.id)
    assert delivery.status == "queued"
    clock.set(ack.due_at)
    assert dispatcher.tick() == {"held": 1}  # still held: the channel is not called again
    assert len(sms.calls) == 1
    health.enable("flaky-sms")
    clock.set(rig.step(run_id, "ack").due_at)
    assert dispatcher.tick() == {"sent": 1}


def _sent_ack(rig: Harness) -> tuple[int, int]:
    run_id = rig.start_run(email=EMAIL, email_status="active")
    dispatcher = _dispatcher(rig)
    _first_due(rig, dispatcher)
    assert dispatcher.tick() == {"sent": 1}
    [delivery] = rig.deliveries(rig.step(run_id, "ack").id)
    return run_id, delivery.id


def test_a_carrier_error_sends_the_step_by_email_once(db_engine: Engine, clock: FakeClock) -> None:
    email = FlakyChannel(medium="email")
    rig = Harness(db_engine, clock, sms=FlakyChannel(), email=email)
    run_id, delivery_id = _sent_ack(rig)
    failed = DeliveryStatus(
        "flaky-sms", None, delivery_id, "undelivered", error_code="30003", unreachable=True
    )
    with rig.sessions.begin() as session:
        assert apply_status(session, failed, clock.now(), BOTH)
    ack = rig.step(run_id, "ack")
    assert (ack.status, ack.medium) == ("pending", "email")
    assert _dispatcher(rig).tick() == {"sent": 1}
    assert [m.to for m in email.outbox] == [EMAIL]
    with rig.sessions.begin() as session:  # the same callback again changes nothing
        assert not apply_status(session, failed, clock.now(), BOTH)
    assert rig.step(run_id, "ack").status == "sent"


def test_a_carrier_error_fails_the_step_when_no_email_channel_is_configured(
    db_engine: Engine, clock: FakeClock
) -> None:
    """The person has an active email address, but this daemon sends no email: rerouting
    would leave the step pending for a medium nothing can carry (it used to)."""
    rig = Harness(db_engine, clock, sms=FlakyChannel(), email=FlakyChannel(medium="email"))
    run_id, delivery_id = _sent_ack(rig)
    failed = DeliveryStatus(
        "flaky-sms", None, delivery_id, "undelivered", error_code="30003", unreachable=True
    )
    with rig.sessions.begin() as session:
        assert apply_status(session, failed, clock.now(), {"sms"})
    ack = rig.step(run_id, "ack")
    assert (ack.status, ack.medium) == ("failed", None)
    assert "30003" in (ack.last_error or "")


def test_provider_events_apply_once_and_speak_for_the_address(
    db_engine: Engine, clock: FakeClock
) -> None:
    rig = Harness(db_engine, clock, sms=FlakyChannel(), email=FlakyChannel(medium="email"))
    _run_id, delivery_id = _sent_ack(rig)
    with rig.sessions.begin() as session:
        delivered = DeliveryStatus("flaky-sms", None, delivery_id, "delivered", event_id="ev-1")
        assert apply_status(session, delivered, clock.now(), BOTH)
        assert not apply_status(session, delivered, clock.now(), BOTH)  # the batch was retried
    with rig.sessions.begin() as session:
        complaint = DeliveryStatus(
            "flaky-sms", None, delivery_id, "delivered", event_id="ev-2", consent="opted_out"
        )
        assert apply_status(session, complaint, clock.now(), BOTH)
    assert rig.person().sms_status == "opted_out"
    [delivery] = rig.deliveries()
    assert delivery.status == "delivered"


def test_unsubscribe_tokens_are_signed_and_one_click_posts_opt_out(
    db_engine: Engine, clock: FakeClock
) -> None:
    rig = build_rig(engine_url(db_engine), clock)
    try:
        harness = Harness(db_engine, clock)
        harness.start_run(email=EMAIL, email_status="active")
        person = harness.person()
        with rig.runtime.sessions.begin() as session:
            token = make_token(session, person.id, "email")
            assert read_token(session, token) == (person.id, "email")
            flipped = "A" if token[-6] != "A" else "B"  # a different MAC byte, never padding bits
            assert read_token(session, token[:-6] + flipped + token[-5:]) is None
            assert read_token(session, "garbage") is None
            url = unsubscribe_url(session, "https://onward.example", person.id, "email")
        assert url.startswith("https://onward.example/unsubscribe/")
        client: TestClient = rig.client
        page = client.get(f"/unsubscribe/{token}")
        assert page.status_code == 200 and "<form" in page.text
        assert harness.person().email_status == "active"  # a GET (a link scanner) changes nothing
        done = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200
        assert harness.person().email_status == "opted_out"
        assert harness.person().sms_status == "active"
        forged = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
        assert client.post(f"/unsubscribe/{forged}").status_code == 404
    finally:
        rig.runtime.close()


def test_the_unsubscribe_link_ends_the_plan_like_stop_when_nothing_else_can_carry_it(
    db_engine: Engine, clock: FakeClock
) -> None:
    rig = build_rig(engine_url(db_engine), clock)
    try:
        harness = Harness(db_engine, clock)
        run_id = harness.start_run(email=EMAIL, email_status="active", sms_status="opted_out")
        with rig.runtime.sessions.begin() as session:
            token = make_token(session, harness.person().id, "email")
        done = rig.client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200 and harness.person().email_status == "opted_out"
        assert {s.status for s in harness.steps(run_id) if s.status != "sent"} == {"cancelled"}
    finally:
        rig.runtime.close()


def test_readiness_names_a_held_channel(db_engine: Engine, clock: FakeClock) -> None:
    rig = build_rig(engine_url(db_engine), clock)
    try:
        rig.daemon.health.disable("console", "the provider refused onward's credentials")
        ready = rig.client.get("/readyz")
        assert ready.status_code == 503
        assert "console" in ready.json()["reason"]
        rig.daemon.recheck_channels()  # the console's check passes: the channel comes back
        assert rig.client.get("/readyz").status_code == 200
    finally:
        rig.runtime.close()


def test_a_send_whose_outcome_is_unknown_is_never_sent_again(
    db_engine: Engine, clock: FakeClock
) -> None:
    sms = FlakyChannel(SendOutcomeUnknown("the provider did not answer in time"))
    rig = Harness(db_engine, clock, sms=sms)
    run_id = rig.start_run()
    dispatcher = _dispatcher(rig)
    _first_due(rig, dispatcher)
    assert dispatcher.tick() == {"unknown": 1}
    ack = rig.step(run_id, "ack")
    [delivery] = rig.deliveries(ack.id)
    assert (ack.status, delivery.status) == ("sent", "unknown")
    clock.advance(timedelta(hours=1))
    dispatcher.tick()
    assert len(sms.calls) == 1  # not a second time
    with rig.sessions.begin() as session:  # the provider's callback settles it
        assert apply_status(
            session, DeliveryStatus("flaky-sms", None, delivery.id, "delivered"), clock.now(), BOTH
        )
    assert rig.deliveries(ack.id)[0].status == "delivered"


# -- immediate replies sent as their own message: the same door as every nudge ------------------


def _owed_reply(rig: Harness, medium: str = "email") -> int:
    """A handled message from the person whose reply is owed; returns its id."""
    now = rig.clock.now()
    with rig.sessions.begin() as session:
        person = create_person(session, "sms", PHONE, now)
        person.email, person.email_status = EMAIL, "active"
        row = InboundRow(
            channel="postbox",
            provider_message_id=f"<{medium}@mail>",
            medium=medium,
            sender=EMAIL if medium == "email" else PHONE,
            recipient="",
            subject="REJECTED Acme",
            body="REJECTED Acme",
            received_at=now,
            handled_at=now,
            attempts=1,
            person_id=person.id,
            reply="I'm so sorry about Acme.",
            reply_owed=True,
        )
        session.add(row)
        session.flush()
        return row.id


def _replier(rig: Harness) -> Replier:
    channels = ChannelSet({"sms": ("flaky-sms", rig.sms), "email": ("flaky-email", rig.email)})
    return Replier(rig.sessions, rig.clock, channels, "http://127.0.0.1:8000")


def _still_owed(rig: Harness, inbound_id: int) -> bool | None:
    with rig.sessions() as session:
        row = session.get(InboundRow, inbound_id)
        assert row is not None
        return row.reply_owed


def test_an_owed_reply_that_meets_a_busy_provider_is_retried_on_the_same_delivery(
    db_engine: Engine, clock: FakeClock
) -> None:
    email = FlakyChannel(TransientSendError("provider busy"), medium="email")
    rig = Harness(db_engine, clock, email=email)
    inbound_id = _owed_reply(rig)
    replier = _replier(rig)
    assert replier.send(inbound_id, "I'm so sorry about Acme.") == "retried"
    [delivery] = rig.deliveries()
    assert (delivery.status, delivery.error) == ("queued", "provider busy")
    assert _still_owed(rig, inbound_id) is True  # housekeeping sends it again
    clock.advance(timedelta(minutes=1))
    assert replier.send(inbound_id, "I'm so sorry about Acme.") == "sent"
    [delivery] = rig.deliveries()
    assert (delivery.status, delivery.attempts, delivery.error) == ("sent", 2, None)
    assert [m.delivery_id for m in email.calls] == [delivery.id, delivery.id]
    assert len(email.outbox) == 1
    assert _still_owed(rig, inbound_id) is None


def test_an_owed_reply_to_someone_who_opted_out_with_the_provider_opts_them_out(
    db_engine: Engine, clock: FakeClock
) -> None:
    sms = FlakyChannel(RecipientOptedOut("unsubscribed recipient", code="21610"))
    rig = Harness(db_engine, clock, sms=sms)
    inbound_id = _owed_reply(rig, medium="sms")
    assert _replier(rig).send(inbound_id, "Noted.") == "failed"
    [delivery] = rig.deliveries()
    assert (delivery.status, delivery.error_code) == ("failed", "21610")
    assert rig.person().sms_status == "opted_out"  # as STOP or the same code on a nudge would
    assert _still_owed(rig, inbound_id) is None


def test_an_owed_reply_refused_for_good_is_failed_and_not_owed_again(
    db_engine: Engine, clock: FakeClock
) -> None:
    email = FlakyChannel(PermanentSendError("too big", code="body-too-long"), medium="email")
    rig = Harness(db_engine, clock, email=email)
    inbound_id = _owed_reply(rig)
    assert _replier(rig).send(inbound_id, "I'm so sorry about Acme.") == "failed"
    [delivery] = rig.deliveries()
    assert (delivery.status, delivery.error_code) == ("failed", "body-too-long")
    assert _still_owed(rig, inbound_id) is None
    assert rig.person().email_status == "active"  # nothing about the address itself


def _listing(rig: Harness, *options: str) -> tuple[int, str]:
    """What `onward deliveries list OPTIONS` prints for this database (and its error line)."""
    url = rig.engine.url.render_as_string(hide_password=False)
    state.use(Runtime(load_settings({"ONWARD_DATABASE_URL": url}), clock=rig.clock))
    try:
        result = CliRunner().invoke(app, ["deliveries", "list", *options])
        error = str(result.exception) if result.exception else ""
        return result.exit_code, result.output + error
    finally:
        state.use(None)


def test_sends_in_doubt_are_listed_with_their_retry_command(
    db_engine: Engine, clock: FakeClock
) -> None:
    sms = FlakyChannel(SendOutcomeUnknown("the provider did not answer in time"))
    rig = Harness(db_engine, clock, sms=sms)
    rig.start_run()
    dispatcher = _dispatcher(rig)
    _first_due(rig, dispatcher)
    assert dispatcher.tick() == {"unknown": 1}
    [delivery] = rig.deliveries()
    code, printed = _listing(rig, "--unknown", "--json")
    assert code == 0
    [row] = json.loads(printed)
    assert (row["id"], row["status"]) == (delivery.id, "unknown")
    assert row["retry"] == f"onward deliveries retry {delivery.id}"
    code, printed = _listing(rig, "--unknown")
    assert code == 0 and "may or may not have reached" in printed
    assert json.loads(_listing(rig, "--failed", "--json")[1]) == []
    code, printed = _listing(rig, "--failed", "--unknown")
    assert code != 0 and "give one of them" in printed

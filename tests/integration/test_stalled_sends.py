"""A journal copy or a coach's reply whose sender was killed mid-call, on SQLite and PostgreSQL.

The process dies between handing the message to the provider and recording the answer
(`ProcessKilled`, as SIGKILL would). Housekeeping then says so, once no call can still be
running: the delivery and its copy or reply are `unknown`, listed for an operator, never sent
twice on onward's own; the person can ask again and gets a new copy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from onward.engine.channel_set import ChannelSet
from onward.engine.clock import FakeClock
from onward.engine.dispatch.coach_replies import CoachReplies
from onward.engine.dispatch.journal_mail import JournalMailer
from onward.engine.dispatch.stalled_sends import STALLED, STALLED_AFTER
from onward.engine.storage.console_models import CoachMessage, Staff
from onward.engine.storage.journal_models import JournalCopy
from onward.engine.storage.models import Delivery
from tests.fakes.smtp_server import SmtpSink, smtp_sink
from tests.integration.console_helpers import COACH, console_rig, sign_in
from tests.integration.dispatch_helpers import FlakyChannel, ProcessKilled, kill_the_process
from tests.integration.test_journal_copy import confirm_email, copies, text, write_journal
from tests.integration.web_helpers import WebRig, engine_url

PUBLIC_URL = "https://onward.example.org"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as running:
        yield running


@pytest.fixture
def rig(db_engine: Engine, clock: FakeClock, sink: SmtpSink) -> Iterator[WebRig]:
    built = console_rig(
        engine_url(db_engine),
        clock,
        ONWARD_SMTP_URL=sink.url(),
        ONWARD_EMAIL_FROM="onward@example.org",
    )
    yield built
    built.runtime.close()


def dying(medium: str) -> ChannelSet:
    """A channel that kills the process inside its send, before any provider answers."""
    channel = FlakyChannel(medium=medium)  # type: ignore[arg-type]
    channel.during_send = kill_the_process
    return ChannelSet({medium: ("flaky", channel)})


def delivery_of(rig: WebRig, delivery_id: int | None) -> Delivery:
    with rig.runtime.sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        return delivery


def journal_copy_killed_mid_send(rig: WebRig, clock: FakeClock) -> JournalCopy:
    """The person asks for their journal by email; the process sending it dies mid-call."""
    write_journal(rig, clock)
    confirm_email(rig, "sam@example.org")
    text(rig, "JOURNAL")
    killed = JournalMailer(rig.runtime.sessions, clock, dying("email"), PUBLIC_URL, "Northside")
    with pytest.raises(ProcessKilled):
        killed.send_due()
    [copy] = copies(rig)
    return copy


def test_a_journal_copy_killed_mid_send_is_in_doubt_and_never_sent_twice(
    rig: WebRig, clock: FakeClock, sink: SmtpSink
) -> None:
    copy = journal_copy_killed_mid_send(rig, clock)
    assert copy.status == "sending"

    # A call could still be running: nothing is decided yet.
    clock.advance(STALLED_AFTER - timedelta(seconds=1))
    rig.daemon.housekeeping()
    assert copies(rig)[0].status == "sending"

    clock.advance(timedelta(seconds=2))
    rig.daemon.housekeeping()
    [copy] = copies(rig)
    assert (copy.status, copy.error) == ("unknown", STALLED)
    delivery = delivery_of(rig, copy.delivery_id)
    assert (delivery.status, delivery.error) == ("unknown", STALLED)

    rig.daemon.tick()
    rig.daemon.housekeeping()
    assert sink.messages == []  # never sent again on onward's own
    assert copies(rig)[0].status == "unknown"

    text(rig, "JOURNAL")  # the person asks again: a new copy goes
    rig.daemon.tick()
    assert len(sink.messages) == 1
    assert [c.status for c in copies(rig)] == ["unknown", "sent"]


def test_a_copy_whose_delivery_a_callback_moved_on_was_sent(rig: WebRig, clock: FakeClock) -> None:
    copy = journal_copy_killed_mid_send(rig, clock)
    with rig.runtime.sessions.begin() as session:
        delivery = session.get(Delivery, copy.delivery_id)
        assert delivery is not None
        delivery.status, delivery.provider_id = "delivered", "sg-1"  # the provider's event
    clock.advance(STALLED_AFTER + timedelta(minutes=1))
    rig.daemon.housekeeping()
    [copy] = copies(rig)
    assert (copy.status, copy.error) == ("sent", None)
    assert delivery_of(rig, copy.delivery_id).status == "delivered"


def test_a_coach_reply_killed_mid_send_shows_in_doubt_on_the_persons_page(
    rig: WebRig, clock: FakeClock
) -> None:
    text(rig, "REJECTED Acme")
    clock.advance(timedelta(hours=1))
    sign_in(rig.client)
    with rig.runtime.sessions() as session:
        staff_id = session.scalars(select(Staff.id).where(Staff.email == COACH)).one()
        person_id = session.scalars(select(Delivery.person_id)).first()
    assert person_id is not None
    replies = CoachReplies(
        rig.runtime.sessions, clock, dying("sms"), PUBLIC_URL, rig.runtime.settings.send_window
    )
    with pytest.raises(ProcessKilled):
        replies.reply(person_id, staff_id, "Hi, it's Robin. How are you doing?", "now")
    clock.advance(STALLED_AFTER + timedelta(minutes=1))
    rig.daemon.housekeeping()
    with rig.runtime.sessions() as session:
        message = session.scalars(select(CoachMessage)).one()
    assert (message.status, message.error) == ("unknown", STALLED)
    assert delivery_of(rig, message.delivery_id).status == "unknown"
    page = rig.client.get(f"/console/people/{person_id}").text
    assert "How are you doing?" in page and "unknown" in page
    rig.daemon.housekeeping()
    assert rig.daemon.coach_replies.send_due() == 0  # not sent again


def test_a_copy_still_being_sent_by_a_live_sender_is_left_alone(
    rig: WebRig, clock: FakeClock, sink: SmtpSink
) -> None:
    """Housekeeping running while a slow provider call is under way changes nothing."""
    write_journal(rig, clock)
    confirm_email(rig, "sam@example.org")
    text(rig, "JOURNAL")
    seen: list[str] = []

    def housekeeping_meanwhile(_message: object) -> None:
        rig.daemon.housekeeping()
        with rig.runtime.sessions() as session:
            seen.extend(session.scalars(select(JournalCopy.status)))

    channel = FlakyChannel(medium="email")
    channel.during_send = housekeeping_meanwhile
    slow = JournalMailer(
        rig.runtime.sessions,
        clock,
        ChannelSet({"email": ("flaky", channel)}),
        PUBLIC_URL,
        "Northside",
    )
    assert slow.send_due() == 1
    assert seen == ["sending"]
    assert [c.status for c in copies(rig)] == ["sent"]

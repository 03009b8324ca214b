"""Store first, then act: every inbound message is kept once, and a failure loses nothing."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from onward.channels import InboundMessage as Message
from onward.engine import replies
from onward.engine.clock import FakeClock
from onward.engine.inbound.context import Incoming, Outcome, RouterConfig
from onward.engine.inbound.inbox import (
    LOCK_TAKEN,
    MAX_HANDLING_ATTEMPTS,
    Inbox,
    LockTaken,
    Received,
)
from onward.engine.inbound.router import Router
from onward.engine.storage.models import Delivery, InboundMessage, Person, Rejection, Run
from onward.engine.storage.write_queue import FairLock
from tests.conftest import cleared
from tests.integration.inbound_helpers import (
    PHONE,
    Talk,
)


class BrokenRouter(Router):
    """A real router that does all its work, then fails (the first `failures` times)."""

    def __init__(self, failures: int = 1) -> None:
        super().__init__(RouterConfig())
        self.failures = failures
        self.calls = 0

    def route(self, session: Session, message: Incoming, now: datetime) -> Outcome:
        self.calls += 1
        outcome = super().route(session, message, now)
        session.flush()  # the person, rejection and run rows are written, then it breaks
        if self.calls <= self.failures:
            raise RuntimeError("the router broke half-way")
        return outcome


def inbound(talk: Talk) -> InboundMessage:
    [row] = talk.rows(InboundMessage)
    return row


def retry(talk: Talk, router: Router | None = None) -> int:
    """Housekeeping's pass, with the normal router unless told otherwise."""
    inbox = Inbox(talk.sessions, router or Router(RouterConfig()), talk.clock)
    return inbox.stored.retry_unhandled()


def together(count: int, work: Callable[[], Any]) -> list[Any]:
    """Run `work` in `count` threads released at the same instant; their results."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work()
        except BaseException as exc:  # surfaced below, in the test's own thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


# -- store first, then act -----------------------------------------------------------------------


def test_a_failure_keeps_the_message_and_applies_nothing(engine: Engine, clock: FakeClock) -> None:
    broken = Talk(engine, clock, router=BrokenRouter())
    received = broken.send("REJECTED Acme")
    assert (received.reply, received.handled, received.duplicate) == (None, False, False)
    row = inbound(broken)
    assert (row.id, row.body, row.sender) == (received.inbound_id, "REJECTED Acme", PHONE)
    assert (row.handled_at, row.attempts) == (None, 1)
    assert row.error == "RuntimeError: the router broke half-way"
    for model in (Person, Rejection, Run, Delivery):
        assert broken.count(model) == 0, model.__tablename__


def test_housekeeping_routes_a_failed_message_again(engine: Engine, clock: FakeClock) -> None:
    broken = Talk(engine, clock, router=BrokenRouter())
    broken.send("REJECTED Acme")
    assert retry(broken) == 0  # too fresh: its own request may still be under way
    clock.advance(timedelta(seconds=31))
    assert retry(broken) == 1
    row = inbound(broken)
    assert (row.handled_at, row.error, row.attempts) == (clock.now(), None, 2)
    assert row.command == "rejected" and row.reply
    assert broken.count(Rejection) == 1 and broken.run().status == "active"
    # Nobody is waiting for that reply now, so the opening step is left to the dispatcher.
    ack = broken.step(broken.run().id, "ack")
    assert (ack.status, ack.sent_at) == ("pending", None)
    assert broken.count(Delivery) == 0
    assert retry(broken) == 0  # handled once, never again


def test_retries_stop_after_the_last_attempt(engine: Engine, clock: FakeClock) -> None:
    router = BrokenRouter(failures=100)
    broken = Talk(engine, clock, router=router)
    broken.send("REJECTED Acme")
    for _ in range(MAX_HANDLING_ATTEMPTS + 2):
        clock.advance(timedelta(minutes=5))
        assert retry(broken, router) == 0
    row = inbound(broken)
    assert (row.attempts, row.handled_at) == (MAX_HANDLING_ATTEMPTS, None)
    assert router.calls == MAX_HANDLING_ATTEMPTS
    assert row.error is not None and broken.count(Person) == 0


def test_a_handled_message_is_never_routed_again_by_housekeeping(talk: Talk) -> None:
    talk.send("REJECTED Acme")
    talk.later(minutes=5)
    assert retry(talk) == 0
    assert talk.count(Rejection) == 1 and inbound(talk).attempts == 1


# -- once per provider id ------------------------------------------------------------------------


def test_a_provider_retry_gets_the_same_reply_and_changes_nothing(talk: Talk) -> None:
    first = talk.send("REJECTED Acme", provider_id="SM1")
    talk.later(seconds=20)
    again = talk.send("REJECTED Acme", provider_id="SM1")
    assert (again.duplicate, again.handled, again.inbound_id) == (True, True, first.inbound_id)
    assert again.reply == first.reply and first.reply
    assert talk.count(InboundMessage) == 1
    assert talk.count(Rejection) == 1 and talk.count(Run) == 1 and talk.count(Delivery) == 1


def test_the_same_id_on_another_channel_is_another_message(talk: Talk) -> None:
    talk.send("REJECTED Acme", provider_id="42")
    other = talk.send("REJECTED Acme", provider_id="42", channel="twilio")
    assert not other.duplicate and other.reply
    assert talk.count(InboundMessage) == 2 and talk.count(Rejection) == 2
    assert [run.status for run in talk.runs()] == ["superseded", "active"]


def test_a_retry_of_a_failed_message_waits_for_housekeeping(
    engine: Engine, clock: FakeClock
) -> None:
    broken = Talk(engine, clock, router=BrokenRouter())
    first = broken.send("REJECTED Acme", provider_id="SM9")
    again = broken.send("REJECTED Acme", provider_id="SM9")
    assert (again.duplicate, again.handled, again.reply) == (True, False, None)
    assert again.inbound_id == first.inbound_id and inbound(broken).attempts == 1


def test_simultaneous_deliveries_of_one_message_store_and_act_once(talk: Talk) -> None:
    message = talk.message("REJECTED Acme", provider_id="SM-race")
    results: list[Received] = together(4, lambda: talk.inbox.receive(message))
    assert sorted(r.duplicate for r in results) == [False, True, True, True]
    assert len({r.inbound_id for r in results}) == 1
    assert talk.count(InboundMessage) == 1
    assert talk.count(Rejection) == 1 and talk.count(Run) == 1


def test_two_housekeepers_never_route_one_message_twice(engine: Engine, clock: FakeClock) -> None:
    for attempt in range(3):
        cleared(engine)
        broken = Talk(engine, clock, router=BrokenRouter())
        broken.send("REJECTED Acme", provider_id=f"SM-{attempt}")
        clock.advance(timedelta(minutes=1))
        handled = together(3, lambda: retry(broken))  # noqa: B023 (used before the next loop)
        assert sum(handled) >= 1
        assert broken.count(Rejection) == 1 and broken.count(Run) == 1
        assert inbound(broken).attempts == 2


# -- what is stored ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["", "x" * 10_000, "🙂 ok", "Grüße aus Köln — 日本", "nul\x00byte", "{{ 7*7 }}"],
)
def test_any_body_is_stored_and_handled(talk: Talk, body: str) -> None:
    received = talk.send(body)
    assert received.handled and received.reply == replies.hint("en")
    assert inbound(talk).body == body.replace("\x00", "")


def test_the_providers_time_and_addresses_are_kept(talk: Talk) -> None:
    sent_at = talk.clock.now() - timedelta(seconds=7)
    message = talk.message("NEXT")
    talk.inbox.receive(replace(message, received_at=sent_at, subject="hi"))
    row = inbound(talk)
    assert (row.received_at, row.recipient, row.subject) == (sent_at, message.recipient, "hi")
    assert (row.channel, row.medium, row.provider_message_id) == (
        "console",
        "sms",
        message.provider_message_id,
    )


def test_an_email_command_can_be_its_subject(talk: Talk) -> None:
    talk.send("REJECTED Acme", "a@b.co", medium="email", channel="sendgrid")
    received = talk.send("", "a@b.co", medium="email", channel="sendgrid", subject="STOP")
    assert received.reply == replies.opted_out("en")
    person = talk.me("a@b.co")
    assert person.email_status == "opted_out"
    assert (person.timezone, person.preferred_medium) == ("UTC", "email")


@pytest.mark.parametrize("command", ["FORGET", "FORGET YES"])
def test_a_stranger_who_says_forget_leaves_no_message_behind(talk: Talk, command: str) -> None:
    talk.send("hello?")
    talk.send("REJECTED Acme", "+14155550199")  # someone else's stays
    received = talk.send(command)
    assert (received.reply, received.handled) == (replies.forgotten("en"), True)
    assert [m.sender for m in talk.rows(InboundMessage)] == ["+14155550199"]
    talk.later(minutes=5)
    assert retry(talk) == 0 and talk.count(Person) == 1


def test_simultaneous_rejections_from_one_person_leave_one_stream(talk: Talk) -> None:
    talk.send("REJECTED Acme")
    bodies = queue.SimpleQueue[str]()
    for attempt in range(3):
        bodies.put(f"REJECTED Globex {attempt}")
        bodies.put(f"REJECTED Initech {attempt}")
        assert all(r.handled for r in together(2, lambda: talk.send(bodies.get())))
        assert talk.count(Run, Run.status.in_(("active", "paused"))) == 1
    assert talk.count(Rejection) == 7


def test_the_warm_up_at_start_leaves_nothing_behind(talk: Talk) -> None:
    talk.inbox.warm_up()
    for model in (Person, Rejection, Run, Delivery, InboundMessage):
        assert talk.count(model) == 0, model.__tablename__
    assert talk.say("REJECTED Acme")  # and the real first message is routed as ever


def test_the_warm_up_never_fails_a_start(engine: Engine, clock: FakeClock) -> None:
    cleared(engine)  # not even the plans are there
    inbox = Inbox(Talk(engine, clock).sessions, Router(RouterConfig()), clock)
    cleared(engine)
    inbox.warm_up()


# -- acting at once, where the request arrived (SQLite) ------------------------------------------


def test_a_message_is_handled_at_once_when_nothing_has_to_wait(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(sqlite_engine, clock)
    received = _at_once(talk.inbox, talk.message("REJECTED Acme"))
    assert received is not None and received.handled and "Acme" in (received.reply or "")
    assert talk.count(Run) == 1
    again = _at_once(talk.inbox, talk.message("REJECTED Acme", provider_id="msg-1"))
    assert again is not None and again.duplicate and again.reply == received.reply


def test_nothing_is_done_at_once_while_another_connection_holds_the_write_lock(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(sqlite_engine, clock)
    with sqlite_engine.connect() as other:
        other.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: the write lock is taken
        started = time.monotonic()
        assert _at_once(talk.inbox, talk.message("REJECTED Acme")) is LOCK_TAKEN
        assert time.monotonic() - started < 1  # it asked once, and did not wait
        other.rollback()
    assert talk.count(InboundMessage) == 0 and talk.count(Person) == 0
    received = _at_once(talk.inbox, talk.message("REJECTED Acme"))  # asked again: free now
    assert isinstance(received, Received) and received.handled
    assert talk.send("REJECTED Acme").handled  # the thread's way still works too


def test_nothing_is_done_at_once_while_another_webhook_is_being_handled(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(sqlite_engine, clock)
    lock = talk.inbox.write_lock
    assert isinstance(lock, FairLock)
    with lock:  # a worker thread is handling one
        assert _at_once(talk.inbox, talk.message("REJECTED Acme")) is LOCK_TAKEN
    assert talk.count(InboundMessage) == 0
    assert isinstance(_at_once(talk.inbox, talk.message("REJECTED Acme")), Received)


def test_a_failure_at_once_leaves_nothing_and_the_thread_keeps_the_message(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    broken = Talk(sqlite_engine, clock, router=BrokenRouter())
    message = broken.message("REJECTED Acme")
    assert _at_once(broken.inbox, message) is None
    assert broken.count(InboundMessage) == 0 and broken.count(Person) == 0
    received = broken.inbox.receive(message)  # as the web app then does, in a thread
    assert (received.handled, inbound(broken).attempts) == (True, 1)


def test_on_postgresql_nothing_is_done_at_once(engine: Engine, clock: FakeClock) -> None:
    talk = Talk(engine, clock)
    received = _at_once(talk.inbox, talk.message("REJECTED Acme"))
    if engine.dialect.name == "sqlite":
        assert received is not None
    else:  # a network round trip a statement: never on the event loop
        assert received is None and talk.count(InboundMessage) == 0


def _at_once(inbox: Inbox, message: Message) -> Received | LockTaken | None:
    """One message as the event loop hands it over (a group of one)."""
    got = inbox.try_receive_together([(message, True)])
    return got if isinstance(got, LockTaken) else got[0]

"""SQLite: webhooks are handled on the event loop, those that arrive together in one
transaction, in arrival order; when the write lock is taken they wait for it there, and a wait
that runs out has done nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, Engine, event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from onward.channels import InboundMessage as Message
from onward.engine.clock import FakeClock
from onward.engine.inbound.context import Incoming, Outcome, RouterConfig
from onward.engine.inbound.inbox import LOCK_TAKEN, Inbox, Received
from onward.engine.inbound.router import Router
from onward.engine.storage.models import InboundMessage, Person, Run
from onward.engine.web.loop_turns import Answer, LoopTurns
from tests.integration.inbound_helpers import Talk

SENDERS = [f"+1415555010{n}" for n in range(8)]


def _taken(engine: Engine) -> Connection:
    other = engine.connect()
    other.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: SQLite's write lock is taken
    return other


def _stored_order(talk: Talk) -> list[str]:
    with talk.sessions() as session:
        query = select(InboundMessage.provider_message_id).order_by(InboundMessage.id)
        return list(session.scalars(query))


@contextmanager
def _commits(engine: Engine) -> Iterator[list[int]]:
    """The commits on this engine meanwhile, one item each (the module's engine is shared:
    the listener goes when the test is done)."""
    seen: list[int] = []

    def commit(_conn: object) -> None:
        seen.append(1)

    event.listen(engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(engine, "commit", commit)


async def _together(turns: LoopTurns, messages: Sequence[Message]) -> list[Answer]:
    """Messages arriving in the same turn of the loop, as uvicorn hands over a burst."""
    return await asyncio.gather(*(turns.take(m, True, 5) for m in messages))


class FailsOn(Router):
    """A real router that fails on one text, after doing all its work."""

    def __init__(self, text: str) -> None:
        super().__init__(RouterConfig())
        self.text = text

    def route(self, session: Session, message: Incoming, now: datetime) -> Outcome:
        outcome = super().route(session, message, now)
        session.flush()
        if message.body == self.text:
            raise RuntimeError("the router broke")
        return outcome


def test_messages_that_arrive_together_are_handled_in_one_transaction(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(sqlite_engine, clock)
    turns = LoopTurns(talk.inbox)
    messages = [talk.message(f"REJECTED Acme {n}", SENDERS[n]) for n in range(5)]
    with _commits(sqlite_engine) as commits:
        answers = asyncio.run(_together(turns, messages))
    assert len(commits) == 1
    for n, answer in enumerate(answers):
        assert isinstance(answer, Received) and answer.handled, answer
        assert f"Acme {n}" in (answer.reply or "")
    assert _stored_order(talk) == [m.provider_message_id for m in messages]
    assert talk.count(Run) == 5


def test_no_more_than_most_go_together(sqlite_engine: Engine, clock: FakeClock) -> None:
    talk = Talk(sqlite_engine, clock)
    turns = LoopTurns(talk.inbox, most=2)
    messages = [talk.message("REJECTED Acme", SENDERS[n]) for n in range(5)]
    with _commits(sqlite_engine) as commits:
        answers = asyncio.run(_together(turns, messages))
    assert all(isinstance(a, Received) and a.handled for a in answers)
    assert len(commits) == 3  # 2 + 2 + 1
    assert _stored_order(talk) == [m.provider_message_id for m in messages]


def test_the_same_person_twice_together_sees_their_first_message(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    """The second message is acted on after the first, in the same transaction: the STOP finds
    the person the REJECTED created (rows written by plain statements are read again)."""
    talk = Talk(sqlite_engine, clock)
    turns = LoopTurns(talk.inbox)
    answers = asyncio.run(_together(turns, [talk.message("REJECTED Acme"), talk.message("STOP")]))
    assert all(isinstance(a, Received) and a.handled for a in answers)
    assert talk.count(Person) == 1
    assert talk.me().sms_status == "opted_out"
    assert talk.run().status != "active"


def test_one_message_failing_holds_none_of_the_others_back(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(sqlite_engine, clock, router=FailsOn("REJECTED Broken"))
    turns = LoopTurns(talk.inbox)
    messages = [
        talk.message("REJECTED Acme", SENDERS[0]),
        talk.message("REJECTED Broken", SENDERS[1]),
        talk.message("REJECTED Initech", SENDERS[2]),
    ]
    first, broken, last = asyncio.run(_together(turns, messages))
    assert isinstance(first, Received) and "Acme" in (first.reply or "")
    assert isinstance(last, Received) and "Initech" in (last.reply or "")
    assert broken is None  # for a worker thread, which keeps it with its error
    assert _stored_order(talk) == [messages[0].provider_message_id, messages[2].provider_message_id]
    received = talk.inbox.receive(messages[1])
    assert received.handled is False and talk.count(InboundMessage) == 3


def test_a_provider_retry_together_with_its_first_try_is_answered_alike(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(sqlite_engine, clock)
    turns = LoopTurns(talk.inbox)
    message = talk.message("REJECTED Acme", provider_id="SM-once")
    first, retry = asyncio.run(_together(turns, [message, message]))
    assert isinstance(first, Received) and not first.duplicate
    assert isinstance(retry, Received) and retry.duplicate and retry.reply == first.reply
    assert talk.count(InboundMessage) == 1 and talk.count(Run) == 1


def test_a_database_that_fails_them_fails_each_of_them(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(sqlite_engine, clock)
    turns = LoopTurns(talk.inbox)

    def full(*_args: object) -> None:
        raise OperationalError("INSERT", {}, Exception("database or disk is full"))

    event.listen(sqlite_engine, "before_cursor_execute", full)
    try:
        messages = [talk.message("REJECTED Acme", SENDERS[n]) for n in range(3)]

        async def scenario() -> list[object]:
            return await asyncio.gather(
                *(turns.take(m, True, 5) for m in messages), return_exceptions=True
            )

        answers = asyncio.run(scenario())
    finally:
        event.remove(sqlite_engine, "before_cursor_execute", full)
    assert all(isinstance(a, OperationalError) for a in answers), answers
    assert talk.count(InboundMessage) == 0
    assert not turns._line and not turns._serving  # the next message is served again
    later = asyncio.run(turns.take(talk.message("REJECTED Acme"), True, 5))
    assert isinstance(later, Received) and later.handled


def test_a_message_waits_on_the_loop_and_is_handled_there_once_the_lock_is_free(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(sqlite_engine, clock)
    turns = LoopTurns(talk.inbox)
    message = talk.message("REJECTED Acme")
    other = _taken(sqlite_engine)

    async def scenario() -> Answer:
        asyncio.get_running_loop().call_later(0.05, other.rollback)  # the writer is done
        return await turns.take(message, True, seconds=5)

    try:
        received = asyncio.run(scenario())
    finally:
        other.close()
    assert isinstance(received, Received) and received.handled and "Acme" in (received.reply or "")
    assert talk.count(InboundMessage) == 1


def test_messages_in_line_are_handled_in_arrival_order_and_newcomers_queue_behind(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(sqlite_engine, clock)
    turns = LoopTurns(talk.inbox, most=2)
    messages = [
        talk.message("REJECTED Acme", sender, provider_id=s)
        for s, sender in zip("abcd", SENDERS, strict=False)
    ]
    other = _taken(sqlite_engine)

    async def scenario() -> None:
        waiting = [asyncio.create_task(turns.take(m, True, 5)) for m in messages[:3]]
        await asyncio.sleep(0.02)  # all three in line
        other.rollback()  # the lock is free: a newcomer still queues behind the line
        waiting.append(asyncio.create_task(turns.take(messages[3], True, 5)))
        assert all(isinstance(r, Received) for r in await asyncio.gather(*waiting))

    try:
        asyncio.run(scenario())
    finally:
        other.close()
    assert _stored_order(talk) == ["a", "b", "c", "d"]


def test_a_wait_that_runs_out_has_done_nothing(sqlite_engine: Engine, clock: FakeClock) -> None:
    talk = Talk(sqlite_engine, clock)
    turns = LoopTurns(talk.inbox)
    other = _taken(sqlite_engine)
    try:
        got = asyncio.run(turns.take(talk.message("REJECTED Acme"), True, seconds=0.1))
        assert got is LOCK_TAKEN  # handed back: the web app gives it to a worker thread
        assert not turns._line and not turns._serving  # nobody is held up by it
    finally:
        other.rollback()
        other.close()
    assert talk.count(InboundMessage) == 0


def test_a_request_given_up_while_in_line_is_not_handled(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(sqlite_engine, clock)
    turns = LoopTurns(talk.inbox)
    other = _taken(sqlite_engine)
    gone, stays = talk.message("REJECTED Acme", SENDERS[0]), talk.message("HELP", SENDERS[1])

    async def scenario() -> Answer:
        cancelled = asyncio.create_task(turns.take(gone, True, 5))
        kept = asyncio.create_task(turns.take(stays, True, 5))
        await asyncio.sleep(0.02)
        cancelled.cancel()  # the client went away; the provider retries it
        other.rollback()
        return await kept

    try:
        answer = asyncio.run(scenario())
    finally:
        other.close()
    assert isinstance(answer, Received)
    assert _stored_order(talk) == [stays.provider_message_id]


def test_on_postgresql_the_loop_hands_every_message_to_a_thread(
    engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(engine, clock)
    answer = asyncio.run(LoopTurns(talk.inbox).take(talk.message("REJECTED Acme"), True, 5))
    if engine.dialect.name == "sqlite":
        assert isinstance(answer, Received)
    else:  # many writers at once, a network round trip a statement: worker threads
        assert answer is None and talk.count(InboundMessage) == 0


class GoneWhileWaiting(Inbox):
    """A real inbox whose look at the lock finds the database gone (a disk unmounted)."""

    def lock_free(self) -> bool:
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("disk I/O error"))


def test_a_database_gone_while_they_wait_fails_everyone_in_line(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    """Nobody is left waiting for good: each request in line answers 503 (the web app's
    OperationalError), and the line serves the next message again."""
    talk = Talk(sqlite_engine, clock)
    gone = GoneWhileWaiting(talk.sessions, talk.inbox.router, clock)
    turns = LoopTurns(gone)
    messages = [talk.message("REJECTED Acme", SENDERS[n]) for n in range(3)]
    other = _taken(sqlite_engine)

    async def scenario() -> list[Answer | BaseException]:
        waiting = asyncio.gather(
            *(turns.take(m, True, 5) for m in messages), return_exceptions=True
        )
        return await asyncio.wait_for(waiting, 3)  # not left hanging until the 5 s run out

    try:
        answers = asyncio.run(scenario())
    finally:
        other.rollback()
        other.close()
    assert all(isinstance(a, OperationalError) for a in answers), answers
    assert not turns._line and not turns._serving
    assert talk.count(InboundMessage) == 0

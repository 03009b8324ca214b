"""SQLite: webhooks that find the write lock taken wait for it on the event loop, in arrival
order, and are handled there; a wait that runs out has done nothing."""

from __future__ import annotations

import asyncio

from sqlalchemy import Connection, Engine, select

from onward.engine.clock import FakeClock
from onward.engine.inbound.inbox import LOCK_TAKEN, Received
from onward.engine.storage.models import InboundMessage
from onward.engine.web.loop_turns import LoopTurns
from tests.integration.inbound_helpers import Talk


def _taken(engine: Engine) -> Connection:
    other = engine.connect()
    other.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: SQLite's write lock is taken
    return other


def _stored_order(talk: Talk) -> list[str]:
    with talk.sessions() as session:
        query = select(InboundMessage.provider_message_id).order_by(InboundMessage.id)
        return list(session.scalars(query))


def test_a_message_waits_on_the_loop_and_is_handled_there_once_the_lock_is_free(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(sqlite_engine, clock)
    turns = LoopTurns(talk.inbox)
    message = talk.message("REJECTED Acme")
    other = _taken(sqlite_engine)

    async def scenario() -> Received | object | None:
        assert turns.now(message, True) is LOCK_TAKEN
        asyncio.get_running_loop().call_later(0.05, other.rollback)  # the writer is done
        return await turns.wait_turn(message, True, seconds=5)

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
    turns = LoopTurns(talk.inbox)
    senders = [f"+1415555010{n}" for n in range(4)]
    messages = [
        talk.message("REJECTED Acme", sender, provider_id=s)
        for s, sender in zip("abcd", senders, strict=True)
    ]
    other = _taken(sqlite_engine)

    async def scenario() -> None:
        waiting = [asyncio.create_task(turns.wait_turn(m, True, 5)) for m in messages[:3]]
        await asyncio.sleep(0.02)  # all three in line
        other.rollback()  # the lock is free: a newcomer still queues behind the line
        assert turns.now(messages[3], True) is LOCK_TAKEN
        waiting.append(asyncio.create_task(turns.wait_turn(messages[3], True, 5)))
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
        got = asyncio.run(turns.wait_turn(talk.message("REJECTED Acme"), True, seconds=0.1))
        assert got is LOCK_TAKEN  # handed back: the web app gives it to a worker thread
        assert not turns._line.locked()  # the next in line is not held up by it
    finally:
        other.rollback()
        other.close()
    assert talk.count(InboundMessage) == 0

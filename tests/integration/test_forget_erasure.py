"""FORGET leaves no words behind: messages from any address the person used (an email stored
before its address was linked to them included), and on SQLite not in the file nor its WAL."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from sqlalchemy import select, update

from onward.channels import InboundMessage as Message
from onward.engine import people, replies
from onward.engine.clock import FakeClock
from onward.engine.inbound.inbox import Received
from onward.engine.storage.db import create_db_engine
from onward.engine.storage.migrate import upgrade
from onward.engine.storage.models import InboundMessage, Person
from onward.engine.web.loop_turns import Answer, LoopTurns
from tests.integration.inbound_helpers import OTHER_PHONE, Talk

SECRET_WORDS = "my manager said the team was never told about the layoffs"


def _forget(talk: Talk) -> None:
    assert talk.say("FORGET") == replies.forget_asked("en")
    talk.later(minutes=1)
    assert talk.say("FORGET YES") == replies.forgotten("en")


def _senders(talk: Talk) -> set[str]:
    with talk.sessions() as session:
        return set(session.scalars(select(InboundMessage.sender)))


def test_an_email_stored_before_its_address_was_linked_is_erased(talk: Talk) -> None:
    talk.say("REJECTED Acme", OTHER_PHONE)  # someone else, who must stay
    talk.say("REJECTED Acme - Engineer")
    # Written from an address onward does not know yet: stored with nobody's name on it.
    talk.say(SECRET_WORDS, "sam@example.org", medium="email")
    talk.say("EMAIL sam@example.org")
    talk.say("EMAIL sam.new@example.org")  # and changed again since
    _forget(talk)
    assert _senders(talk) == {OTHER_PHONE}


def test_an_erasure_answers_only_that_it_is_done(talk: Talk) -> None:
    """Someone onward has not yet asked for their time zone is not asked it on their way out,
    and the erasure is recognised as one (their FORGET messages go with everything else)."""
    talk.say("REJECTED Acme", OTHER_PHONE)  # someone else, who must stay
    talk.say("REJECTED Acme")
    assert talk.say("FORGET") == replies.forget_asked("en")
    with talk.sessions.begin() as session:  # as for a number whose zone could not be placed
        session.execute(update(Person).values(timezone_source=people.TZ_TO_ASK))
    talk.later(minutes=1)
    assert talk.say("FORGET YES") == replies.forgotten("en")
    assert _senders(talk) == {OTHER_PHONE}


def test_sqlite_erasure_leaves_no_trace_in_the_file_or_its_wal(
    tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "forget.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    reader = engine.connect()  # a reader holding a snapshot, as a daemon's other threads do
    try:
        talk = Talk(engine, clock)
        talk.say("REJECTED Acme")
        talk.say(SECRET_WORDS)
        _forget(talk)
        reader.close()
        _nothing_left_in(path)
    finally:
        reader.close()
        engine.dispose()


def test_an_erasure_handled_together_with_other_messages_leaves_no_trace_either(
    tmp_path: Path, clock: FakeClock
) -> None:
    """FORGET YES in one transaction with others' messages (webhooks that arrived together on
    SQLite): that transaction's commit is followed by the same checkpoint."""
    path = tmp_path / "forget-together.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    try:
        talk = Talk(engine, clock)
        talk.say("REJECTED Acme")
        talk.say(SECRET_WORDS)
        assert talk.say("FORGET") == replies.forget_asked("en")
        talk.later(minutes=1)
        turns = LoopTurns(talk.inbox)
        together = [
            talk.message("REJECTED Initech", OTHER_PHONE),
            talk.message("FORGET YES"),
            talk.message("HELP", OTHER_PHONE),
        ]
        answers = asyncio.run(_all(turns, together))
        assert all(isinstance(a, Received) and a.handled for a in answers)
        assert answers[1].reply == replies.forgotten("en")  # type: ignore[union-attr]
        _nothing_left_in(path)
        assert _senders(talk) == {OTHER_PHONE}
    finally:
        engine.dispose()


async def _all(turns: LoopTurns, messages: list[Message]) -> list[Answer]:
    return await asyncio.gather(*(turns.take(m, True, 5) for m in messages))


def _nothing_left_in(path: Path) -> None:
    """Once the checkpoint that follows an erasure is done: neither the SQLite file nor its WAL
    holds the person's words or the company they named."""
    for thread in threading.enumerate():
        if thread.name == "onward-erasure":
            thread.join(timeout=10)
    for file in (path, Path(f"{path}-wal")):
        if file.exists():
            raw = file.read_bytes()
            assert SECRET_WORDS.encode() not in raw, file.name
            assert b"Acme" not in raw, file.name

"""How many SQL statements a REJECTED and a journal reply cost (counted, not timed): the hot
paths stay written for their volume (bench/statements.py prints them, bench/README.md lists
them). A new statement here should be a choice, not an accident."""

from __future__ import annotations

import re

from sqlalchemy import Engine, event, update

from onward.engine.storage.models import JournalEntry, Person, Run, Step
from tests.integration.dispatch_helpers import Harness
from tests.integration.inbound_helpers import Talk, with_a_prompt_open
from tests.integration.statement_helpers import counted

# bench/README.md, "Statements per message": a REJECTED from someone new wrote 21 statements
# and a journal reply 12 before this budget (the wake-up look after each not counted here).
# One more since: the count of their rejections in 30 days that picks the plan (when: rules);
# one fewer since: that statement also reads which version of the default plan to start.
# (No look for open runs of someone this message wrote: they have none.) On SQLite, someone new
# is found new, with the newest plan version, in one statement (inbound/lookup.py); PostgreSQL
# locks the sender's row in a statement of its own first.
REJECTED_BUDGET = {"sqlite": 14, "postgresql": 15}
# A journal reply: its message stored, the conversation read (on PostgreSQL the sender's row
# locked first), the entry, the prompt answered, the message's outcome.
JOURNAL_BUDGET = {"sqlite": 5, "postgresql": 6}


# A status of steps or deliveries bound as a parameter: on SQLite, the statement is prepared
# again at each execution (their partial indexes, models.status_is).
BOUND_STATUS = re.compile(r"\b(steps|deliveries)\.status\s*(=|!=|<>)\s*(\?|%\(|:)")


def test_a_rejected_from_someone_new_stays_within_its_statements(
    engine: Engine, talk: Talk
) -> None:
    talk.send("REJECTED Warm-up Co", "+14155550111")  # plans parsed, statements prepared
    with counted(engine) as statements:
        received = talk.send("REJECTED Acme")
    assert received.handled and talk.count(Run) == 2
    assert len(statements) <= REJECTED_BUDGET[engine.dialect.name], statements
    assert statements.count("INSERT") == 8, statements  # message, person, consent, rejection,
    # run, steps and reminders, the reply's delivery; no row written twice: one UPDATE for the
    # footer, one for the message's outcome
    assert statements.count("UPDATE") == 2, statements


def test_a_journal_reply_stays_within_its_statements(engine: Engine, talk: Talk) -> None:
    with_a_prompt_open(talk)
    with counted(engine) as statements:
        received = talk.send("It went ok, I think. I rushed the salary question.")
    assert received.handled and received.reply
    assert len(statements) <= JOURNAL_BUDGET[engine.dialect.name], statements


def test_a_journal_reply_loads_no_object(engine: Engine, talk: Talk) -> None:
    """The router reads the sender's row, the current run and its open prompt as plain values
    (lookup.py): loaded through the ORM, they cost twice what the query does, and a journal
    reply changes none of them as an object."""
    with_a_prompt_open(talk)
    loaded: list[str] = []

    def note(target: object, _context: object) -> None:
        loaded.append(type(target).__name__)

    for mapped in (Person, Run, Step):
        event.listen(mapped, "load", note)
    try:
        received = talk.send("It went ok, I think. I rushed the salary question.")
    finally:
        for mapped in (Person, Run, Step):
            event.remove(mapped, "load", note)
    assert received.handled and received.reply
    entry = talk.rows(JournalEntry)[0]
    assert (entry.text, entry.step_key) == (
        "It went ok, I think. I rushed the salary question.",
        "reflect",
    )
    assert entry.run_id is not None
    assert talk.step(entry.run_id, "reflect").answered_at is not None
    assert loaded == []


def test_the_hot_paths_write_the_statuses_of_steps_and_deliveries_into_their_sql(
    engine: Engine, talk: Talk
) -> None:
    """A REJECTED, a journal reply, the daemon's look for its wake-up, and a drain."""
    with counted(engine, whole=True) as statements:
        talk.send("REJECTED Acme")
        with talk.sessions.begin() as session:
            session.execute(
                update(Step)
                .where(Step.step_key == "reflect")
                .values(status="sent", sent_at=talk.clock.now(), attempts=1)
            )
        assert talk.send("It went ok, I think.").reply
        world = Harness(engine, talk.clock)
        world.start_run("+14155550123")
        dispatcher = world.dispatcher()
        assert "sent" in {outcome for _at, outcome in world.drive(dispatcher, limit=20)}
    assert len(statements) > 40
    bound = [sql for sql in statements if BOUND_STATUS.search(sql)]
    assert bound == []

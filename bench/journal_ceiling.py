"""How fast a journal reply's routing could be with no SQLAlchemy at all: a ceiling for G4's
journal rate, measured side by side with onward's own path. Not a benchmark of `make bench`.

Both variants take the same messages (journal replies from people with a sent reflect prompt,
on a copy of the G1 database), eight to a transaction as the event loop hands them over, and
run the same pure code: the classifier, the trigger keywords, the reply's text, the sealing of
the words, the log line. `onward` is `Inbox.try_receive_together`. `driver` writes the same rows
(the message, its journal entry, the prompt answered, the outcome) and reads the same
conversation in one statement, as onward does (the sender found by their number; their open runs
and sent prompts, their coach's hold, the run's company, the newest plan version), through
Python's sqlite3 alone, as few columns as the reply needs, no ORM objects, no session. It
handles only this case (a journal reply to an open prompt), so it is not a second way of
routing: it measures what one would save.

    python bench/journal_ceiling.py WORKDIR --template G1.db --rounds 3
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import emit, median
from fixtures import copy_sqlite
from onward_webhook import JOURNAL_TEXT, open_prompts

from onward.channels import InboundMessage
from onward.engine import replies
from onward.engine.clock import SystemClock
from onward.engine.inbound.classify import Said, State, Vocabulary, classify
from onward.engine.inbound.context import Outcome
from onward.engine.inbound.inbound_rows import incoming, row_values
from onward.engine.inbound.stored_messages import acted
from onward.engine.logs import configure_logging
from onward.engine.plan_store import trigger_keywords
from onward.engine.runtime import Runtime
from onward.engine.settings import Settings
from onward.engine.storage.models import OPEN_RUN_STATUSES, STEP_SENT
from onward.engine.storage.sealing import keyring
from onward.plans import PROMPT_KINDS

PEOPLE = 500
GROUP = 8  # as many as arrive together under wrk's 16 connections

_CONVERSATION = (
    "SELECT people.sms_status, runs.id, runs.started_at, steps.id, steps.sent_at, "
    "steps.step_key, steps.answered_at, "
    "(SELECT held_since FROM coaching WHERE coaching.person_id = people.id), rejections.company, "
    "people.id, (SELECT max(id) FROM plan_versions) "
    "FROM people LEFT JOIN runs ON runs.person_id = people.id AND runs.status IN ({runs}) "
    "LEFT JOIN rejections ON rejections.id = runs.rejection_id "
    "LEFT JOIN steps ON steps.run_id = runs.id AND steps.status = '{sent}' "
    "AND steps.kind IN ({kinds}) AND steps.reminder_of IS NULL WHERE people.phone = ?"
).format(
    runs=", ".join(f"'{s}'" for s in OPEN_RUN_STATUSES),
    sent=STEP_SENT,
    kinds=", ".join(f"'{k}'" for k in sorted(PROMPT_KINDS)),
)
_STORE = (
    "INSERT INTO inbound_messages (channel, provider_message_id, medium, sender, recipient, "
    "subject, body, received_at, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)"
)
_ENTRY = (
    "INSERT INTO journal_entries (person_id, run_id, step_id, step_key, text, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
_ANSWERED = "UPDATE steps SET answered_at = ? WHERE id = ?"
_OUTCOME = (
    "UPDATE inbound_messages SET attempts = attempts + 1, person_id = ?, command = ?, reply = ?, "
    "handled_at = ?, error = NULL, reply_owed = NULL WHERE id = ?"
)


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]  # as UTCDateTime stores it


def through_onward(runtime: Runtime, messages: list[InboundMessage]) -> None:
    inbox = runtime.inbox
    for start in range(0, len(messages), GROUP):
        done = inbox.try_receive_together([(m, True) for m in messages[start : start + GROUP]])
        assert isinstance(done, list) and all(d is not None and d.handled for d in done), done


def through_driver(runtime: Runtime, messages: list[InboundMessage]) -> None:
    ring, clock = keyring(runtime.engine), SystemClock()
    with runtime.sessions() as session:
        newest = session.connection().exec_driver_sql("SELECT max(id) FROM plan_versions")
        words = Vocabulary(tuple(trigger_keywords(session, newest.scalar())))
    db = sqlite3.connect(runtime.engine.url.database or "", isolation_level=None)
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    try:
        for start in range(0, len(messages), GROUP):
            db.execute("BEGIN IMMEDIATE")
            done = [
                _route(db, ring, words, clock.now(), m) for m in messages[start : start + GROUP]
            ]
            db.execute("COMMIT")
            for msg, outcome in done:
                acted(msg, outcome)
    finally:
        db.close()


def _route(db: sqlite3.Connection, ring: Any, words: Vocabulary, now: datetime, m: Any) -> Any:
    v, at = row_values(m, now), _instant(now)
    stored = (v["channel"], v["provider_message_id"], v["medium"], v["sender"], v["recipient"])
    # An empty text (an SMS's subject) is stored as it is, as onward's column type keeps it.
    subject = ring.seal(v["subject"]) if v["subject"] else v["subject"]
    sealed = (subject, ring.seal(v["body"]), _instant(v["received_at"]))
    row_id = db.execute(_STORE, (*stored, *sealed)).lastrowid
    msg = incoming(row_id, m, live=True)
    rows = db.execute(_CONVERSATION, (m.sender,)).fetchall()
    person_id = rows[0][9]
    run = max((r for r in rows if r[1] is not None), key=lambda r: (r[2], r[1]))
    prompt = max(
        (r for r in rows if r[1] == run[1] and r[3] is not None),
        key=lambda r: (r[4] is not None, r[4] or "", r[3]),
    )
    assert rows[0][0] == "active" and rows[0][7] is None, "a journal reply to an open prompt only"
    state = State(plan_running=True, prompt_open=True, company=run[8] or "")
    intent = classify(Said(msg.body), state, words)
    assert intent.name == "answer", intent
    db.execute(_ENTRY, (person_id, run[1], prompt[3], prompt[5], ring.seal(msg.body), at))
    if prompt[6] is None:
        db.execute(_ANSWERED, (at, prompt[3]))
    reply = replies.journal_kept("en")
    db.execute(_OUTCOME, (person_id, intent.name, reply, at, row_id))
    return msg, Outcome(reply, intent.name, person_id, moves_schedule=False)


def one(template: Path, work: Path, tag: str, route: Callable[..., None], count: int) -> float:
    """µs a message of `route` on a fresh copy of the template."""
    database = work / f"ceiling_{tag}.db"
    copy_sqlite(template, database)
    phones = open_prompts(database, PEOPLE)
    os.environ["ONWARD_DATABASE_URL"] = f"sqlite:///{database}"
    runtime = Runtime(Settings(_env_file=None))  # type: ignore[call-arg]
    messages = [
        InboundMessage("twilio", "sms", f"SM{tag}{n:08d}", phones[n % PEOPLE], "+1", JOURNAL_TEXT)
        for n in range(count)
    ]
    try:
        runtime.inbox.warm_up()
        gc.collect()
        started = time.perf_counter()
        route(runtime, messages)
        took = time.perf_counter() - started
        with runtime.engine.connect() as conn:
            kept = conn.exec_driver_sql("SELECT count(*) FROM journal_entries WHERE step_id > 0")
            assert kept.scalar() == count, "every reply kept once"
    finally:
        runtime.engine.dispose()
    return took / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workdir")
    parser.add_argument("--template", required=True, help="the G1 database (runs, none due)")
    parser.add_argument("--messages", type=int, default=4_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    configure_logging(stream=(work / "journal_ceiling.log").open("a"))  # as `onward serve` logs
    figures: dict[str, list[float]] = {"onward_us": [], "driver_us": []}
    for n in range(args.rounds):  # interleaved: the machine's mood moves both alike
        for name, route in (("onward_us", through_onward), ("driver_us", through_driver)):
            figures[name].append(
                round(one(Path(args.template), work, f"{n}{name[0]}", route, args.messages), 1)
            )
    onward_us, driver_us = median(figures["onward_us"]), median(figures["driver_us"])
    emit(
        {
            **figures,
            "onward_median_us": onward_us,
            "driver_median_us": driver_us,
            "onward_over_driver": round(onward_us / driver_us, 2),
        }
    )


if __name__ == "__main__":
    main()

"""How the person moves through their plan: PAUSE, RESUME, DONE, APPLIED, NEXT, HIRED, and the
journal that keeps their words."""

from __future__ import annotations

from typing import Literal, cast

from sqlalchemy import Table, exists, select

from onward.engine import replies, runs
from onward.engine.inbound import intents as i
from onward.engine.inbound.context import Turn
from onward.engine.inbound.upcoming import next_line, when
from onward.engine.numbers import outcome_events
from onward.engine.plan_store import parsed
from onward.engine.schedule import next_waiting
from onward.engine.storage.bulk_rows import insert_one, update_one
from onward.engine.storage.driver_sql import connection_of
from onward.engine.storage.models import RUN_PAUSED, STEP_SENT, JournalEntry, Step, status_is


def pause(turn: Turn, cmd: i.Pause) -> str:
    keep(turn, cmd.text)  # asked in a sentence ("I'm going on holiday, pause..."): kept
    person, lang = turn.person, turn.lang
    run = runs.current_run(turn.session, person.id) if person else None
    if person is None or run is None:
        return replies.nothing_to_pause(lang)
    if run.status == RUN_PAUSED and run.pause_reason == "crisis":
        return replies.paused_next(lang, None)  # a crisis hold ends only with RESUME
    until = turn.now + cmd.duration
    runs.pause(turn.session, run, turn.now, until, "person")
    return replies.paused(lang, when(lang, person, until, turn.now))


def resume(turn: Turn, cmd: i.Resume) -> str:
    person, lang = turn.person, turn.lang
    run = runs.current_run(turn.session, person.id) if person else None
    if person is None or run is None or run.status != RUN_PAUSED:
        return replies.nothing_paused(lang)
    runs.resume(turn.session, run, turn.now, turn.config.default_window)
    step = next_waiting(turn.session, run.id)
    due = when(lang, person, step.due_at, turn.now) if step is not None else None
    return replies.resumed(lang, step.kind if step is not None else None, due)


def done(turn: Turn, cmd: i.Done) -> str:
    if turn.person is None:
        return replies.no_plan(turn.lang)
    prompt = runs.open_prompt(turn.session, turn.person.id)
    if prompt is None or (prompt.answered_at is not None and prompt.kind != "apply"):
        return replies.nothing_open(turn.lang)
    prompt.answered_at = prompt.answered_at or turn.now
    prompt.done_at = prompt.done_at or turn.now
    # Its reminder offered "Reply DONE to skip": after it, DONE is a skip, not a task finished.
    reminded = turn.session.scalar(
        select(exists().where(Step.reminder_of == prompt.id, status_is(Step.status, STEP_SENT)))
    )
    return replies.skipped(turn.lang) if reminded else replies.done(turn.lang)


def applied(turn: Turn, cmd: i.Applied) -> str:
    keep(turn, cmd.text)  # told in a sentence: its words are kept as any answer
    run = runs.current_run(turn.session, turn.person.id) if turn.person else None
    if turn.person is not None:  # counted for the numbers even after the plan has ended
        run_id = run.id if run else None
        outcome_events.record(
            turn.session, turn.person.id, "applied", turn.now, run_id=run_id, count=cmd.count
        )
    if run is None:
        return replies.no_plan(turn.lang)
    run.applied_count += cmd.count
    prompt = runs.open_prompt(turn.session, run.person_id)
    if prompt is not None and prompt.kind == "apply" and prompt.answered_at is None:
        prompt.answered_at = turn.now
    return replies.applied(turn.lang, run.applied_count, parsed(run.plan_version).apply_goal)


def next_(turn: Turn, cmd: i.Next) -> str:
    person, lang = turn.person, turn.lang
    run = runs.current_run(turn.session, person.id) if person else None
    if person is None or run is None:
        return replies.next_due(lang, None, None)
    if run.status == RUN_PAUSED:
        until = when(lang, person, run.paused_until, turn.now) if run.paused_until else None
        return replies.paused_next(lang, until)
    return next_line(lang, turn.session, run, person, turn.now)


def hired(turn: Turn, cmd: i.Hired) -> str:
    ended = runs.open_runs(turn.session, turn.person.id) if turn.person is not None else []
    if turn.person is not None:
        run_id = ended[0].id if ended else None
        outcome_events.record(turn.session, turn.person.id, "hired", turn.now, run_id=run_id)
    for run in ended:
        runs.complete(turn.session, run, turn.now)
    return replies.hired(turn.lang, ended=bool(ended))


_ENTRIES = cast(Table, JournalEntry.__table__)
_STEPS = cast(Table, Step.__table__)


def keep(turn: Turn, text: str) -> Literal["answer", "note"] | None:
    """Every word kept: under the open prompt as its answer, else as a note of the running
    plan. Nothing is kept for someone with no plan (or no words)."""
    person, prompt = turn.sender, turn.prompt
    if person is None or turn.run_id is None or not text:
        return None
    run_id = prompt.run_id if prompt is not None else turn.run_id
    # Plain statements: nothing reads the entry back, and a flush of ORM objects costs several
    # times what these do. The words are sealed by the column's type all the same.
    plain = connection_of(turn.session)
    insert_one(
        plain,
        _ENTRIES,
        {
            "person_id": person.id,
            "run_id": run_id,
            "step_id": prompt.id if prompt else None,
            "step_key": prompt.step_key if prompt else None,
            "text": text,
            "created_at": turn.now,
        },
        returning=(),
    )
    if prompt is None:
        return "note"
    if prompt.answered_at is None:
        update_one(plain, _STEPS, prompt.id, {"answered_at": turn.now})
    return "answer"


def answer(turn: Turn, intent: i.Answer) -> str:
    return _kept_reply(turn.lang, keep(turn, intent.text), intent.maybe_stop)


def note(turn: Turn, intent: i.Note) -> str:
    return _kept_reply(turn.lang, keep(turn, intent.text), intent.maybe_stop)


def picture(turn: Turn, intent: i.Picture) -> str:
    return replies.picture(turn.lang)


_KEPT = {"answer": replies.journal_kept, "note": replies.note_kept, None: replies.hint}


def _kept_reply(lang: str, kept: Literal["answer", "note"] | None, maybe_stop: bool) -> str:
    reply = _KEPT[kept](lang)
    # Words that start with a stop word were kept, not taken as STOP: say how, in case.
    return f"{reply} {replies.stop_line(lang)}" if maybe_stop else reply

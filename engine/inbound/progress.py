"""How the person moves through their plan: PAUSE, RESUME, DONE, APPLIED, NEXT, HIRED, and the
journal that keeps their words."""

from __future__ import annotations

from onward.engine import replies, runs
from onward.engine.crisis import crisis_reply
from onward.engine.inbound import classify as c
from onward.engine.inbound.consent import hold_for_crisis
from onward.engine.inbound.context import Turn
from onward.engine.inbound.upcoming import next_line, when
from onward.engine.models import RUN_PAUSED, JournalEntry
from onward.engine.plan_store import parsed
from onward.engine.schedule import next_waiting


def pause(turn: Turn, cmd: c.Pause) -> str:
    person = turn.person
    run = runs.current_run(turn.session, person.id) if person else None
    if person is None or run is None:
        return replies.nothing_to_pause()
    if run.status == RUN_PAUSED and run.pause_reason == "crisis":
        return replies.paused_next(None)  # a crisis hold ends only with RESUME
    until = turn.now + cmd.duration
    runs.pause(turn.session, run, turn.now, until, "person")
    return replies.paused(when(person, until, turn.now))


def resume(turn: Turn, cmd: c.Resume) -> str:
    person = turn.person
    run = runs.current_run(turn.session, person.id) if person else None
    if person is None or run is None or run.status != RUN_PAUSED:
        return replies.nothing_paused()
    runs.resume(turn.session, run, turn.now, turn.config.default_window)
    step = next_waiting(turn.session, run.id)
    due = when(person, step.due_at, turn.now) if step is not None else None
    return replies.resumed(step.kind if step is not None else None, due)


def done(turn: Turn, cmd: c.Done) -> str:
    if turn.person is None:
        return replies.no_plan()
    prompt = runs.open_prompt(turn.session, turn.person.id)
    if prompt is None or (prompt.answered_at is not None and prompt.kind != "apply"):
        return replies.nothing_open()
    prompt.answered_at = prompt.answered_at or turn.now
    return replies.done()


def applied(turn: Turn, cmd: c.Applied) -> str:
    run = runs.current_run(turn.session, turn.person.id) if turn.person else None
    if run is None:
        return replies.no_plan()
    run.applied_count += cmd.count
    prompt = runs.open_prompt(turn.session, run.person_id)
    if prompt is not None and prompt.kind == "apply" and prompt.answered_at is None:
        prompt.answered_at = turn.now
    return replies.applied(run.applied_count, parsed(run.plan_version).apply_goal)


def next_(turn: Turn, cmd: c.Next) -> str:
    person = turn.person
    run = runs.current_run(turn.session, person.id) if person else None
    if person is None or run is None:
        return replies.next_due(None, None)
    if run.status == RUN_PAUSED:
        until = when(person, run.paused_until, turn.now) if run.paused_until else None
        return replies.paused_next(until)
    return next_line(turn.session, run, person, turn.now)


def hired(turn: Turn, cmd: c.Hired) -> str:
    ended = runs.open_runs(turn.session, turn.person.id) if turn.person is not None else []
    for run in ended:
        runs.complete(turn.session, run, turn.now)
    return replies.hired(ended=bool(ended))


def free(turn: Turn, cmd: c.Free) -> str | None:
    person = turn.person
    if person is None:
        if turn.msg.crisis:
            return crisis_reply(hold_for_crisis(turn))
        return replies.hint()
    prompt = runs.open_prompt(turn.session, person.id)
    if prompt is not None and cmd.text:
        turn.session.add(
            JournalEntry(
                person_id=person.id,
                run_id=prompt.run_id,
                step_id=prompt.id,
                step_key=prompt.step_key,
                text=cmd.text,
                created_at=turn.now,
            )
        )
        prompt.answered_at = prompt.answered_at or turn.now
    if turn.msg.crisis:
        return crisis_reply(hold_for_crisis(turn))
    if prompt is not None and cmd.text:
        return replies.journal_kept()
    return replies.hint()

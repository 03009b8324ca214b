"""Replies that name a time: the answer to "When is it?" after an interview onward could not
date, and the day and time a person picks when an apply step asks when (`ask_when`).

A reply that reads as a time ahead (interview_time.read_when, in their zone and language)
dates the interview, or books the nudge at their chosen time, kept in their journal as their
plan under the step it answers. Anything else is kept in the journal as usual (progress).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from onward.engine import one_offs, prep_texts
from onward.engine.inbound import intents as i
from onward.engine.inbound import milestones, progress
from onward.engine.inbound.context import Turn
from onward.engine.inbound.interview_time import read_when
from onward.engine.plan_store import parsed
from onward.engine.replies_when import when_text
from onward.engine.schedule import window_for
from onward.engine.storage.models import Run
from onward.engine.timing import place_in_window


def answer(turn: Turn, intent: i.Answer) -> str:
    return _timed(turn, intent.text) or progress.answer(turn, intent)


def note(turn: Turn, intent: i.Note) -> str:
    return _timed(turn, intent.text) or progress.note(turn, intent)


def _timed(turn: Turn, text: str) -> str | None:
    """The reply when `text` is a time something waits for; None to keep it as usual."""
    if turn.sender is None:
        return None
    asked = milestones.asked_about(turn)
    slot = asked is None and _asks_when(turn)
    if asked is None and not slot:
        return None
    person = turn.person
    assert person is not None
    lang = turn.lang
    tz = ZoneInfo(person.timezone)
    when = read_when(text, turn.now.astimezone(tz), lang)
    if when is None:
        return None  # not a time: kept in the journal, and the question is not asked again
    if asked is not None:
        return milestones.date_interview(turn, asked, when)
    return _book_slot(turn, text, when)


def _asks_when(turn: Turn) -> bool:
    prompt = turn.prompt
    if prompt is None or prompt.kind != "apply":
        return False
    plan = parsed(_run(turn, prompt.run_id).plan_version)
    return plan.step(prompt.step_key).ask_when


def _run(turn: Turn, run_id: int) -> Run:
    """The prompt's run, loaded for its plan (the router read its id alone)."""
    run = turn.session.get(Run, run_id)
    assert run is not None  # the person's row is locked: their runs stay
    return run


def _book_slot(turn: Turn, text: str, when: datetime) -> str:
    person, prompt = turn.person, turn.prompt
    assert person is not None and prompt is not None
    run = _run(turn, prompt.run_id)
    tz = ZoneInfo(person.timezone)
    window = window_for(person, parsed(run.plan_version), turn.config.default_window)
    due, moved = place_in_window(when, tz, window)
    progress.keep(turn, text)  # their plan, in their words, under the step it answers
    one_offs.book_slot(turn.session, run, due, turn.now)
    lang = turn.lang
    at = when_text(lang, due, turn.now, tz)
    if moved:
        return prep_texts.slot_moved(lang, when.astimezone(tz).strftime("%H:%M"), at)
    return prep_texts.slot_booked(lang, at)

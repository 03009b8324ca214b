"""INTERVIEW and OFFER: outcomes a person texts, stored as events with their time.

An interview with a time onward can read (in the person's zone and language) books its prep
nudge, the evening before (one_offs, prep_timing); one without, or one already gone by, is
asked about once ("When is it?"), and an answer that reads as a time dates it (when_replies).
APPLIED and HIRED keep their handlers in progress.py and record their events through the same
door (`onward.engine.numbers.outcome_events`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from onward.engine import one_offs, prep_texts, replies, run_start, runs
from onward.engine.inbound import intents as i
from onward.engine.inbound.context import Turn
from onward.engine.inbound.interview_time import read_when
from onward.engine.inbound.progress import keep
from onward.engine.numbers import outcome_events
from onward.engine.plan_store import parsed
from onward.engine.prep_timing import prep_due
from onward.engine.replies_when import when_text
from onward.engine.schedule import window_for
from onward.engine.storage.outcome_models import OutcomeEvent
from onward.plans import parse_window

# What `people.open_question` holds while onward waits to hear when an interview is.
INTERVIEW_QUESTION = "interview:"


def interview(turn: Turn, cmd: i.Interview) -> str:
    person, now, lang = turn.person, turn.now, turn.lang
    if person is None:
        return replies.no_plan(lang)
    keep(turn, cmd.text)  # told in a sentence: its words are kept as any answer
    local_now = now.astimezone(ZoneInfo(person.timezone))
    when = read_when(cmd.when, local_now, lang) if cmd.when else None
    # A new date for an interview still ahead moves it; it is not a second interview.
    event = one_offs.upcoming_interview(turn.session, person.id, cmd.company, now)
    if event is None:
        run = runs.current_run(turn.session, person.id)
        event = outcome_events.record(
            turn.session,
            person.id,
            outcome_events.INTERVIEW,
            now,
            run_id=run.id if run else None,
            company=cmd.company,
        )
    if when is None:
        turn.session.flush()  # the event's id, for the question
        person.open_question = f"{INTERVIEW_QUESTION}{event.id}"
        return prep_texts.interview_when(lang, cmd.company)
    return date_interview(turn, event, when)


def date_interview(turn: Turn, event: OutcomeEvent, when: datetime) -> str:
    """Set when the interview is, book its prep nudge, and say both."""
    session, person, now = turn.session, turn.person, turn.now
    assert person is not None
    event.scheduled_for = when.astimezone(UTC)
    run = runs.current_run(session, person.id)
    if run is not None:
        window = window_for(person, parsed(run.plan_version), turn.config.default_window)
    else:
        own = person.send_window
        window = parse_window(own) if own else turn.config.default_window
    tz = ZoneInfo(person.timezone)
    due = prep_due(when, now, tz, window)
    if due is not None and run is None:
        run = run_start.start_prep_run(session, person, now)  # no plan runs: one of its own
    one_offs.book_prep(session, event, run, due, now)
    lang = turn.lang
    prep = when_text(lang, due, now, tz) if due is not None else None
    return prep_texts.interview_noted(lang, event.company, when_text(lang, when, now, tz), prep)


def asked_about(turn: Turn) -> OutcomeEvent | None:
    """The interview whose date onward asked for, if this message may answer that."""
    question = turn.question or ""
    if turn.sender is None or not question.startswith(INTERVIEW_QUESTION):
        return None
    event = turn.session.get(OutcomeEvent, int(question.removeprefix(INTERVIEW_QUESTION)))
    return event if event is not None and event.person_id == turn.sender.id else None


def offer(turn: Turn, cmd: i.Offer) -> str:
    if turn.person is None:
        return replies.no_plan(turn.lang)
    keep(turn, cmd.text)
    run = runs.current_run(turn.session, turn.person.id)
    outcome_events.record(
        turn.session, turn.person.id, outcome_events.OFFER, turn.now, run_id=run.id if run else None
    )
    return replies.offer_noted(turn.lang)

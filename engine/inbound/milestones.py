"""INTERVIEW and OFFER: outcomes a person texts, stored as events with their time.

APPLIED and HIRED keep their handlers in progress.py and record their events through the same
door (`onward.engine.numbers.outcome_events`).
"""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from onward.engine import replies, runs
from onward.engine.inbound import intents as i
from onward.engine.inbound.context import Turn
from onward.engine.inbound.interview_time import interview_time
from onward.engine.numbers import outcome_events


def interview(turn: Turn, cmd: i.Interview) -> str:
    person, now, lang = turn.person, turn.now, turn.lang
    if person is None:
        return replies.no_plan(lang)
    tz = ZoneInfo(person.timezone)
    local = interview_time(cmd.when, now.astimezone(tz)) if cmd.when else None
    run = runs.current_run(turn.session, person.id)
    outcome_events.record(
        turn.session,
        person.id,
        outcome_events.INTERVIEW,
        now,
        run_id=run.id if run else None,
        company=cmd.company,
        scheduled_for=local.astimezone(UTC) if local else None,
    )
    if cmd.when and local is None:
        return replies.interview_when_unclear(lang, cmd.company)
    when = replies.when_text(lang, local, now, tz) if local else None
    return replies.interview_noted(lang, cmd.company, when)


def offer(turn: Turn, cmd: i.Offer) -> str:
    if turn.person is None:
        return replies.no_plan(turn.lang)
    run = runs.current_run(turn.session, turn.person.id)
    outcome_events.record(
        turn.session, turn.person.id, outcome_events.OFFER, turn.now, run_id=run.id if run else None
    )
    return replies.offer_noted(turn.lang)

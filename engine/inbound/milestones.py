"""INTERVIEW and OFFER: outcomes a person texts, stored as events with their time.

APPLIED and HIRED keep their handlers in the router and record their events through the same
door (`onward.engine.outcome_events`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from onward.engine import outcome_events, replies, runs
from onward.engine.inbound import classify as c
from onward.engine.inbound.context import Incoming
from onward.engine.inbound.interview_time import interview_time
from onward.engine.models import Person


class MilestoneCommands:
    """Mixed into the Router."""

    def interview(
        self,
        session: Session,
        person: Person | None,
        cmd: c.Interview,
        msg: Incoming,
        now: datetime,
    ) -> str:
        if person is None:
            return replies.no_plan()
        tz = ZoneInfo(person.timezone)
        local = interview_time(cmd.when, now.astimezone(tz)) if cmd.when else None
        run = runs.current_run(session, person.id)
        outcome_events.record(
            session,
            person.id,
            outcome_events.INTERVIEW,
            now,
            run_id=run.id if run else None,
            company=cmd.company,
            scheduled_for=local.astimezone(UTC) if local else None,
        )
        if cmd.when and local is None:
            return replies.interview_when_unclear(cmd.company)
        when = replies.when_text(local, now, tz) if local else None
        return replies.interview_noted(cmd.company, when)

    def offer(
        self, session: Session, person: Person | None, cmd: c.Offer, msg: Incoming, now: datetime
    ) -> str:
        if person is None:
            return replies.no_plan()
        run = runs.current_run(session, person.id)
        outcome_events.record(
            session, person.id, outcome_events.OFFER, now, run_id=run.id if run else None
        )
        return replies.offer_noted()

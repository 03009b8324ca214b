"""REJECTED: record the rejection and start its plan (superseding an older run), the steps due
at once going in the reply to the person's message."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from onward.engine import deliveries, replies, run_start
from onward.engine.coaches.coaching import coach_name
from onward.engine.inbound import intents as i
from onward.engine.inbound.context import Incoming, Turn
from onward.engine.plan_choice import choose_plan
from onward.engine.plan_store import parsed
from onward.engine.render import StepFacts, render_facts, step_source, with_footer
from onward.engine.schedule import NewStep, first_waiting
from onward.engine.storage.models import STEP_SENT, Person
from onward.plans import assign_arm


def _delivered_in_reply(
    session: Session, step: NewStep, person: Person, msg: Incoming, now: datetime
) -> None:
    """A step due at once travels in the immediate reply: one message, not two."""
    deliveries.sent_in_reply(
        session, step.id, step.run_id, person.id, msg.channel, msg.medium, msg.sender, now
    )


def rejected(turn: Turn, cmd: i.Rejected) -> str:
    session, person, msg, now = turn.session, turn.person, turn.msg, turn.now
    assert person is not None
    version = choose_plan(session, person, cmd.keyword, cmd.role, now)
    plan = parsed(version)
    # A step due at once answers what the person has just written, whatever the hour, so it
    # goes in the reply even when the window would hold it; a reply that will not reach
    # them (a retry by housekeeping) leaves it to the dispatcher.
    at_once = {
        step.id
        for step in plan.steps
        if step.due.offset == timedelta(0) and step.due.at is None and not step.business_days
    }

    def in_reply(step_key: str, due: datetime) -> bool:
        return msg.live and (due <= now or step_key in at_once)

    started = run_start.start_run(
        session,
        person,
        version,
        cmd.company,
        cmd.role,
        now,
        turn.config.default_window,
        in_reply,
        # The router read the current run, the person locked: with none, there is no open run
        # to supersede. Someone another replica wrote meanwhile is looked at again.
        superseding=[] if turn.run_id is None and not turn.found_racing else None,
    )
    opening = [step for step in started.steps if step.status == STEP_SENT]
    lang = turn.lang  # a new person's too (their number's country's)
    rejection = started.run.rejection
    assert rejection is not None  # only welcome runs (imports) have none
    texts = [
        render_facts(
            step_source(
                plan,
                step.step_key,
                step.reminder_of is not None,
                assign_arm(plan, person.id),
                lang,
            )[0],
            StepFacts(
                step_key=step.step_key,
                is_reminder=step.reminder_of is not None,
                due_at=step.due_at,
                company=rejection.company,
                role=rejection.role,
                applied=started.run.applied_count,
            ),
            plan,
            person,
            now,
            answers={},  # a run started this instant has no journal yet
            org=turn.config.org_name,
            coach=lambda: coach_name(session, person.id),
        )
        for step in opening
    ]
    for step in opening:
        _delivered_in_reply(session, step, person, msg, now)
    later = first_waiting(started.steps)
    when = replies.when_text(lang, later.due_at, now, ZoneInfo(person.timezone)) if later else None
    reply = replies.rejected(lang, cmd.company, texts, later.kind if later else None, when)
    return with_footer(reply, msg.medium, person, now, session=session)  # the plan's first message

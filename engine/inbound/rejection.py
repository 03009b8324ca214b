"""REJECTED: record the rejection and start its plan (superseding an older run), the steps due
at once going in the reply to the person's message."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from onward.channels import STATE_RANK
from onward.engine import replies, runs
from onward.engine.coaching import coach_name
from onward.engine.inbound import classify as c
from onward.engine.inbound.context import Incoming, RouterConfig
from onward.engine.models import STEP_SENT, Delivery, Person
from onward.engine.plan_store import parsed, plan_for_keyword
from onward.engine.render import StepFacts, render_facts, step_source
from onward.engine.schedule import NewStep, first_waiting

# A plain (Core) INSERT, built once: nothing reads the delivery back in this transaction.
_INSERT_DELIVERY = insert(cast(Table, Delivery.__table__))


class RejectedCommand:
    """Mixed into the Router."""

    config: RouterConfig

    def _delivered_in_reply(
        self, session: Session, step: NewStep, person: Person, msg: Incoming, now: datetime
    ) -> None:
        """A step due at once travels in the immediate reply: one message, not two."""
        session.execute(
            _INSERT_DELIVERY,
            {
                "step_id": step.id,
                "run_id": step.run_id,
                "person_id": person.id,
                "channel": msg.channel,
                "medium": msg.medium,
                "address": msg.sender,
                "status": "sent",
                "status_rank": STATE_RANK["sent"],
                "error": "in the immediate reply",
                "attempts": 1,
                "created_at": now,
                "updated_at": now,
            },
        )

    def rejected(
        self, session: Session, person: Person | None, cmd: c.Rejected, msg: Incoming, now: datetime
    ) -> str:
        assert person is not None
        version = plan_for_keyword(session, cmd.keyword)
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

        started = runs.start_run(
            session,
            person,
            version,
            cmd.company,
            cmd.role,
            now,
            self.config.default_window,
            in_reply,
        )
        opening = [step for step in started.steps if step.status == STEP_SENT]
        rejection = started.run.rejection
        texts = [
            render_facts(
                step_source(plan, step.step_key, step.reminder_of is not None)[0],
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
                org=self.config.org_name,
                coach=lambda: coach_name(session, person.id),
            )
            for step in opening
        ]
        for step in opening:
            self._delivered_in_reply(session, step, person, msg, now)
        later = first_waiting(started.steps)
        when = replies.when_text(later.due_at, now, ZoneInfo(person.timezone)) if later else None
        return replies.rejected(cmd.company, texts, later.kind if later else None, when)

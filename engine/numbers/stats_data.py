"""What `onward stats` reads from the database, as plain facts: no words, only times and labels.

One read per table for everything in scope (the runs of a plan, since a date), joined in
Python: the figures need each person's whole timeline, and a cohort of thousands fits easily.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from onward.engine import people
from onward.engine.storage.models import (
    Delivery,
    InboundMessage,
    Person,
    PlanVersion,
    Run,
    Step,
    status_is,
)
from onward.engine.storage.outcome_models import ExperimentArm, OutcomeEvent

# Inbound labels the figures follow (the router's command names; "crisis" marks duty of care).
OPT_OUT, PAUSE, CRISIS = "opt_out", "pause", "crisis"
FOLLOW_WINDOW = timedelta(hours=48)


@dataclass(frozen=True)
class Scope:
    plan: str | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class RunFact:
    id: int
    person_id: int
    plan: str
    version: int
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class StepFact:
    run_id: int
    key: str
    kind: str
    seq: int
    status: str
    sent_at: datetime | None
    done_at: datetime | None
    delivered: bool


@dataclass
class PersonFacts:
    """One person's timeline: their messages (labels and times) and outcome events."""

    messages: list[tuple[datetime, str]] = field(default_factory=list)
    events: list[tuple[datetime, str, int]] = field(default_factory=list)  # (at, kind, count)
    can_be_reached: bool = True

    def wrote(self, after: datetime, within: timedelta, label: str | None = None) -> bool:
        """Did they write (anything but an opt-out, or exactly `label`) in (after, after+within]?"""
        for at, command in self.messages:
            if after < at <= after + within:
                if label is None and command != OPT_OUT:
                    return True
                if label is not None and command == label:
                    return True
        return False

    def first(self, kind: str, after: datetime) -> datetime | None:
        times = [at for at, k, _ in self.events if k == kind and at >= after]
        return min(times) if times else None

    def heard_until(self, now: datetime) -> datetime:
        """The last moment we would know of an outcome: after a STOP on every medium, nothing
        they write is acted on, so their follow-up ends at that STOP."""
        if self.can_be_reached:
            return now
        stops = [at for at, command in self.messages if command == OPT_OUT]
        return max(stops) if stops else now


@dataclass
class Facts:
    runs: list[RunFact]
    steps: list[StepFact]
    people: dict[int, PersonFacts]
    arms: dict[int, str]  # run id -> arm


def _runs_query(scope: Scope) -> Select[int]:
    query = select(Run.id).join(PlanVersion, PlanVersion.id == Run.plan_version_id)
    if scope.plan is not None:
        query = query.where(PlanVersion.name == scope.plan)
    if scope.since is not None:
        query = query.where(Run.started_at >= scope.since)
    return query


def load_facts(session: Session, scope: Scope) -> Facts:
    run_ids = _runs_query(scope)
    person_ids = select(Run.person_id).where(Run.id.in_(run_ids))
    runs = [
        RunFact(*row)
        for row in session.execute(
            select(
                Run.id,
                Run.person_id,
                PlanVersion.name,
                PlanVersion.version,
                Run.started_at,
                Run.ended_at,
            )
            .join(PlanVersion, PlanVersion.id == Run.plan_version_id)
            .where(Run.id.in_(run_ids))
            .order_by(Run.started_at, Run.id)
        )
    ]
    delivered = set(
        session.scalars(
            select(Delivery.step_id).where(
                Delivery.run_id.in_(run_ids), status_is(Delivery.status, "delivered")
            )
        )
    )
    steps = [
        StepFact(run_id, key, kind, seq, status, sent_at, done_at, step_id in delivered)
        for step_id, run_id, key, kind, seq, status, sent_at, done_at in session.execute(
            select(
                Step.id,
                Step.run_id,
                Step.step_key,
                Step.kind,
                Step.seq,
                Step.status,
                Step.sent_at,
                Step.done_at,
            ).where(Step.run_id.in_(run_ids))
        )
    ]
    facts: dict[int, PersonFacts] = defaultdict(PersonFacts)
    for person_id, at, command in session.execute(
        select(InboundMessage.person_id, InboundMessage.received_at, InboundMessage.command)
        .where(InboundMessage.person_id.in_(person_ids), InboundMessage.handled_at.is_not(None))
        .order_by(InboundMessage.received_at)
    ):
        if person_id is not None:  # the query asks for people in scope only
            facts[person_id].messages.append((at, command or ""))
    for person_id, at, kind, count in session.execute(
        select(
            OutcomeEvent.person_id, OutcomeEvent.occurred_at, OutcomeEvent.kind, OutcomeEvent.count
        ).where(OutcomeEvent.person_id.in_(person_ids))
    ):
        facts[person_id].events.append((at, kind, count))
    for person in session.scalars(select(Person).where(Person.id.in_(person_ids))):
        facts[person.id].can_be_reached = people.sendable_medium(person) is not None
    arms = dict(
        session.execute(
            select(ExperimentArm.run_id, ExperimentArm.arm).where(ExperimentArm.run_id.in_(run_ids))
        ).all()
    )
    return Facts(runs, steps, dict(facts), arms)

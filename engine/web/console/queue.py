"""The coaches' queue: people who need a human, most urgent first.

Crisis first (the router pauses a plan for crisis: `runs.pause_reason = "crisis"`), then people
who asked for a coach (COACH), then messages onward could not place or was unsure of (a
sentence starting with a stop word), then people whose deliveries keep failing. An item leaves
the queue once a coach marks it handled (a resolved `help_requests` row).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from onward.engine import replies
from onward.engine.storage.console_models import Coaching, CoachMessage, HelpRequest, Staff
from onward.engine.storage.models import RUN_PAUSED, Delivery, InboundMessage, Person, Run

ORDER = ("crisis", "coach", "held", "unplaced", "unsure", "failing")
RECENT = timedelta(days=14)
FAILURES_TO_SHOW = 3
FAILED_STATES = ("failed", "undelivered")


@dataclass(frozen=True)
class QueueItem:
    kind: str  # one of ORDER
    person_id: int
    who: str  # phone or email
    why: str
    when: datetime
    ref_id: int | None  # the run, request, inbound message or delivery it is about
    taken_by: str | None


def queue(session: Session, now: datetime) -> list[QueueItem]:
    since = now - RECENT
    resolved = _resolved(session)
    items = [
        *_crises(session, resolved),
        *_coach_requests(session),
        *_held_messages(session),
        *_unplaced(session, since, resolved),
        *_failing(session, since, resolved),
    ]
    holders = _holders(session, {item.person_id for item in items})
    people = _labels(session, {item.person_id for item in items})
    ranked = sorted(items, key=lambda i: (ORDER.index(i.kind), -i.when.timestamp()))
    return [
        QueueItem(i.kind, i.person_id, people.get(i.person_id, "?"), i.why, i.when, i.ref_id,
                  holders.get(i.person_id))
        for i in ranked
    ]  # fmt: skip


def _resolved(session: Session) -> dict[tuple[str, int], datetime]:
    rows = session.execute(
        select(HelpRequest.kind, HelpRequest.ref_id, func.max(HelpRequest.resolved_at))
        .where(HelpRequest.resolved_at.is_not(None), HelpRequest.ref_id.is_not(None))
        .group_by(HelpRequest.kind, HelpRequest.ref_id)
    )
    return {(kind, ref): at for kind, ref, at in rows if ref is not None and at is not None}


def _crises(session: Session, resolved: dict[tuple[str, int], datetime]) -> list[QueueItem]:
    rows = session.execute(
        select(Run.id, Run.person_id, Run.paused_at).where(
            Run.status == RUN_PAUSED, Run.pause_reason == "crisis"
        )
    )
    items = []
    for run_id, person_id, paused_at in rows:
        when = paused_at or datetime.min.replace(tzinfo=UTC)
        handled = resolved.get(("crisis", run_id))
        if handled is None or handled < when:
            items.append(
                QueueItem("crisis", person_id, "", "wrote words of crisis", when, run_id, None)
            )
    return items


def _coach_requests(session: Session) -> list[QueueItem]:
    rows = session.scalars(
        select(HelpRequest).where(HelpRequest.kind == "coach", HelpRequest.resolved_at.is_(None))
    )
    return [
        QueueItem("coach", r.person_id, "", "asked for a coach", r.created_at, r.id, None)
        for r in rows
    ]


def _held_messages(session: Session) -> list[QueueItem]:
    """People a coach holds who wrote since the coach last replied: theirs to answer."""
    items = []
    held = session.execute(
        select(Coaching.person_id, Coaching.held_since).where(Coaching.held_since.is_not(None))
    )
    for person_id, since in held:
        latest = session.execute(
            select(InboundMessage.id, InboundMessage.received_at)
            .where(InboundMessage.person_id == person_id, InboundMessage.command == "held")
            .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
            .limit(1)
        ).first()
        answered = session.scalar(
            select(func.max(CoachMessage.created_at)).where(CoachMessage.person_id == person_id)
        )
        if latest is None or latest.received_at < since:
            continue
        if answered is not None and answered >= latest.received_at:
            continue
        items.append(QueueItem("held", person_id, "", "wrote to their coach",
                               latest.received_at, latest.id, None))  # fmt: skip
    return items


def _unplaced(
    session: Session, since: datetime, resolved: dict[tuple[str, int], datetime]
) -> list[QueueItem]:
    rows = session.execute(
        select(
            InboundMessage.id,
            InboundMessage.person_id,
            InboundMessage.received_at,
            InboundMessage.error,
            InboundMessage.reply,
        ).where(
            InboundMessage.received_at >= since,
            InboundMessage.person_id.is_not(None),
            (InboundMessage.error.is_not(None))
            | InboundMessage.command.in_(("free", "note", "answer")),
        )
    )
    # Read from what the router decided and answered, not guessed again from the words (which
    # stay sealed here): the hint is for words it could not place, the stop line for a sentence
    # that only started with a stop word and was kept.
    hints, unsure = (
        replies.in_every_language(replies.hint),
        replies.in_every_language(replies.stop_line),
    )
    items = []
    for inbound_id, person_id, received_at, error, reply in rows:
        done = ("unplaced", inbound_id) in resolved or ("unsure", inbound_id) in resolved
        if person_id is None or done:
            continue
        if error is not None:
            items.append(QueueItem("unplaced", person_id, "", "could not be handled",
                                   received_at, inbound_id, None))  # fmt: skip
        elif reply is not None and reply.endswith(tuple(unsure)):
            items.append(QueueItem("unsure", person_id, "", "starts with a stop word: kept, asked",
                                   received_at, inbound_id, None))  # fmt: skip
        elif reply in hints:
            items.append(QueueItem("unplaced", person_id, "", "onward could not place it",
                                   received_at, inbound_id, None))  # fmt: skip
    return items


def _failing(
    session: Session, since: datetime, resolved: dict[tuple[str, int], datetime]
) -> list[QueueItem]:
    latest = (
        select(Delivery.person_id, func.max(Delivery.id).label("last_id"))
        .where(Delivery.created_at >= since)
        .group_by(Delivery.person_id)
        .subquery()
    )
    failures = (
        select(Delivery.person_id, func.count().label("failures"))
        .where(Delivery.created_at >= since, Delivery.status.in_(FAILED_STATES))
        .group_by(Delivery.person_id)
        .subquery()
    )
    rows = session.execute(
        select(Delivery.person_id, Delivery.id, Delivery.updated_at, failures.c.failures)
        .join(latest, and_(latest.c.person_id == Delivery.person_id,
                           latest.c.last_id == Delivery.id))
        .join(failures, failures.c.person_id == Delivery.person_id)
        .where(Delivery.status.in_(FAILED_STATES), failures.c.failures >= FAILURES_TO_SHOW)
    )  # fmt: skip
    return [
        QueueItem("failing", person_id, "", f"{count} deliveries failed", at, delivery_id, None)
        for person_id, delivery_id, at, count in rows
        if ("failing", delivery_id) not in resolved
    ]


def _holders(session: Session, person_ids: set[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    rows = session.execute(
        select(Coaching.person_id, Staff.name)
        .join(Staff, Staff.id == Coaching.coach_id)
        .where(Coaching.person_id.in_(person_ids), Coaching.held_since.is_not(None))
    )
    return {row.person_id: row.name for row in rows}


def _labels(session: Session, person_ids: set[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    rows = session.execute(
        select(Person.id, Person.phone, Person.email).where(Person.id.in_(person_ids))
    )
    return {pid: phone or email or f"person {pid}" for pid, phone, email in rows}

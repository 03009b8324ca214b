"""The guards a claimed step passes at the moment of sending, then its delivery row in `sending`.

Everything is checked again here, not at claim time: the person may have opted out, the run
may have been paused or superseded, the window may have closed, a reminder's prompt may have
been answered, the step may be too old to send at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, joinedload

from onward.channels import STATE_RANK, Channel, OutboundMessage
from onward.engine import people
from onward.engine.models import (
    RUN_ACTIVE,
    RUN_PAUSED,
    STEP_CANCELLED,
    STEP_CLAIMED,
    STEP_FAILED,
    STEP_MISSED,
    STEP_PENDING,
    STEP_SENT,
    STEP_SKIPPED,
    Delivery,
    Person,
    Run,
    Step,
)
from onward.engine.outcomes import drop_queued, release, set_state
from onward.engine.pacing import ChannelHealth
from onward.engine.plan_store import parsed
from onward.engine.render import journal_answers, render_step, render_subject
from onward.engine.schedule import reminder_due, window_for
from onward.engine.timing import business_day_checker, place_in_window, window_closes_at
from onward.engine.unsubscribe import unsubscribe_url

if TYPE_CHECKING:
    from onward.engine.dispatch import DispatchConfig

# A channel whose credentials were refused is tried again this much later.
HELD_CHANNEL_DELAY = timedelta(minutes=5)


@dataclass(frozen=True)
class Prepared:
    """A step that passed its guards, rendered, with its delivery row written in `sending`."""

    step_id: int
    delivery_id: int
    channel_name: str
    message: OutboundMessage
    due_at: datetime


@dataclass
class Loaded:
    """What a batch of claimed steps needs, read in a few queries instead of a dozen per step."""

    steps: dict[int, Step]
    latest_delivery: dict[int, Delivery]
    parents: dict[int, Step]
    answers: dict[int, dict[str, str]]


def load_batch(session: Session, step_ids: Sequence[int]) -> Loaded:
    run_chain = joinedload(Step.run, innerjoin=True)
    steps = session.scalars(
        select(Step)
        .where(Step.id.in_(step_ids))
        .options(
            run_chain.joinedload(Run.person, innerjoin=True),
            run_chain.joinedload(Run.rejection, innerjoin=True),
            run_chain.joinedload(Run.plan_version, innerjoin=True),
        )
        # Row locks on PostgreSQL (SQLite's BEGIN IMMEDIATE already serialises writers).
        .with_for_update(of=Step)
    ).unique()
    by_id = {step.id: step for step in steps}
    latest: dict[int, Delivery] = {}
    for delivery in session.scalars(
        select(Delivery).where(Delivery.step_id.in_(list(by_id))).order_by(Delivery.id)
    ):
        assert delivery.step_id is not None
        latest[delivery.step_id] = delivery  # ordered by id: the last one wins
    parent_ids = [s.reminder_of for s in by_id.values() if s.reminder_of is not None]
    parents = (
        {p.id: p for p in session.scalars(select(Step).where(Step.id.in_(parent_ids)))}
        if parent_ids
        else {}
    )
    return Loaded(
        by_id, latest, parents, journal_answers(session, {s.run_id for s in by_id.values()})
    )


def prepare(
    session: Session,
    step_id: int,
    now: datetime,
    config: DispatchConfig,
    channels: Mapping[str, tuple[str, Channel]],
    health: ChannelHealth,
) -> Prepared | str:
    return prepare_batch(session, [step_id], now, config, channels, health)[0]


def prepare_batch(
    session: Session,
    step_ids: Sequence[int],
    now: datetime,
    config: DispatchConfig,
    channels: Mapping[str, tuple[str, Channel]],
    health: ChannelHealth,
) -> list[Prepared | str]:
    """Guard, render and write the `sending` delivery of each claimed step, in one transaction."""
    loaded = load_batch(session, step_ids)
    decided = [
        _decide(loaded, step_id, now, config, channels, health, session) for step_id in step_ids
    ]
    session.flush()
    # New delivery rows in one multi-row INSERT (the ORM would insert them one by one to keep
    # RETURNING in order); each comes back with its step id, so order does not matter.
    new = [d for d in decided if isinstance(d, _Pending) and d.delivery_id is None]
    if new:
        returned = session.execute(
            insert(Delivery).returning(Delivery.id, Delivery.step_id),
            [d.new_row(now) for d in new],
        )
        ids = {step_id: delivery_id for delivery_id, step_id in returned}
        for pending in new:
            pending.delivery_id = ids[pending.step.id]
    return [d.finish() if isinstance(d, _Pending) else d for d in decided]


@dataclass
class _Pending:
    """A step that passed its guards; its delivery id exists once the batch is flushed."""

    step: Step
    delivery_id: int | None  # None until the batch's new rows are inserted
    channel_name: str
    medium: str
    address: str
    text: str
    subject: str
    expires_at: datetime | None
    unsubscribe_url: str | None
    public_url: str

    def new_row(self, now: datetime) -> dict[str, object]:
        run = self.step.run
        return {
            "step_id": self.step.id,
            "run_id": run.id,
            "person_id": run.person_id,
            "channel": self.channel_name,
            "medium": self.medium,
            "address": self.address,
            "status": "sending",
            "status_rank": STATE_RANK["sending"],
            "attempts": 1,
            "created_at": now,
            "updated_at": now,
        }

    def finish(self) -> Prepared:
        assert self.delivery_id is not None
        message = OutboundMessage(
            delivery_id=self.delivery_id,
            medium=self.medium,  # type: ignore[arg-type]
            to=self.address,
            body=self.text,
            subject=self.subject,
            # Our delivery id travels in the callback URL: a status can always find its row.
            status_callback_url=(
                f"{self.public_url}/webhooks/{self.channel_name}/status?delivery={self.delivery_id}"
            ),
            expires_at=self.expires_at,
            unsubscribe_url=self.unsubscribe_url,
        )
        return Prepared(
            self.step.id, self.delivery_id, self.channel_name, message, self.step.due_at
        )


def _decide(
    loaded: Loaded,
    step_id: int,
    now: datetime,
    config: DispatchConfig,
    channels: Mapping[str, tuple[str, Channel]],
    health: ChannelHealth,
    session: Session,
) -> _Pending | str:
    step = loaded.steps.get(step_id)
    if step is None or step.status != STEP_CLAIMED or step.claimed_by != config.worker_id:
        return "lost"  # another dispatcher took it over after our lease ran out
    # The lease counts from now, not from the claim: steps late in a slow batch must not be
    # taken over (and their delivery marked unknown) while being sent.
    step.lease_until = now + config.lease
    run, person = step.run, step.run.person
    earlier = loaded.latest_delivery.get(step.id)
    if run.status == RUN_PAUSED:
        return release(step, "held")
    if run.status != RUN_ACTIVE:
        step.status, step.last_error = STEP_CANCELLED, f"run {run.status}"
        drop_queued(earlier, "cancelled", step.last_error, now)
        return release(step, "cancelled")
    if earlier is not None and earlier.status not in ("queued", "failed", "undelivered"):
        # Sent, or a sender vanished mid-send: never blindly send again.
        if earlier.status == "sending":
            set_state(earlier, "unknown", now)
            earlier.error = "the sender lost its lease before recording a result; not re-sent"
        step.status, step.sent_at = STEP_SENT, step.sent_at or earlier.created_at
        return release(step, "unknown" if earlier.status == "unknown" else "already-sent")
    plan = parsed(run.plan_version)
    window = window_for(person, plan, config.default_window)
    tz = ZoneInfo(person.timezone)
    plan_step = plan.step(step.step_key.removesuffix(".reminder"))
    if step.reminder_of is not None:
        parent = loaded.parents.get(step.reminder_of)
        if (
            parent is None
            or parent.answered_at is not None
            or parent.status in (STEP_CANCELLED, STEP_MISSED, STEP_SKIPPED, STEP_FAILED)
        ):
            step.status = STEP_SKIPPED
            step.last_error = (
                "the prompt was answered"
                if parent and parent.answered_at
                else "no prompt to remind of"
            )
            drop_queued(earlier, "cancelled", step.last_error, now)
            return release(step, "skipped")
        if parent.status != STEP_SENT:
            step.due_at = reminder_due(parent.due_at, plan_step, person, window)
            step.status = STEP_PENDING
            return release(step, "rescheduled")
    if now - step.due_at > config.grace:
        step.status, step.last_error = STEP_MISSED, "overdue past the grace period; not sent late"
        drop_queued(earlier, "missed", step.last_error, now)
        return release(step, "missed")
    is_open_day = business_day_checker(person.country) if plan_step.business_days else None
    opening, moved = place_in_window(now, tz, window, is_open_day)
    if moved:
        step.due_at, step.status = opening, STEP_PENDING
        return release(step, "rescheduled")
    medium = _medium_for(step, person, channels)
    if medium is None:
        step.status, step.last_error = STEP_SKIPPED, "no medium can carry it (opted out?)"
        drop_queued(earlier, "cancelled", step.last_error, now)
        return release(step, "skipped")
    channel_name = channels[medium][0]
    if health.reason(channel_name) is not None:
        step.due_at, step.status = now + HELD_CHANNEL_DELAY, STEP_PENDING
        return release(step, "held")
    address = people.address_on(person, medium)
    assert address is not None
    answers = loaded.answers.get(run.id, {})
    text = render_step(session, step, plan, person, run, now, answers)
    subject = (
        render_subject(session, step, plan, person, run, now, answers) if medium == "email" else ""
    )
    delivery_id = None
    if earlier is not None and earlier.status == "queued":  # a retry reuses its delivery
        earlier.channel, earlier.medium, earlier.address = channel_name, medium, address
        set_state(earlier, "sending", now)
        earlier.attempts += 1
        delivery_id = earlier.id
    step.attempts += 1
    return _Pending(
        step=step,
        delivery_id=delivery_id,
        channel_name=channel_name,
        medium=medium,
        address=address,
        text=text,
        subject=subject,
        expires_at=window_closes_at(now, tz, window),
        unsubscribe_url=(
            unsubscribe_url(session, config.public_url, person.id, medium)
            if medium == "email"
            else None
        ),
        public_url=config.public_url,
    )


def _medium_for(
    step: Step, person: Person, channels: Mapping[str, tuple[str, Channel]]
) -> str | None:
    """A fallback step keeps the medium it fell back to; others follow the person's preference."""
    if step.medium is not None:
        usable = people.status_on(person, step.medium) == people.ACTIVE
        return step.medium if usable and step.medium in channels else None
    medium = people.sendable_medium(person)
    return medium if medium in channels else None

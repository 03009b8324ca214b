"""The guards a claimed step passes at the moment of sending, then its delivery row in `sending`.

Everything is checked again here, not at claim time: the person may have opted out, the run
may have been paused or superseded, the window may have closed, a reminder's prompt may have
been answered, the step may be too old to send at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from onward.channels import Channel, OutboundMessage
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
    Step,
)
from onward.engine.outcomes import drop_queued, release, set_state
from onward.engine.pacing import ChannelHealth
from onward.engine.plan_store import parsed
from onward.engine.render import render_step, render_subject
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


def prepare(
    session: Session,
    step_id: int,
    now: datetime,
    config: DispatchConfig,
    channels: Mapping[str, tuple[str, Channel]],
    health: ChannelHealth,
) -> Prepared | str:
    step = session.get(Step, step_id, with_for_update=True)
    if step is None or step.status != STEP_CLAIMED or step.claimed_by != config.worker_id:
        return "lost"  # another dispatcher took it over after our lease ran out
    # The lease counts from now, not from the claim: steps late in a slow batch must not be
    # taken over (and their delivery marked unknown) while being sent.
    step.lease_until = now + config.lease
    run, person = step.run, step.run.person
    earlier = session.scalars(
        select(Delivery).where(Delivery.step_id == step.id).order_by(Delivery.id.desc())
    ).first()
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
        parent = session.get(Step, step.reminder_of)
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
    text = render_step(session, step, plan, person, run, now)
    subject = render_subject(session, step, plan, person, run, now) if medium == "email" else ""
    delivery = earlier if earlier is not None and earlier.status == "queued" else None
    if delivery is None:
        delivery = Delivery(
            step_id=step.id, run_id=run.id, person_id=person.id, attempts=0, created_at=now
        )
        session.add(delivery)
    delivery.channel, delivery.medium, delivery.address = channel_name, medium, address
    set_state(delivery, "sending", now)
    delivery.attempts += 1
    step.attempts += 1
    session.flush()
    message = OutboundMessage(
        delivery_id=delivery.id,
        medium=medium,  # type: ignore[arg-type]
        to=address,
        body=text,
        subject=subject,
        # Our delivery id travels in the callback URL: a status can always find its row.
        status_callback_url=(
            f"{config.public_url}/webhooks/{channel_name}/status?delivery={delivery.id}"
        ),
        expires_at=window_closes_at(now, tz, window),
        unsubscribe_url=(
            unsubscribe_url(session, config.public_url, person.id, medium)
            if medium == "email"
            else None
        ),
    )
    return Prepared(step.id, delivery.id, channel_name, message, step.due_at)


def _medium_for(
    step: Step, person: Person, channels: Mapping[str, tuple[str, Channel]]
) -> str | None:
    """A fallback step keeps the medium it fell back to; others follow the person's preference."""
    if step.medium is not None:
        usable = people.status_on(person, step.medium) == people.ACTIVE
        return step.medium if usable and step.medium in channels else None
    medium = people.sendable_medium(person)
    return medium if medium in channels else None

"""The guards a claimed step passes at the moment of sending, then its delivery row in `sending`.

Everything is checked again here, not at claim time: the person may have opted out, the run
may have been paused or superseded, the window may have closed, a reminder's prompt may have
been answered, the step may be too old to send at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from onward.channels import Channel, OutboundMessage
from onward.engine import people
from onward.engine.coaching import coach_name
from onward.engine.dispatch.claims import (
    Batch,
    Claimed,
    claim_due,
    insert_deliveries,
    load_batch,
    load_claimed,
    write_back,
)
from onward.engine.dispatch.outcomes import drop_queued, release, set_state
from onward.engine.dispatch.pacing import ChannelHealth
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
    Person,
)
from onward.engine.render import StepFacts, render_facts, step_source
from onward.engine.schedule import reminder_due, window_for
from onward.engine.timing import Window, business_day_checker, place_in_window, window_closes_at
from onward.engine.unsubscribe import unsubscribe_url

if TYPE_CHECKING:
    from onward.engine.dispatch.claims import StepRow
    from onward.engine.dispatch.dispatcher import DispatchConfig

# A channel whose credentials were refused is tried again this much later.
HELD_CHANNEL_DELAY = timedelta(minutes=5)

Channels = Mapping[str, tuple[str, Channel]]


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
    channels: Channels,
    health: ChannelHealth,
) -> Prepared | str:
    return prepare_batch(session, [step_id], now, config, channels, health)[0]


def prepare_batch(
    session: Session,
    step_ids: Sequence[int],
    now: datetime,
    config: DispatchConfig,
    channels: Channels,
    health: ChannelHealth,
) -> list[Prepared | str]:
    """Guard, render and write the `sending` delivery of steps claimed before: one transaction."""
    items = load_claimed(session, step_ids)
    results = _prepare(session, items, now, config, channels, health)
    decided = dict(zip([item.step.id for item in items], results, strict=True))
    # A step erased meanwhile (FORGET) is as lost as one another dispatcher took over.
    return [decided.get(step_id, "lost") for step_id in step_ids]


def claim_and_prepare(
    session: Session,
    now: datetime,
    config: DispatchConfig,
    channels: Channels,
    health: ChannelHealth,
) -> list[Prepared | str]:
    """Claim up to a batch of due steps and prepare them, in the caller's one transaction.

    The claim is written together with what the guards decide: no separate round of claim
    UPDATEs that the very next statement would overwrite.
    """
    items = claim_due(session, now, config.batch)
    for item in items:
        item.step.status, item.step.claimed_by = STEP_CLAIMED, config.worker_id
        item.step.lease_until = now + config.lease
    return _prepare(session, items, now, config, channels, health)


def _prepare(
    session: Session,
    items: list[Claimed],
    now: datetime,
    config: DispatchConfig,
    channels: Channels,
    health: ChannelHealth,
) -> list[Prepared | str]:
    batch = load_batch(session, items)
    windows: dict[tuple[str | None, int], Window] = {}
    decided = [
        _decide(batch, item, windows, now, config, channels, health, session) for item in items
    ]
    sending = [d for d in decided if isinstance(d, _Pending)]
    sending_ids = [d.item.step.id for d in sending]
    write_back(session, batch, sending_ids, config.worker_id, now + config.lease)
    new = [d for d in sending if d.delivery_id is None]
    if new:
        ids = insert_deliveries(session, [d.new_row() for d in new], now)
        for pending in new:
            pending.delivery_id = ids[pending.item.step.id]
    return [d.finish() if isinstance(d, _Pending) else d for d in decided]


@dataclass
class _Pending:
    """A step that passed its guards; its delivery id exists once the batch is written."""

    item: Claimed
    delivery_id: int | None  # None until the batch's new rows are inserted
    channel_name: str
    medium: str
    address: str
    text: str
    subject: str
    expires_at: datetime | None
    unsubscribe_url: str | None
    public_url: str

    def new_row(self) -> tuple[int, int, int, str, str, str]:
        step = self.item.step
        return (
            step.id,
            step.run_id,
            self.item.person_id,
            self.channel_name,
            self.medium,
            self.address,
        )

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
        step = self.item.step
        return Prepared(step.id, self.delivery_id, self.channel_name, message, step.due_at)


def _decide(
    batch: Batch,
    item: Claimed,
    windows: dict[tuple[str | None, int], Window],
    now: datetime,
    config: DispatchConfig,
    channels: Channels,
    health: ChannelHealth,
    session: Session,
) -> _Pending | str:
    step, person = item.step, item.person
    if step.status != STEP_CLAIMED or step.claimed_by != config.worker_id:
        return "lost"  # another dispatcher took it over after our lease ran out
    # The lease counts from now, not from the claim: steps late in a slow batch must not be
    # taken over (and their delivery marked unknown) while being sent.
    step.lease_until = now + config.lease
    earlier = batch.latest_delivery.get(step.id)
    if item.run_status == RUN_PAUSED:
        return release(step, "held")
    if item.run_status != RUN_ACTIVE:
        step.status, step.last_error = STEP_CANCELLED, f"run {item.run_status}"
        drop_queued(earlier, "cancelled", step.last_error, now)
        return release(step, "cancelled")
    if earlier is not None and earlier.status not in ("queued", "failed", "undelivered"):
        # Sent, or a sender vanished mid-send: never blindly send again.
        if earlier.status == "sending":
            set_state(earlier, "unknown", now)
            earlier.error = "the sender lost its lease before recording a result; not re-sent"
        step.status, step.sent_at = STEP_SENT, step.sent_at or earlier.created_at
        return release(step, "unknown" if earlier.status == "unknown" else "already-sent")
    plan = batch.plans[item.plan_version_id]
    # The window depends only on the person's own setting and the plan: worked out once a batch.
    key = (person.send_window, item.plan_version_id)
    window = windows.get(key)
    if window is None:
        window = windows[key] = window_for(person, plan, config.default_window)
    tz = ZoneInfo(person.timezone)
    plan_step = plan.step(step.step_key.removesuffix(".reminder"))
    if step.reminder_of is not None:
        parent = batch.parents.get(step.reminder_of)
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
    answers = batch.answers.get(step.run_id, {})
    facts = StepFacts(
        step.step_key,
        step.reminder_of is not None,
        step.due_at,
        item.company,
        item.role,
        item.applied_count,
    )
    source, subject_source = step_source(plan, step.step_key, facts.is_reminder)
    org, coach = config.org_name, partial(coach_name, session, person.id)
    text = render_facts(source, facts, plan, person, now, answers, org, coach)
    subject = (
        render_facts(subject_source, facts, plan, person, now, answers, org, coach)
        if medium == "email" and subject_source
        else ""
    )
    delivery_id = None
    if earlier is not None and earlier.status == "queued":  # a retry reuses its delivery
        earlier.channel, earlier.medium, earlier.address = channel_name, medium, address
        set_state(earlier, "sending", now)
        earlier.attempts += 1
        delivery_id = earlier.id
    step.attempts += 1
    return _Pending(
        item=item,
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


def _medium_for(step: StepRow, person: Person, channels: Channels) -> str | None:
    """A fallback step keeps the medium it fell back to; others follow the person's preference."""
    if step.medium is not None:
        usable = people.status_on(person, step.medium) == people.ACTIVE
        return step.medium if usable and step.medium in channels else None
    medium = people.sendable_medium(person)
    return medium if medium in channels else None

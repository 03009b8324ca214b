"""The guards a claimed step passes at the moment of sending.

Everything is checked again here, not at claim time: the person may have opted out, the run
may have been paused or superseded, the window may have closed, a reminder's prompt may have
been answered, the step may be too old to send at all. `decide` is pure: over what the claim
read, it says what becomes of the step (a `Release`, or a `Send` with the rendered text);
prepare.py then changes the rows the claim read, and the batch writes them back at once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from onward.channels import DeliveryState
from onward.engine import people
from onward.engine.dispatch.in_doubt import LOST_LEASE
from onward.engine.dispatch.values import HELD_CHANNEL_DELAY, Batch, Claimed, DeliveryRow, StepRow
from onward.engine.dispatch.wording import wording
from onward.engine.one_offs import is_one_off, unwanted
from onward.engine.schedule import reminder_due, window_for
from onward.engine.storage.models import (
    RUN_ACTIVE,
    RUN_PAUSED,
    STEP_CANCELLED,
    STEP_FAILED,
    STEP_MISSED,
    STEP_PENDING,
    STEP_SENT,
    STEP_SKIPPED,
    Recipient,
)
from onward.engine.timing import business_day_checker, place_in_window, window_closes_at
from onward.plans import Plan, SendWindow, assign_arm, skipped_for
from onward.plans import Step as PlanStep

# A step's place in its send window: its zone, window, country (business days) and whether
# it counts business days.
Placement = tuple[str, SendWindow, str | None, bool]

# Where a delivery still stands when its step is looked at again: retried, not sent before.
_RETRYABLE = ("queued", "failed", "undelivered")


@dataclass(frozen=True, slots=True)
class Rules:
    """What the guards compare a step with, besides the step: fixed for one batch."""

    grace: timedelta
    default_window: SendWindow
    channel_names: Mapping[str, str]  # medium -> the channel that carries it
    held: Collection[str]  # channels whose credentials were refused
    org_name: str = "onward"


# Plain (not frozen) dataclasses: a frozen one's __init__ costs a microsecond or two a step.
@dataclass(slots=True)
class Release:
    """The step is not sent now: what it becomes, and what becomes of a retry it had queued."""

    outcome: str
    status: str | None = None  # None: back to pending (when claimed)
    due_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    earlier_state: DeliveryState | None = None  # its latest delivery moves to this state
    earlier_error: str | None = None


@dataclass(slots=True)
class Send:
    """The step goes out now, rendered, on this channel and address."""

    channel_name: str
    medium: str
    address: str
    text: str
    subject: str
    expires_at: datetime | None
    reuse: bool  # its queued delivery (a retry) is sent again rather than a new one written


Decision = Release | Send


def decide(
    item: Claimed,
    batch: Batch,
    now: datetime,
    rules: Rules,
    windows: dict[tuple[str | None, int], SendWindow],
    placed: dict[Placement, tuple[tuple[datetime, bool], datetime | None]] | None = None,
) -> Decision:
    """What becomes of one claimed step, from what the claim read. Reads only; `windows`
    memoises the window of each (person's own window, plan) pair."""
    step, person = item.step, item.person
    earlier = batch.latest_delivery.get(step.id)
    if item.run_status == RUN_PAUSED:
        return Release("held")
    if item.run_status != RUN_ACTIVE:
        return _dropped("cancelled", STEP_CANCELLED, f"run {item.run_status}", earlier, "cancelled")
    if earlier is not None and earlier.status not in _RETRYABLE:
        # Sent, or a sender vanished mid-send: never blindly send again.
        vanished = earlier.status == "sending"
        return Release(
            "unknown" if vanished or earlier.status == "unknown" else "already-sent",
            status=STEP_SENT,
            sent_at=step.sent_at or earlier.created_at,
            earlier_state="unknown" if vanished else None,
            earlier_error=LOST_LEASE if vanished else None,
        )
    plan = batch.plans[item.plan_version_id]
    # The window depends only on the person's own setting and the plan: worked out once a batch.
    key = (person.send_window, item.plan_version_id)
    window = windows.get(key)
    if window is None:
        window = windows[key] = window_for(person, plan, rules.default_window)
    tz = ZoneInfo(person.timezone)
    plan_step, arm = None, None
    if is_one_off(step.step_key):
        reason = unwanted(batch.one_offs.get(step.id), now)
        if reason is not None:
            return _dropped("skipped", STEP_SKIPPED, reason, earlier, "cancelled")
    else:
        plan_step = plan.step(step.step_key.removesuffix(".reminder"))
        arm = assign_arm(plan, person.id)
        held_back = _plan_step_gate(item, batch, plan_step, arm, plan, window)
        if held_back is not None:
            return held_back
    if now - step.due_at > rules.grace:
        reason = "overdue past the grace period; not sent late"
        return _dropped("missed", STEP_MISSED, reason, earlier, "missed")
    # Where `now` falls in the window depends on the zone, the window and, for a step counted
    # in business days, the country: worked out once a batch for each (`placed` memoises it).
    # A one-off step (no plan step) counts plain days.
    business = plan_step is not None and plan_step.business_days
    country = person.country if business else None
    spot = (person.timezone, window, country, business)
    placement = placed.get(spot) if placed is not None else None
    if placement is None:
        is_open_day = business_day_checker(country) if business else None
        placement = (
            place_in_window(now, tz, window, is_open_day),
            window_closes_at(now, tz, window),
        )
        if placed is not None:
            placed[spot] = placement
    (opening, moved), closes = placement
    if moved:
        return Release("rescheduled", status=STEP_PENDING, due_at=opening)
    medium = _medium_for(step, person, rules.channel_names)
    if medium is None:
        reason = "no medium can carry it (opted out?)"
        return _dropped("skipped", STEP_SKIPPED, reason, earlier, "cancelled")
    channel_name = rules.channel_names[medium]
    if channel_name in rules.held:
        return Release("held", status=STEP_PENDING, due_at=now + HELD_CHANNEL_DELAY)
    address = people.address_on(person, medium)
    assert address is not None
    text, subject = wording(item, batch, plan, arm, now, rules.org_name, medium == "email")
    return Send(
        channel_name=channel_name,
        medium=medium,
        address=address,
        text=text,
        subject=subject,
        expires_at=closes,
        reuse=earlier is not None and earlier.status == "queued",
    )


def _plan_step_gate(
    item: Claimed,
    batch: Batch,
    plan_step: PlanStep,
    arm: str | None,
    plan: Plan,
    window: SendWindow,
) -> Decision | None:
    """What holds back a plan's step before its time is checked: the experiment's control arm
    leaves it out, or (for a reminder) its prompt was answered or is not sent yet."""
    step, earlier = item.step, batch.latest_delivery.get(item.step.id)
    if skipped_for(plan, arm, plan_step.id):
        reason = "left out for the experiment's control arm"
        return _dropped("skipped", STEP_SKIPPED, reason, earlier, "cancelled")
    if step.reminder_of is None:
        return None
    parent = batch.parents.get(step.reminder_of)
    if (
        parent is None
        or parent.answered_at is not None
        or parent.status in (STEP_CANCELLED, STEP_MISSED, STEP_SKIPPED, STEP_FAILED)
    ):
        reason = (
            "the prompt was answered" if parent and parent.answered_at else "no prompt to remind of"
        )
        return _dropped("skipped", STEP_SKIPPED, reason, earlier, "cancelled")
    if parent.status != STEP_SENT:
        due = reminder_due(parent.due_at, plan_step, item.person, window)
        return Release("rescheduled", status=STEP_PENDING, due_at=due)
    return None


def _dropped(
    outcome: str, status: str, reason: str, earlier: DeliveryRow | None, state: DeliveryState
) -> Release:
    """The step ends unsent; a retry it had queued says so rather than stay queued."""
    queued = earlier is not None and earlier.status == "queued"
    return Release(
        outcome,
        status=status,
        last_error=reason,
        earlier_state=state if queued else None,
        earlier_error=reason if queued else None,
    )


def _medium_for(step: StepRow, person: Recipient, channel_names: Mapping[str, str]) -> str | None:
    """A fallback step keeps the medium it fell back to; others follow the person's preference."""
    if step.medium is not None:
        usable = people.status_on(person, step.medium) == people.ACTIVE
        return step.medium if usable and step.medium in channel_names else None
    medium = people.sendable_medium(person)
    return medium if medium in channel_names else None

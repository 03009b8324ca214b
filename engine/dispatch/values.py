"""The plain values the outbound pipeline passes between its modules.

The dispatcher's settings, a claimed step as the claim read it, and a step ready to send: the
claim (claims.py) produces them, the guards (guards.py) decide over them, the sends and the
record (dispatcher.py, record.py) consume them. Kept here so that those modules import values
downward, never each other in a circle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from onward.channels import Channel, OutboundMessage, SendResult
from onward.engine.dispatch.retry import RetryPolicy
from onward.engine.one_offs import OneOff
from onward.engine.storage.models import PersonRow
from onward.plans import DEFAULT_WINDOW, Plan, SendWindow

# medium -> (channel name, channel)
Channels = Mapping[str, tuple[str, Channel]]

# A channel whose credentials were refused is tried again this much later.
HELD_CHANNEL_DELAY = timedelta(minutes=5)


@dataclass(frozen=True)
class DispatchConfig:
    worker_id: str
    lease: timedelta = timedelta(seconds=120)
    batch: int = 100
    grace: timedelta = timedelta(hours=6)
    default_window: SendWindow = DEFAULT_WINDOW
    public_url: str = "http://127.0.0.1:8000"
    org_name: str = "onward"  # {{ org }} in plan texts (ONWARD_ORG_NAME)
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(slots=True)
class StepRow:
    """A step's own columns, as read and as the guards leave them (changes are written back)."""

    id: int
    run_id: int
    step_key: str
    reminder_of: int | None
    due_at: datetime
    status: str
    claimed_by: str | None
    lease_until: datetime | None
    attempts: int
    last_error: str | None
    sent_at: datetime | None
    medium: str | None


@dataclass(slots=True)
class DeliveryRow:
    """A step's latest delivery, as read and as the guards leave it."""

    id: int
    step_id: int
    status: str
    status_rank: int
    error: str | None
    updated_at: datetime
    channel: str
    medium: str
    address: str
    attempts: int
    created_at: datetime
    body_digest: str | None


@dataclass(frozen=True, slots=True)
class Prompt:
    """A reminder's prompt (its parent step): whether it was sent and answered."""

    status: str
    due_at: datetime
    answered_at: datetime | None


@dataclass(slots=True)
class Claimed:
    """A claimed step with what its guards read about its run and person (read only)."""

    step: StepRow
    loaded: tuple[object, ...]  # the step's columns as read: what changed is written back
    run_status: str
    person_id: int
    applied_count: int
    plan_version_id: int
    company: str
    role: str
    person: PersonRow


@dataclass
class Batch:
    """Everything a batch of claimed steps needs, read in a handful of queries."""

    items: list[Claimed]
    latest_delivery: dict[int, DeliveryRow]  # by step id
    delivery_loaded: dict[int, tuple[object, ...]]  # by delivery id: its columns as read
    parents: dict[int, Prompt]  # by the prompt's step id
    answers: dict[int, dict[str, str]]
    plans: dict[int, Plan]
    coaches: dict[int, str] = field(default_factory=dict)  # by person id: `{{ coach }}`
    # By step id: what each one-off step (interview prep, application slot) is written from.
    one_offs: dict[int, OneOff] = field(default_factory=dict)


@dataclass(frozen=True)
class Prepared:
    """A step that passed its guards, rendered, with its delivery row written (`sending` when
    handed over at the claim, else `queued` until its turn)."""

    step_id: int
    delivery_id: int
    channel_name: str
    message: OutboundMessage
    due_at: datetime
    # On a channel that takes a whole batch at once: the claim already wrote the step as sent.
    step_sent: bool = False


# What each send came to: the provider's answer, its error, or None for a send not made.
Sent = list[tuple[Prepared, SendResult | Exception | None]]
# Sends the provider accepted, with its answers.
Accepted = list[tuple[Prepared, SendResult]]


def group_size(rates: Mapping[str, float], channel_names: set[str], batch: int) -> int:
    """How many sends are handed over (marked `sending`) and recorded together: what the
    slowest of these channels sends in about a second; a whole batch when none is paced."""
    slowest = min((rates.get(name, float(batch)) for name in channel_names), default=batch)
    return batch if slowest >= batch else max(1, int(slowest))

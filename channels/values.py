"""The plain values that cross the channel protocol: the media, the delivery states and their
ladder, a webhook's request, the messages in and out, and what a provider answers about them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Literal

Medium = Literal["sms", "email"]

DeliveryState = Literal[
    "queued",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "missed",
    "cancelled",
    "unknown",
]

# Status callbacks arrive late, twice and out of order; a delivery only ever moves up this
# ladder, so a late "sent" never overwrites "delivered". "unknown" means we handed the message
# over but cannot tell what became of it (the send call timed out), so it sits above "sending"
# and below every state a provider can confirm. The terminal states share the top rung: the
# first one recorded wins and nothing replaces it.
STATE_RANK: Mapping[DeliveryState, int] = MappingProxyType(
    {
        "queued": 0,
        "sending": 1,
        "unknown": 2,
        "sent": 3,
        "delivered": 4,
        "undelivered": 4,
        "failed": 4,
        "missed": 4,
        "cancelled": 4,
    }
)
TERMINAL_STATES: frozenset[DeliveryState] = frozenset(
    state for state, rank in STATE_RANK.items() if rank == max(STATE_RANK.values())
)


def can_advance(current: DeliveryState, new: DeliveryState) -> bool:
    """Whether a delivery in state ``current`` may move to ``new``: strictly up the ladder only."""
    return STATE_RANK[new] > STATE_RANK[current]


# What the provider did with a consent keyword before onward saw it: opted the person out,
# opted them back in, or sent its own HELP answer.
ProviderAnswer = Literal["opted_out", "opted_in", "help"]


@dataclass(frozen=True)
class WebhookRequest:
    """An HTTP request as a channel sees it: no web framework, so verification is unit-testable.

    ``headers`` keys are lower-cased on construction; ``url`` is the full URL the provider
    called (the engine rebuilds it from ``ONWARD_PUBLIC_URL``, as providers sign that one).
    """

    method: str
    url: str
    path: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    form: Mapping[str, str]
    body: bytes
    client_host: str | None

    def __post_init__(self) -> None:
        lowered = MappingProxyType({k.lower(): v for k, v in self.headers.items()})
        object.__setattr__(self, "headers", lowered)

    @property
    def content_type(self) -> str:
        """The media type of the body, lower-cased and without parameters ("" when absent)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class InboundMessage:
    """What a person wrote, parsed by the channel; ``sender`` is stripped but not normalised."""

    channel: str
    medium: Medium
    provider_message_id: str
    sender: str
    recipient: str
    body: str
    subject: str = ""
    received_at: datetime | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    # A consent keyword the provider has already acted on and answered itself (Twilio's
    # Advanced Opt-Out): onward records the change and stays silent, so one confirmation only.
    provider_answered: ProviderAnswer | None = None
    # Pictures or files that came with the words: never kept, but a kind line answers them.
    attachments: int = 0


@dataclass(frozen=True)
class OutboundMessage:
    """One nudge to send; ``delivery_id`` is onward's own id and travels in status callbacks."""

    delivery_id: int
    medium: Medium
    to: str
    body: str
    subject: str = ""
    status_callback_url: str | None = None
    expires_at: datetime | None = None
    # Email only: the signed one-click unsubscribe URL (RFC 8058) for List-Unsubscribe.
    unsubscribe_url: str | None = None
    # Email only: an HTML part of the sender's own (already escaped); else one is made from
    # ``body``. The plain part is always ``body``.
    html: str | None = None


@dataclass(frozen=True)
class SendResult:
    """What the provider said when it accepted a message."""

    provider_id: str
    status: DeliveryState


@dataclass(frozen=True)
class DeliveryStatus:
    """One status callback about one delivery, found by provider id or by our delivery id."""

    channel: str
    provider_id: str | None
    delivery_id: int | None
    state: DeliveryState
    error_code: str | None = None
    occurred_at: datetime | None = None
    # The provider's id of this event, so a retried batch is applied once (SendGrid sg_event_id).
    event_id: str | None = None
    # What the event says about the address itself: the person opted out (spam report,
    # unsubscribe) or the address is invalid (hard bounce).
    consent: Literal["opted_out", "invalid"] | None = None
    # The provider could not reach the person at this address (a carrier refused or could not
    # deliver the SMS, a hard bounce): the other medium may carry what this one could not.
    unreachable: bool = False

"""The channel protocol, the plain values that cross it, and the errors a channel may raise."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Literal, Protocol, TextIO, runtime_checkable

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


class ChannelError(Exception):
    """A channel failed."""

    def __init__(self, message: str | None = None) -> None:
        # The docstring's first line is the default message, so every error reads well bare.
        self.message = message or (type(self).__doc__ or "").strip().splitlines()[0]
        super().__init__(self.message)


class TransientSendError(ChannelError):
    """The provider could not take the message now; try again later."""

    def __init__(self, message: str | None = None, *, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentSendError(ChannelError):
    """The provider refused the message; sending it again will not help."""

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class RecipientOptedOut(PermanentSendError):
    """The recipient has opted out with the provider; send nothing more on this medium."""


class InvalidAddress(PermanentSendError):
    """The provider says the address is not one it can send to; do not use it again."""


WEBHOOK_REJECT_STATUSES = frozenset({400, 401, 403, 413, 422})


class SendOutcomeUnknown(ChannelError):
    """The provider may have taken the message: not sent again; its status callback decides."""


class ProviderAuthError(PermanentSendError):
    """The provider refused our credentials; stop using this channel until an operator acts."""


class WebhookRejected(ChannelError):
    """The webhook request was refused."""

    def __init__(self, message: str | None = None, *, status: int = 400) -> None:
        if status not in WEBHOOK_REJECT_STATUSES:
            raise ValueError(
                f"webhook rejection status must be one of {sorted(WEBHOOK_REJECT_STATUSES)}"
            )
        super().__init__(message)
        self.status = status


class ChannelNotConfigured(ChannelError):
    """A setting the channel needs is missing."""

    def __init__(self, setting: str, message: str | None = None) -> None:
        # Names the setting, never its value: values may be secrets.
        default = (type(self).__doc__ or "").strip().splitlines()[0].rstrip(".")
        super().__init__(message or f"{default}: {setting}")
        self.setting = setting


class ChannelUnavailable(ChannelError):
    """The channel cannot be loaded; install what it needs."""


class UnknownChannel(ChannelError, LookupError):
    """No channel is registered under that name."""


class NotAChannel(ChannelError, TypeError):
    """The registered object does not build a channel."""


@dataclass(frozen=True)
class ChannelContext:
    """Everything a channel is built from.

    ``settings`` keys are the environment variable names of the contract (``TWILIO_AUTH_TOKEN``,
    ``ONWARD_TWILIO_FROM``, ...), so ``ChannelNotConfigured`` names exactly what an operator sets.
    Secrets are plain strings here and only here; a channel keeps them private. ``public_url``
    is the base URL providers reach; ``output`` is where a channel that prints writes (``None``:
    standard output); ``medium`` picks the medium of a channel that serves several (``None``:
    the channel's own, or its first).
    """

    settings: Mapping[str, object] = field(default_factory=dict)
    public_url: str = "http://127.0.0.1:8000"
    output: TextIO | None = None
    medium: Medium | None = None
    # The engine's injected clock (aware UTC), for checks such as a webhook signature's age.
    clock: Callable[[], datetime] | None = None

    def require(self, key: str) -> str:
        """The setting ``key`` as a non-empty string, or ``ChannelNotConfigured`` naming it."""
        value = self.settings.get(key)
        if value is None or str(value).strip() == "":
            raise ChannelNotConfigured(key)
        return str(value)

    def optional(self, key: str) -> str | None:
        """The setting ``key`` as a string, or ``None`` when unset or empty."""
        value = self.settings.get(key)
        return None if value is None or str(value).strip() == "" else str(value)


@runtime_checkable
class Channel(Protocol):
    """One provider of one medium, the only place onward meets it.

    Class attributes declare what the registry and ``onward channels list`` show without
    building the channel: ``name``, ``medium``, ``max_body`` (bytes of body the provider takes),
    ``rate_per_sec`` (the dispatcher's ceiling; 0 when the provider sets none) and ``requires``
    (import names of the SDKs it needs). A channel that serves several media may also declare
    ``media`` and take its ``medium`` from the context. Every method may be called from several
    threads at once.
    """

    name: str
    medium: Medium
    max_body: int
    rate_per_sec: float
    requires: tuple[str, ...]

    def send(self, message: OutboundMessage) -> SendResult:
        """Hand the message to the provider; raise a ``ChannelError`` subclass on failure."""
        ...

    def parse_inbound(self, request: WebhookRequest) -> InboundMessage:
        """Verify the request came from the provider, then parse it; else ``WebhookRejected``."""
        ...

    def parse_status(self, request: WebhookRequest) -> list[DeliveryStatus]:
        """Verify and parse a status callback (possibly a batch); else ``WebhookRejected``."""
        ...

    def reply_response(self, text: str | None) -> tuple[str, bytes]:
        """Content type and body answering an inbound webhook, carrying ``text`` if any."""
        ...

    def check(self) -> str:
        """Ask the provider whether the credentials work: a short line, or a ``ChannelError``."""
        ...


def body_digest(body: str) -> str:
    """What onward keeps of a text it handed over: enough to recognise it among the messages a
    provider lists, nothing to read it back from."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SendInDoubt:
    """A send whose sender died between handing it over and recording the answer."""

    delivery_id: int
    to: str
    body_digest: str
    handed_over_at: datetime  # when it was marked `sending`: the provider has it after, if at all


@runtime_checkable
class FindsSent(Protocol):
    """An optional capability: a channel whose provider lists the messages it took.

    ``settle_after`` is how long after a send was handed over its answer is certain to be in
    the provider's list (any request still in flight has timed out by then). ``find_sent``
    returns the provider's answer for the message when it took it, ``None`` when it never did,
    and raises a ``ChannelError`` when it cannot tell now. Channels without it (SMTP, the
    console, SendGrid without its paid activity API) leave such a send ``unknown``.
    """

    settle_after: timedelta

    def find_sent(self, doubt: SendInDoubt) -> SendResult | None: ...


ChannelFactory = Callable[[ChannelContext], Channel]

"""The channel protocol: what a channel is built from, what it does, and its optional capability
of finding a send in doubt. (The values that cross it are values.py's; its errors errors.py's.)"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TextIO, runtime_checkable

from onward.channels.errors import ChannelNotConfigured
from onward.channels.values import (
    DeliveryStatus,
    InboundMessage,
    Medium,
    OutboundMessage,
    SendResult,
    WebhookRequest,
)


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

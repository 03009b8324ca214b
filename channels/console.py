"""The console channel: nudges printed to a terminal, inbound from `onward simulate`."""

from __future__ import annotations

import json
import sys
import threading
import uuid
from typing import TextIO

from onward.channels.base import ChannelContext
from onward.channels.errors import PermanentSendError, WebhookRejected
from onward.channels.net import is_loopback_host
from onward.channels.values import (
    DeliveryStatus,
    InboundMessage,
    Medium,
    OutboundMessage,
    SendResult,
    WebhookRequest,
)

FRAME_WIDTH = 72
MESSAGE_ID_HEADER = "x-console-message-id"
# The address onward answers on when `onward simulate` does not say which one it wrote to.
DEFAULT_RECIPIENT = "console"
_FIELDS = frozenset({"from", "to", "body", "subject"})


class ConsoleChannel:
    """Prints each nudge, framed; serves sms and email alike.

    The embedded default's channel, and the in-memory double tests use: a real implementation
    of the protocol with no provider behind it. Sends never fail for a provider's reasons, so
    every delivery is ``delivered`` at once. With ``keep_sent`` (tests) it also keeps each
    message in ``outbox``; a daemon does not, or it would grow with every nudge it sends.
    """

    name = "console"
    medium: Medium = "sms"
    media: tuple[Medium, ...] = ("sms", "email")
    max_body = 64 * 1024
    rate_per_sec = 0.0  # no provider's pace to keep: it prints
    requires: tuple[str, ...] = ()

    def __init__(self, context: ChannelContext | None = None, *, keep_sent: bool = False) -> None:
        context = context or ChannelContext()
        self.medium = context.medium or "sms"
        self.keep_sent = keep_sent
        self.outbox: list[OutboundMessage] = []
        # Kept unresolved so a stream swapped into sys.stdout later (pytest's capsys) is used.
        self._output: TextIO | None = context.output
        self._lock = threading.Lock()

    def send(self, message: OutboundMessage) -> SendResult:
        if not message.to.strip():
            raise PermanentSendError("the message has no address", code="no-address")
        size = len(message.body.encode())
        if size > self.max_body:
            raise PermanentSendError(
                f"the body is {size} bytes; the console takes at most {self.max_body}",
                code="body-too-long",
            )
        frame = render_frame(message)
        # One lock for stream and outbox: worker threads must not interleave their frames.
        with self._lock:
            output = self._output or sys.stdout
            output.write(frame)
            output.flush()
            if self.keep_sent:
                self.outbox.append(message)
        return SendResult(provider_id=f"console-{uuid.uuid4().hex}", status="delivered")

    def parse_inbound(self, request: WebhookRequest) -> InboundMessage:
        if not is_loopback_host(request.client_host):
            raise WebhookRejected(
                "the console channel only takes messages from this machine", status=403
            )
        fields = _json_object(request)
        unknown = sorted(fields.keys() - _FIELDS)
        if unknown:
            raise WebhookRejected(
                f"unknown fields {', '.join(map(repr, unknown))}; "
                f"expected {', '.join(sorted(_FIELDS))}",
                status=422,
            )
        sender = fields.get("from")
        if not isinstance(sender, str) or not sender.strip():
            raise WebhookRejected("'from' must be a non-empty string", status=422)
        body = fields.get("body")
        if not isinstance(body, str):
            raise WebhookRejected("'body' must be a string (it may be empty)", status=422)
        recipient = _optional_string(fields, "to").strip() or DEFAULT_RECIPIENT
        subject = _optional_string(fields, "subject")
        # A caller that retries with the same id gets the same message, stored once.
        given_id = request.headers.get(MESSAGE_ID_HEADER, "").strip()
        return InboundMessage(
            channel=self.name,
            medium=self.medium,
            provider_message_id=given_id or f"console-in-{uuid.uuid4().hex}",
            sender=sender.strip(),
            recipient=recipient,
            body=body,
            subject=subject,
        )

    def parse_status(self, request: WebhookRequest) -> list[DeliveryStatus]:
        # Console deliveries are delivered the moment they are printed: no callbacks ever come.
        return []

    def reply_response(self, text: str | None) -> tuple[str, bytes]:
        return "application/json", json.dumps({"reply": text}).encode()

    def check(self) -> str:
        return "ok"


def render_frame(message: OutboundMessage) -> str:
    """The nudge as printed: a header rule naming address, medium and delivery, body, rule."""
    # The address is shown in full: this is the operator's own terminal, where the whole text
    # is shown anyway, and telling people apart while simulating matters more there.
    header = f"── onward → {message.to} ({message.medium}) · delivery {message.delivery_id} "
    lines = [header.ljust(FRAME_WIDTH, "─") if len(header) < FRAME_WIDTH else header + "──"]
    if message.subject:
        lines += [f"Subject: {message.subject}", ""]
    lines += [message.body, "─" * FRAME_WIDTH]
    return "\n".join(lines) + "\n"


def _json_object(request: WebhookRequest) -> dict[str, object]:
    if request.content_type != "application/json":
        got = request.content_type or "no content type"
        raise WebhookRejected(f"the console channel takes application/json, not {got}", status=400)
    try:
        parsed = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebhookRejected(f"the body is not valid JSON: {exc}", status=400) from exc
    if not isinstance(parsed, dict):
        raise WebhookRejected("the body must be a JSON object", status=422)
    return parsed


def _optional_string(fields: dict[str, object], key: str) -> str:
    value = fields.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise WebhookRejected(f"{key!r} must be a string", status=422)
    return value

"""The SendGrid email channel: v3 mail send through the SDK, its errors mapped at one boundary."""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any

import python_http_client.exceptions as http_errors
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, Header, Mail
from sendgrid.helpers.mail.exceptions import SendGridException

from onward.channels.base import ChannelContext
from onward.channels.email_format import address_of, email_parts, subject_for, unsubscribe_headers
from onward.channels.errors import (
    ChannelError,
    ChannelNotConfigured,
    InvalidAddress,
    PermanentSendError,
    ProviderAuthError,
    SendOutcomeUnknown,
    TransientSendError,
)
from onward.channels.net import parse_retry_after
from onward.channels.sendgrid_webhooks import DELIVERY_ARG, EventVerifier, InboundParser
from onward.channels.values import (
    DeliveryStatus,
    InboundMessage,
    Medium,
    OutboundMessage,
    SendResult,
    WebhookRequest,
)

DEFAULT_API_BASE = "https://api.sendgrid.com"
DEFAULT_TIMEOUT = 10.0
# python_http_client logs every request's headers at DEBUG, Authorization (the API key)
# included: an operator who turns on debug logging must not spill the key into the logs.
logging.getLogger("python_http_client").setLevel(logging.INFO)


class SendgridEmailChannel:
    """Email through SendGrid: sends with our delivery id as a custom arg, takes the signed
    Event Webhook as status callbacks and Inbound Parse posts (basic auth) as replies."""

    name = "sendgrid"
    medium: Medium = "email"
    max_body = 1_000_000
    rate_per_sec = 50.0
    requires: tuple[str, ...] = ("sendgrid",)
    # SendGrid ignores what the webhook answers: an immediate reply is sent as its own email.
    replies_inline = False

    def __init__(self, context: ChannelContext, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._api_key = context.require("SENDGRID_API_KEY")
        sender = context.require("ONWARD_EMAIL_FROM")
        if address_of(sender) is None:
            raise ChannelNotConfigured(
                "ONWARD_EMAIL_FROM", "ONWARD_EMAIL_FROM is not an email address"
            )
        self._from = sender.strip()
        host = (context.optional("ONWARD_SENDGRID_API_BASE") or DEFAULT_API_BASE).rstrip("/")
        if not host.startswith(("http://", "https://")):
            raise ChannelNotConfigured(
                "ONWARD_SENDGRID_API_BASE", "ONWARD_SENDGRID_API_BASE must be an http(s) URL"
            )
        # The SDK adds /v3 itself; a base copied with it would otherwise call /v3/v3/...
        host = host.removesuffix("/v3")
        self._client: Any = SendGridAPIClient(api_key=self._api_key, host=host)
        self._client.client.timeout = timeout
        self._clock: Callable[[], datetime] | None = context.clock
        self._events = EventVerifier(
            context.optional("ONWARD_SENDGRID_EVENT_PUBLIC_KEY"), context.clock
        )
        self._inbound = InboundParser(
            context.optional("ONWARD_INBOUND_EMAIL_USER"),
            context.optional("ONWARD_INBOUND_EMAIL_PASSWORD"),
        )

    def send(self, message: OutboundMessage) -> SendResult:
        if address_of(message.to) is None:
            # The SDK's helper crashes on an address without "@" rather than refusing it.
            raise InvalidAddress("the recipient is not an email address", code="invalid_address")
        parts = email_parts(message.body, message.html)
        with self._provider_errors():
            mail = Mail(
                from_email=self._from,
                to_emails=message.to.strip(),
                subject=subject_for(message),
                plain_text_content=parts.text,
                html_content=parts.html,
            )
            # Status events carry custom args back: the delivery is found even when a delayed
            # bounce comes without SendGrid's message id.
            mail.custom_arg = CustomArg(DELIVERY_ARG, str(message.delivery_id))
            for key, value in unsubscribe_headers(message.unsubscribe_url).items():
                mail.header = Header(key, value)
            response = self._client.send(mail)
        message_id = response.headers.get("X-Message-Id")
        # A 202 always carries X-Message-Id; without one, events still find the delivery by id.
        provider_id = str(message_id).strip() if message_id else f"onward-{message.delivery_id}"
        return SendResult(provider_id=provider_id, status="queued")

    def parse_status(self, request: WebhookRequest) -> list[DeliveryStatus]:
        return self._events.parse(request, self.name)

    def parse_inbound(self, request: WebhookRequest) -> InboundMessage:
        return self._inbound.parse(request, self.name)

    def reply_response(self, text: str | None) -> tuple[str, bytes]:
        # SendGrid only looks at the status code; the engine mails any reply separately.
        return "application/json", b"{}"

    def check(self) -> str:
        with self._provider_errors():
            response = self._client.client.scopes.get()
        try:
            scopes = json.loads(response.body or b"{}").get("scopes")
        except (ValueError, AttributeError):
            scopes = None
        if isinstance(scopes, list) and "mail.send" not in scopes:
            raise ProviderAuthError("the SendGrid API key lacks the mail.send permission")
        return "ok"

    @contextmanager
    def _provider_errors(self) -> Iterator[None]:
        """The one place SendGrid's and the network's exceptions become onward's."""
        try:
            yield
        except http_errors.HTTPError as exc:
            raise self._redacted(self._http_error(exc)) from None
        except SendGridException as exc:
            # The helpers refuse, for one, a body that looks like an API key.
            raise PermanentSendError(
                f"the SendGrid library refused the message: {type(exc).__name__}",
                code="rejected",
            ) from None
        except TimeoutError:
            # The request went out: SendGrid may have the mail, so it is not sent again.
            raise SendOutcomeUnknown(
                "SendGrid did not answer in time; the message may or may not have been accepted"
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            # URLError (refused, DNS), resets and TLS failures are all OSError here.
            reason = getattr(exc, "reason", None) or exc
            raise self._redacted(
                TransientSendError(f"could not reach SendGrid: {type(exc).__name__}: {reason}")
            ) from None

    def _http_error(self, exc: Any) -> ChannelError:
        status = int(exc.status_code)
        errors = _error_list(exc.body)
        detail = "; ".join(text for _field, text in errors)[:300] or str(exc.reason)
        text = f"SendGrid answered {status}: {detail}"
        if status in (401, 403):
            return ProviderAuthError(text)
        if status == 429 or status >= 500 or status < 400:
            return TransientSendError(text, retry_after=self._retry_after(exc.headers))
        if status == 400 and any(_about_recipient(field, msg) for field, msg in errors):
            return InvalidAddress(text, code="invalid_address")
        return PermanentSendError(text, code=f"http_{status}")

    def _retry_after(self, headers: Message | None) -> timedelta | None:
        if headers is None:
            return None
        now = self._clock() if self._clock is not None else None
        given = parse_retry_after(headers.get("Retry-After"), now)
        if given is not None:
            return given
        reset = (headers.get("X-RateLimit-Reset") or "").strip()
        if reset.isdigit() and now is not None:
            return max(datetime.fromtimestamp(int(reset), UTC) - now, timedelta(0))
        return None

    def _redacted(self, error: ChannelError) -> ChannelError:
        # Belt and braces: whatever a server echoed, the key never leaves in an error's text.
        if self._api_key in error.message:
            error.message = error.message.replace(self._api_key, "[redacted]")
            error.args = (error.message,)
        return error


def _error_list(body: object) -> list[tuple[str, str]]:
    """SendGrid's ``{"errors": [{"field": ..., "message": ...}]}`` as (field, message) pairs."""
    try:
        raw = body.decode("utf-8") if isinstance(body, bytes) else str(body or "")
        errors = json.loads(raw).get("errors", []) if raw else []
    except (ValueError, AttributeError):
        return []
    pairs = []
    for item in errors if isinstance(errors, list) else []:
        if isinstance(item, dict):
            pairs.append((str(item.get("field") or ""), str(item.get("message") or "")))
    return pairs


def _about_recipient(field: str, message: str) -> bool:
    """Whether a 400's error blames the recipient's address (not our own From address)."""
    field, message = field.lower(), message.lower()
    if field.startswith(("from", "reply_to")):
        return False
    names_address = any(
        phrase in message
        for phrase in ("valid address", "valid email", "invalid email", "recipient")
    )
    return names_address or (field.startswith("personalizations") and ".to" in field)

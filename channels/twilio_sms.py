"""The Twilio SMS channel: send through the SDK, find a send in doubt, answer replies with TwiML;
its webhooks verified and read by twilio_webhooks.py."""

from __future__ import annotations

import html
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from twilio.rest import Client

from onward.channels.base import ChannelContext, SendInDoubt, body_digest
from onward.channels.errors import ChannelNotConfigured, PermanentSendError, ProviderAuthError
from onward.channels.twilio_errors import MALFORMED_RESPONSE, HeaderRecordingHttpClient, map_errors
from onward.channels.twilio_webhooks import STATES, TwilioWebhooks
from onward.channels.values import (
    DeliveryStatus,
    InboundMessage,
    Medium,
    OutboundMessage,
    SendResult,
    WebhookRequest,
)

DEFAULT_TIMEOUT = 10.0
# How many of a number's latest messages a send in doubt is looked for among, and the clock
# skew allowed between onward and Twilio when comparing their times.
LIST_LIMIT = 50
CLOCK_SKEW = timedelta(minutes=1)
# Twilio's bounds for ValidityPeriod, in seconds (the Message resource's create parameters).
MIN_VALIDITY, MAX_VALIDITY = 1, 36_000
TWIML_START = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
TWIML_END = "</Message></Response>"
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response />'


class TwilioSmsChannel:
    """SMS through Twilio's Programmable Messaging API, from a number or a Messaging Service.

    Each send carries a ValidityPeriod ending at the message's ``expires_at`` (the send window's
    close), so a message stuck in Twilio's queue expires rather than arriving at night.
    """

    name = "twilio"
    medium: Medium = "sms"
    max_body = 1600  # Twilio's limit, in characters, for one message however many segments
    rate_per_sec = 1.0  # a long code sends one segment a second
    requires: tuple[str, ...] = ("twilio",)

    def __init__(self, context: ChannelContext, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._account_sid = context.require("TWILIO_ACCOUNT_SID")
        self._auth_token = context.require("TWILIO_AUTH_TOKEN")
        self._webhooks = TwilioWebhooks(self._auth_token, self.name, self.medium)
        # A Messaging Service picks the sender from its pool, so it wins when both are set.
        self._service_sid = context.optional("ONWARD_TWILIO_MESSAGING_SERVICE_SID")
        self._from = None if self._service_sid else context.optional("ONWARD_TWILIO_FROM")
        if not (self._service_sid or self._from):
            raise ChannelNotConfigured(
                "ONWARD_TWILIO_FROM",
                "Twilio needs a sender: set ONWARD_TWILIO_FROM "
                "or ONWARD_TWILIO_MESSAGING_SERVICE_SID",
            )
        self.rate_per_sec = _rate(context.optional("ONWARD_TWILIO_RATE_PER_SEC"))
        # A send in doubt is looked up once any request for it has surely ended (timed out).
        self.settle_after = timedelta(seconds=2 * timeout)
        self._clock: Callable[[], datetime] | None = context.clock
        self._http = HeaderRecordingHttpClient(timeout=timeout)
        # Credentials passed as the SDK's "environment" too, so it never reads TWILIO_EDGE or
        # TWILIO_REGION from the process: ONWARD_TWILIO_API_BASE is the one way to move the host.
        self._client: Any = Client(
            self._account_sid,
            self._auth_token,
            http_client=self._http,
            environment={
                "TWILIO_ACCOUNT_SID": self._account_sid,
                "TWILIO_AUTH_TOKEN": self._auth_token,
            },
        )
        api_base = _api_base(context.optional("ONWARD_TWILIO_API_BASE"))
        if api_base:
            self._client.api.base_url = api_base

    def __repr__(self) -> str:
        sender = f"service {self._service_sid}" if self._service_sid else f"from {self._from}"
        return f"<TwilioSmsChannel account {self.account_label} {sender}>"

    @property
    def account_label(self) -> str:
        """The account SID shortened for messages, e.g. ``AC12…cd``."""
        sid = self._account_sid
        return f"{sid[:4]}…{sid[-2:]}" if len(sid) > 8 else sid

    def send(self, message: OutboundMessage) -> SendResult:
        if not message.to.strip():
            raise PermanentSendError("the message has no phone number", code="no-address")
        if len(message.body) > self.max_body:
            raise PermanentSendError(
                f"the body is {len(message.body)} characters; Twilio takes at most {self.max_body}",
                code="body-too-long",
            )
        params: dict[str, object] = {"to": message.to, "body": message.body}
        if self._service_sid:
            params["messaging_service_sid"] = self._service_sid
        else:
            params["from_"] = self._from
        if message.status_callback_url:
            params["status_callback"] = message.status_callback_url
        validity = self.validity_period(message.expires_at)
        if validity is not None:
            params["validity_period"] = validity
        with self._errors("send a message"):
            created = self._client.messages.create(**params)
        sid, status = getattr(created, "sid", None), getattr(created, "status", None)
        if not isinstance(sid, str) or not sid:
            raise PermanentSendError(
                "Twilio accepted the message but its answer has no sid; not retried, as "
                "the message may be on its way",
                code=MALFORMED_RESPONSE,
            )
        return SendResult(provider_id=sid, status=STATES.get(str(status), "queued"))

    def find_sent(self, doubt: SendInDoubt) -> SendResult | None:
        """The message Twilio took for this send in doubt, found among those it lists for the
        recipient, or None when it never took it.

        Listed by ``To`` (and ``From`` for a single sender), newest first; not by ``DateSent``,
        which is empty while Twilio still queues a message (at a long code's pace, minutes):
        filtering on it would miss exactly the messages most likely in doubt. A match is our
        sender, the same text, created after the send was handed over (a minute of clock skew
        allowed); an answer that lists nothing means nothing was taken.
        """
        filters: dict[str, object] = {"to": doubt.to, "limit": LIST_LIMIT}
        if self._from:
            filters["from_"] = self._from
        with self._errors("list the messages sent to a number"):
            listed = self._client.messages.list(**filters)
        earliest = doubt.handed_over_at - CLOCK_SKEW
        for message in listed:
            ours = (
                getattr(message, "messaging_service_sid", None) == self._service_sid
                if self._service_sid
                else getattr(message, "from_", None) == self._from
            )
            created = getattr(message, "date_created", None)
            body = getattr(message, "body", None)
            if (
                ours
                and isinstance(body, str)
                and body_digest(body) == doubt.body_digest
                and isinstance(created, datetime)
                and created >= earliest
            ):
                status = STATES.get(str(getattr(message, "status", "")), "sent")
                return SendResult(provider_id=str(message.sid), status=status)
        return None

    def validity_period(self, expires_at: datetime | None) -> int | None:
        """Seconds until ``expires_at``, within Twilio's bounds; ``None`` when unknowable."""
        if expires_at is None or self._clock is None:
            return None
        seconds = int((expires_at - self._clock()).total_seconds())
        return max(MIN_VALIDITY, min(MAX_VALIDITY, seconds))

    def parse_inbound(self, request: WebhookRequest) -> InboundMessage:
        return self._webhooks.parse_inbound(request)

    def parse_status(self, request: WebhookRequest) -> list[DeliveryStatus]:
        return self._webhooks.parse_status(request)

    def reply_response(self, text: str | None) -> tuple[str, bytes]:
        # The SDK's MessagingResponse writes exactly this through ElementTree, which escapes
        # only &, < and > in text; built as a string it costs a few microseconds, not 150.
        if not text:
            return "application/xml", EMPTY_TWIML
        body = f"{TWIML_START}{html.escape(text, quote=False)}{TWIML_END}"
        return "application/xml", body.encode("utf-8")

    def check(self) -> str:
        with self._errors("fetch the account"):
            account = self._client.api.v2010.accounts(self._account_sid).fetch()
        status = str(getattr(account, "status", "unknown"))
        if status != "active":
            raise ProviderAuthError(
                f"account {self.account_label} is {status}: Twilio will not send from it",
                code=f"account-{status}",
            )
        kind = getattr(account, "type", None)
        name = getattr(account, "friendly_name", None)
        details = "; ".join(str(part) for part in (kind, name) if part)
        return f"account {self.account_label} is active" + (f" ({details})" if details else "")

    def _errors(self, doing: str) -> AbstractContextManager[None]:
        return map_errors(
            doing,
            account=self.account_label,
            headers=self._http.last_headers,
            clock=self._clock,
            secret=self._auth_token,
        )


def _rate(value: str | None) -> float:
    if value is None:
        return TwilioSmsChannel.rate_per_sec
    try:
        rate = float(value)
    except ValueError:
        rate = 0.0
    if not rate > 0 or rate == float("inf"):
        raise ChannelNotConfigured(
            "ONWARD_TWILIO_RATE_PER_SEC",
            f"ONWARD_TWILIO_RATE_PER_SEC must be a positive number of messages a second, "
            f"not {value!r}",
        )
    return rate


def _api_base(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ChannelNotConfigured(
            "ONWARD_TWILIO_API_BASE",
            f"ONWARD_TWILIO_API_BASE must be an http(s) URL such as https://api.twilio.com, "
            f"not {value!r}",
        )
    return value.strip().rstrip("/")

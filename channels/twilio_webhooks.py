"""Twilio's webhooks: each request's X-Twilio-Signature checked, then a reply or a status
callback read into onward's values; and Twilio's message statuses as onward's delivery states."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from onward.channels.errors import WebhookRejected
from onward.channels.twilio_errors import INVALID_RECIPIENT_CODES, OPTED_OUT_CODE, UNREACHABLE_CODES
from onward.channels.twilio_signing import matches
from onward.channels.values import (
    DeliveryState,
    DeliveryStatus,
    InboundMessage,
    Medium,
    ProviderAnswer,
    WebhookRequest,
)

SIGNATURE_HEADER = "x-twilio-signature"
SHARED_KEY_HEADER = "x-twilio-webhooks-signature-settings"
DELIVERY_QUERY_KEY = "delivery"

# Advanced Opt-Out's OptOutType: Twilio has already acted on the keyword and answered it.
OPT_OUT_TYPES: dict[str, ProviderAnswer] = {
    "STOP": "opted_out",
    "START": "opted_in",
    "HELP": "help",
}

# Twilio's message statuses as onward's delivery states. "receiving"/"received" belong to
# inbound messages and never describe a send, so a callback carrying them is refused.
STATES: dict[str, DeliveryState] = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    # Reached the handset in part (a multi-part message): the person has it, so no fallback.
    "partially_delivered": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "cancelled",
}


class TwilioWebhooks:
    """The requests Twilio makes to the channel ``channel`` (of ``medium``), each verified with
    the account's auth token before it is read."""

    def __init__(self, auth_token: str, channel: str, medium: Medium) -> None:
        self._auth_token = auth_token
        self._channel = channel
        self._medium = medium

    def parse_inbound(self, request: WebhookRequest) -> InboundMessage:
        self._verify(request)
        form = request.form
        message_sid = _required(form, "MessageSid")
        sender = _required(form, "From")
        # Advanced Opt-Out has already answered STOP/START/HELP; the engine must know that.
        answered = OPT_OUT_TYPES.get(form.get("OptOutType", "").strip().upper())
        num_media = form.get("NumMedia", "").strip()
        return InboundMessage(
            channel=self._channel,
            medium=self._medium,
            provider_message_id=message_sid,
            sender=sender,
            recipient=form.get("To", "").strip(),
            body=form.get("Body", ""),
            provider_answered=answered,
            attachments=int(num_media) if num_media.isdigit() and len(num_media) < 4 else 0,
        )

    def parse_status(self, request: WebhookRequest) -> list[DeliveryStatus]:
        self._verify(request)
        form = request.form
        message_sid = _required(form, "MessageSid")
        twilio_status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip()
        state = STATES.get(twilio_status.lower())
        if state is None:
            raise WebhookRejected(
                f"unknown MessageStatus {twilio_status!r} for {message_sid}", status=422
            )
        error_code = form.get("ErrorCode", "").strip() or None
        consent: Literal["opted_out", "invalid"] | None = None
        if error_code == OPTED_OUT_CODE:
            consent = "opted_out"
        elif error_code in INVALID_RECIPIENT_CODES:
            consent = "invalid"
        return [
            DeliveryStatus(
                channel=self._channel,
                provider_id=message_sid,
                delivery_id=_delivery_id(request.url),
                state=state,
                error_code=error_code,
                consent=consent,
                unreachable=error_code in UNREACHABLE_CODES,
            )
        ]

    def _verify(self, request: WebhookRequest) -> None:
        signature = request.headers.get(SIGNATURE_HEADER, "").strip()
        if not signature:
            raise WebhookRejected("the request has no X-Twilio-Signature header", status=403)
        if SHARED_KEY_HEADER in request.headers:
            raise WebhookRejected(
                "the request is signed with a Twilio SharedKey; onward checks signatures made "
                "with TWILIO_AUTH_TOKEN, so remove the Webhook Rule that matches this URL",
                status=403,
            )
        if not matches(
            request.url,
            request.form,
            signature,
            self._auth_token,
            request.body,
            request.content_type,
        ):
            raise WebhookRejected(
                f"the X-Twilio-Signature does not match a request to {request.url}; "
                "Twilio signs the URL it calls, so ONWARD_PUBLIC_URL must be that URL's base",
                status=403,
            )


def _required(form: Mapping[str, str], key: str) -> str:
    value = str(form.get(key, "")).strip()
    if not value:
        raise WebhookRejected(f"the request has no {key}", status=422)
    return value


def _delivery_id(url: str) -> int | None:
    # Read from the signed URL, not a separately parsed query: only the URL is authenticated.
    values = parse_qs(urlsplit(url).query).get(DELIVERY_QUERY_KEY)
    if not values:
        return None
    if not values[0].isdigit():
        raise WebhookRejected(f"the delivery id {values[0]!r} is not a number", status=422)
    return int(values[0])

"""SendGrid's two webhooks: the signed Event Webhook (statuses) and Inbound Parse (replies)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from email import message_from_string, policy
from email.message import EmailMessage
from email.parser import HeaderParser
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric import ec
from sendgrid.helpers.eventwebhook import EventWebhook, EventWebhookHeader

from onward.channels.email_format import address_of, aligned, domain_of, first_address, reply_text
from onward.channels.errors import ChannelNotConfigured, WebhookRejected
from onward.channels.values import DeliveryState, DeliveryStatus, InboundMessage, WebhookRequest

DELIVERY_ARG = "onward_delivery_id"
MAX_AGE = timedelta(minutes=10)
MAX_SKEW = timedelta(minutes=5)
MAX_ID_LENGTH = 128  # the inbox keys messages on a column this wide
# Status by event; open and click say nothing about delivery and are ignored. A spam report
# or an unsubscribe comes from a person who received the email, so it also proves delivery.
EVENT_STATES: Mapping[str, DeliveryState] = {
    "processed": "queued",
    "deferred": "sending",  # a delay, not a failure: SendGrid keeps trying
    "delivered": "delivered",
    "bounce": "undelivered",
    "dropped": "failed",
    "spamreport": "delivered",
    "unsubscribe": "delivered",
    "group_unsubscribe": "delivered",
}
OPT_OUT_EVENTS = frozenset({"spamreport", "unsubscribe", "group_unsubscribe"})
Consent = Literal["opted_out", "invalid"]
_DKIM_RESULT = re.compile(r"@?([A-Za-z0-9.-]+)\s*:\s*([A-Za-z]+)")


class EventVerifier:
    """Checks the Event Webhook's ECDSA signature and age, then maps each event to a status."""

    def __init__(self, public_key: str | None, clock: Callable[[], datetime] | None) -> None:
        self._clock = clock
        self._webhook: Any = None
        if public_key is not None:
            # SendGrid shows bare base64; a key pasted with its PEM armour is taken too.
            armour = ("-----BEGIN", "-----END")
            lines = [line.strip() for line in public_key.strip().splitlines()]
            bare = "".join(line for line in lines if not line.startswith(armour))
            try:
                self._webhook = EventWebhook(bare)
            except (ValueError, TypeError):
                self._webhook = None
            if not isinstance(
                getattr(self._webhook, "public_key", None), ec.EllipticCurvePublicKey
            ):
                raise ChannelNotConfigured(
                    "ONWARD_SENDGRID_EVENT_PUBLIC_KEY",
                    "ONWARD_SENDGRID_EVENT_PUBLIC_KEY is not the base64 ECDSA key SendGrid shows",
                )

    def parse(self, request: WebhookRequest, channel: str) -> list[DeliveryStatus]:
        self._verify(request)
        try:
            events = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise WebhookRejected(f"the event batch is not JSON: {exc}", status=400) from None
        if not isinstance(events, list):
            raise WebhookRejected("the event batch must be a JSON array", status=400)
        # Items we cannot use are skipped, not refused: SendGrid would retry the whole batch.
        found = (_status(event, channel) for event in events if isinstance(event, dict))
        return [status for status in found if status is not None]

    def _verify(self, request: WebhookRequest) -> None:
        if self._webhook is None:
            raise WebhookRejected(
                "events are refused: ONWARD_SENDGRID_EVENT_PUBLIC_KEY is not set", status=403
            )
        signature = request.headers.get(EventWebhookHeader.SIGNATURE.lower(), "").strip()
        timestamp = request.headers.get(EventWebhookHeader.TIMESTAMP.lower(), "").strip()
        if not signature or not timestamp.isdigit():
            raise WebhookRejected("missing event webhook signature or timestamp", status=403)
        if self._clock is not None:
            age = self._clock() - datetime.fromtimestamp(int(timestamp), UTC)
            if age > MAX_AGE or -age > MAX_SKEW:
                raise WebhookRejected("the event webhook timestamp is stale", status=403)
        try:
            payload = request.body.decode("utf-8")
            valid = bool(self._webhook.verify_signature(payload, signature, timestamp))
        except (UnicodeDecodeError, ValueError, TypeError, binascii.Error):
            valid = False
        if not valid:
            raise WebhookRejected("the event webhook signature does not match", status=403)


def _status(event: Mapping[str, Any], channel: str) -> DeliveryStatus | None:
    kind = str(event.get("event", ""))
    state = EVENT_STATES.get(kind)
    if state is None:
        return None
    provider_id = _message_id(event.get("sg_message_id"))
    delivery_id = _delivery_id(event)
    if provider_id is None and delivery_id is None:
        return None  # not ours, or nothing to find it by
    consent: Consent | None = None
    if kind in OPT_OUT_EVENTS:
        consent = "opted_out"
    elif kind == "bounce" and event.get("type") == "bounce":  # "blocked" is not the address
        consent = "invalid"
    elif kind == "dropped":
        consent = _dropped_consent(str(event.get("reason") or "").strip().lower())
    error_code = None
    if kind in ("bounce", "dropped"):
        error_code = str(event.get("status") or event.get("type") or kind)[:64]
    event_id = event.get("sg_event_id")
    return DeliveryStatus(
        channel=channel,
        provider_id=provider_id,
        delivery_id=delivery_id,
        state=state,
        error_code=error_code,
        occurred_at=_occurred_at(event.get("timestamp")),
        event_id=str(event_id)[:MAX_ID_LENGTH] if event_id else None,
        consent=consent,
        # A hard bounce or an address dropped as invalid: email cannot reach the person.
        unreachable=consent == "invalid",
    )


def _dropped_consent(reason: str) -> Consent | None:
    """What SendGrid's reason for dropping says about the address ("Invalid SMTPAPI header"
    and "Spam Content" say nothing about it)."""
    if "unsubscribed address" in reason or "spam reporting address" in reason:
        return "opted_out"
    if reason in ("invalid", "bounced address") or "invalid address" in reason:
        return "invalid"
    return None


def _message_id(value: object) -> str | None:
    """sg_message_id is X-Message-Id plus a per-recipient suffix (".filter…", ".recvd-…")."""
    if not isinstance(value, str) or not value.strip():
        return None
    for marker in (".filter", ".recvd-"):
        value = value.split(marker, 1)[0]
    return value.strip()[:MAX_ID_LENGTH] or None


def _delivery_id(event: Mapping[str, Any]) -> int | None:
    value = event.get(DELIVERY_ARG)
    unique_args = event.get("unique_args")
    if value is None and isinstance(unique_args, dict):
        value = unique_args.get(DELIVERY_ARG)
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def _occurred_at(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


class InboundParser:
    """Inbound Parse posts: basic auth checked in constant time, then the reply parsed."""

    def __init__(self, user: str | None, password: str | None) -> None:
        self._credentials = (user.encode(), password.encode()) if user and password else None

    def parse(self, request: WebhookRequest, channel: str) -> InboundMessage:
        self._authenticate(request)
        if request.content_type != "multipart/form-data":
            got = request.content_type or "no content type"
            raise WebhookRejected(f"Inbound Parse posts multipart/form-data, not {got}", status=400)
        form = request.form
        sender = address_of(form.get("from", ""))
        if sender is None:
            raise WebhookRejected("the post has no sender address ('from')", status=422)
        recipient = first_address(form.get("to", "")) or _envelope_to(form.get("envelope", ""))
        if recipient is None:
            raise WebhookRejected("the post has no recipient address ('to')", status=422)
        text, html_body, headers = form.get("text"), form.get("html"), form.get("headers", "")
        if "email" in form and not (text or html_body):  # "raw" mode: the whole MIME message
            text, html_body, headers = _raw_parts(form["email"])
        subject = " ".join(form.get("subject", "").split())
        extra = {"verified": "1"} if _verified(form, sender) else {}
        return InboundMessage(
            channel=channel,
            medium="email",
            provider_message_id=_provider_id(headers, form, text),
            sender=sender,
            recipient=recipient,
            body=reply_text(text, html_body),
            subject=subject,
            extra=extra,
        )

    def _authenticate(self, request: WebhookRequest) -> None:
        if self._credentials is None:
            raise WebhookRejected(
                "inbound email is refused: ONWARD_INBOUND_EMAIL_USER and "
                "ONWARD_INBOUND_EMAIL_PASSWORD are not set",
                status=403,
            )
        scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
        try:
            decoded = base64.b64decode(token.strip(), validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        user, _, password = decoded.partition(b":")
        # Both compared, always, so timing tells nothing about which half was wrong.
        user_ok = hmac.compare_digest(user, self._credentials[0])
        password_ok = hmac.compare_digest(password, self._credentials[1])
        if scheme.lower() != "basic" or not (user_ok & password_ok):
            raise WebhookRejected("missing or wrong basic auth credentials", status=401)


def _envelope(raw: str) -> dict[str, Any]:
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _envelope_to(raw: str) -> str | None:
    to = _envelope(raw).get("to")
    first = to[0] if isinstance(to, list) and to else to
    return address_of(first) if isinstance(first, str) else None


def _raw_parts(raw: str) -> tuple[str | None, str | None, str]:
    message = message_from_string(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    parts = [message.get_body(preferencelist=(kind,)) for kind in ("plain", "html")]
    text, html_body = (str(part.get_content()) if part is not None else None for part in parts)
    headers = "".join(f"{key}: {value}\n" for key, value in message.items())
    return text, html_body, headers


def _provider_id(headers: str, form: Mapping[str, str], text: str | None) -> str:
    """The email's own Message-ID, so SendGrid's retry of a post is stored once; else a digest."""
    message_id = (HeaderParser().parsestr(headers).get("Message-ID") or "").strip()
    if message_id and len(message_id) <= MAX_ID_LENGTH:
        return message_id
    basis = message_id or "\0".join(
        (form.get("from", ""), form.get("subject", ""), text or "", form.get("envelope", ""))
    )
    return "sha256:" + hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()


def _verified(form: Mapping[str, str], sender: str) -> bool:
    """Whether the sender's own domain vouched for this email (DKIM, or SPF on an aligned
    envelope sender): a From header alone is trivial to forge."""
    domain = domain_of(sender)
    for signer, result in _DKIM_RESULT.findall(form.get("dkim", "")):
        if result.lower() == "pass" and aligned(signer, domain):
            return True
    envelope_from = address_of(str(_envelope(form.get("envelope", "")).get("from") or ""))
    spf_pass = form.get("SPF", "").strip().lower() == "pass"
    return spf_pass and envelope_from is not None and aligned(domain_of(envelope_from), domain)

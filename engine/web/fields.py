"""What a webhook's fields may carry into the database.

PostgreSQL refuses a NUL byte in text and cannot store a lone surrogate, so a message carrying
one answered 500 on every retry and was never stored. Now a channel's parsed values pass here
first: an identifier (a message id, a number, an address, a status code) with a control
character or a broken character in it is no identifier, and the request gets 400; a person's
own words (body, subject) keep everything but those characters, and are stored.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace

from onward.channels import DeliveryStatus, InboundMessage, WebhookRejected

# Line breaks and tabs are part of what people write; every other control character is not.
_KEPT_CONTROLS = frozenset("\t\n\r")
_BROKEN = "\ufffd"


def clean_inbound(message: InboundMessage) -> InboundMessage:
    """The message with its words cleaned; WebhookRejected (400) if an identifier is junk."""
    for name, value in (
        ("message id", message.provider_message_id),
        ("sender", message.sender),
        ("recipient", message.recipient),
        *((f"field {key!r}", f"{key}{value}") for key, value in message.extra.items()),
    ):
        _refuse_junk(name, value)
    return replace(message, body=clean_words(message.body), subject=clean_words(message.subject))


def clean_statuses(statuses: list[DeliveryStatus]) -> list[DeliveryStatus]:
    """The statuses as they are; WebhookRejected (400) if any identifier in them is junk."""
    for status in statuses:
        for name, value in (
            ("provider id", status.provider_id),
            ("error code", status.error_code),
            ("event id", status.event_id),
        ):
            if value is not None:
                _refuse_junk(name, value)
    return statuses


def clean_words(text: str) -> str:
    """`text` without control characters (tabs and line breaks stay); a broken character
    (a lone surrogate) becomes U+FFFD, as a decoder would have made it."""
    if text.isprintable():  # the usual case: nothing to do
        return text
    kept = []
    for char in text:
        kind = unicodedata.category(char)
        if kind == "Cs":
            kept.append(_BROKEN)
        elif kind != "Cc" or char in _KEPT_CONTROLS:
            kept.append(char)
    return "".join(kept)


def is_junk(value: str) -> bool:
    if value.isprintable():  # the usual case: no control character, no broken one
        return False
    return any(unicodedata.category(char) in ("Cc", "Cs") for char in value)


def _refuse_junk(name: str, value: str) -> None:
    if is_junk(value):
        raise WebhookRejected(f"the {name} holds a control or broken character", status=400)

"""The one way onward signs what it hands out: HMAC-SHA256 under a key kept for one purpose.

Unsubscribe links, journal links and console sessions all sign with these. A link's signature
also covers the person's own random value (`people.link_key`), so a link made for one person
can never act on another, even one given the same id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

MAC_BYTES = 16  # 128 bits: enough against forgery, short enough for an SMS


def derive_key(secret: str, purpose: str) -> bytes:
    """A key for one purpose from a shared secret (ONWARD_SECRET_KEY): what signs console
    sessions can never sign a journal link, and the other way round."""
    return hashlib.sha256(purpose.encode() + b"\x00" + secret.encode()).digest()


def b64(data: bytes) -> str:
    """URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    """The bytes of `b64`'s text; ValueError when it is not base64."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mac(key: bytes, payload: str, link_key: str | None) -> bytes:
    """The signature of `payload` for the person whose link value is `link_key` (people from
    before link values have none: their links are signed as they always were)."""
    signed = payload if link_key is None else f"{payload}.{link_key}"
    return hmac.new(key, signed.encode(), hashlib.sha256).digest()[:MAC_BYTES]


def mac_matches(key: bytes, payload: str, link_key: str | None, given: bytes) -> bool:
    return hmac.compare_digest(mac(key, payload, link_key), given)

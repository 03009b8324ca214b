"""Signed, unguessable one-click unsubscribe links (RFC 8058) for every email onward sends."""

from __future__ import annotations

import base64
import hashlib
import hmac

from sqlalchemy.orm import Session

from onward.engine.storage.app_keys import stored_secret
from onward.engine.storage.models import Person

SECRET_KEY = "unsubscribe_secret"
PATH = "/unsubscribe/"


def _secret(session: Session) -> bytes:
    return stored_secret(session, SECRET_KEY)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _mac(session: Session, payload: str, link_key: str | None) -> bytes:
    # The person's own random value is signed with the id: a link made for one person can
    # never act on another, even one given the same id. (People from before link keys have
    # none, and their links stay as they were.)
    signed = payload if link_key is None else f"{payload}.{link_key}"
    return hmac.new(_secret(session), signed.encode(), hashlib.sha256).digest()[:16]


def make_token(session: Session, person_id: int, medium: str) -> str:
    payload = f"{person_id}.{medium}"
    mac = _mac(session, payload, _link_key(session, person_id))
    return f"{_b64(payload.encode())}.{_b64(mac)}"


def read_token(session: Session, token: str) -> tuple[int, str] | None:
    """The (person id, medium) a token was made for, or None when it is forged or garbled,
    or its person is gone."""
    try:
        encoded, mac_text = token.split(".", 1)
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        given = base64.urlsafe_b64decode(mac_text + "=" * (-len(mac_text) % 4))
        person_text, medium = payload.split(".", 1)
        person_id = int(person_text)
    except (ValueError, UnicodeDecodeError):
        return None
    person = session.get(Person, person_id)
    if person is None or medium not in ("sms", "email"):
        return None
    if not hmac.compare_digest(_mac(session, payload, person.link_key), given):
        return None
    return person_id, medium


def _link_key(session: Session, person_id: int) -> str | None:
    person = session.get(Person, person_id)  # in the session already, where links are made
    return person.link_key if person is not None else None


def unsubscribe_url(session: Session, public_url: str, person_id: int, medium: str) -> str:
    return f"{public_url}{PATH}{make_token(session, person_id, medium)}"

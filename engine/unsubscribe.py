"""Signed, unguessable one-click unsubscribe links (RFC 8058) for every email onward sends."""

from __future__ import annotations

from sqlalchemy.orm import Session

from onward.engine.signing import b64, mac, mac_matches, unb64
from onward.engine.storage.app_keys import stored_secret
from onward.engine.storage.models import Person

SECRET_KEY = "unsubscribe_secret"
PATH = "/unsubscribe/"


def _secret(session: Session) -> bytes:
    return stored_secret(session, SECRET_KEY)


def make_token(session: Session, person_id: int, medium: str) -> str:
    payload = f"{person_id}.{medium}"
    # Signed with the person's own random value: it can never act on anyone else.
    signature = mac(_secret(session), payload, _link_key(session, person_id))
    return f"{b64(payload.encode())}.{b64(signature)}"


def read_token(session: Session, token: str) -> tuple[int, str] | None:
    """The (person id, medium) a token was made for, or None when it is forged or garbled,
    or its person is gone."""
    try:
        encoded, mac_text = token.split(".", 1)
        payload = unb64(encoded).decode()
        given = unb64(mac_text)
        person_text, medium = payload.split(".", 1)
        person_id = int(person_text)
    except (ValueError, UnicodeDecodeError):
        return None
    person = session.get(Person, person_id)
    if person is None or medium not in ("sms", "email"):
        return None
    if not mac_matches(_secret(session), payload, person.link_key, given):
        return None
    return person_id, medium


def _link_key(session: Session, person_id: int) -> str | None:
    person = session.get(Person, person_id)  # in the session already, where links are made
    return person.link_key if person is not None else None


def unsubscribe_url(session: Session, public_url: str, person_id: int, medium: str) -> str:
    return f"{public_url}{PATH}{make_token(session, person_id, medium)}"

"""One-time journal links: valid 24 hours, opened once, signed with ONWARD_SECRET_KEY.

A token is `b64(person id . expiry . nonce) . b64(signature)`, the signature covering the
person's own link value (engine/signing.py): forged, altered or made for someone else, it opens
nothing. Issuing a link stores the SHA-256 of its token; opening it sets `used_at` with one
`UPDATE ... WHERE used_at IS NULL`, so of two replicas given the same link at once, one wins.
FORGET deletes the rows, and with them every link the person was sent.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from onward.engine.signing import b64, derive_key, mac, mac_matches, unb64
from onward.engine.storage.journal_models import COPY_LINK, LINK_ISSUED, LINK_USED, JournalCopy
from onward.engine.storage.models import Person

PATH = "/journal/"
LIFETIME = timedelta(hours=24)
# An expired link is refused from its own signed expiry, so its row serves nothing once every
# replica's clock agrees it has passed: forgotten a day later (housekeeping).
KEPT_AFTER_EXPIRY = timedelta(days=1)
_PURPOSE = "onward journal link"
_TOKEN = re.compile(r"(/journal/)[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Opened:
    person: Person


@dataclass(frozen=True)
class Refused:
    status: int  # 404: not a link onward made (or its person is gone); 410: used or expired
    person: Person | None = None  # whose link it was, when that is certain (their language)


def token_for(
    secret: str, person_id: int, link_key: str | None, expires: datetime, nonce: str
) -> str:
    payload = f"{person_id}.{int(expires.timestamp())}.{nonce}"
    signature = mac(derive_key(secret, _PURPOSE), payload, link_key)
    return f"{b64(payload.encode())}.{b64(signature)}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, secret: str, person: Person, public_url: str, now: datetime) -> str:
    """A new link to the person's journal, recorded so that it opens once."""
    expires = now + LIFETIME
    token = token_for(secret, person.id, person.link_key, expires, secrets.token_urlsafe(6))
    session.add(
        JournalCopy(
            person_id=person.id,
            kind=COPY_LINK,
            status=LINK_ISSUED,
            token_digest=_digest(token),
            expires_at=expires.replace(microsecond=0),
            attempts=0,
            created_at=now,
        )
    )
    return f"{public_url}{PATH}{token}"


def redeem(session: Session, secret: str, token: str, now: datetime) -> Opened | Refused:
    """Open a link: its person, the first time within its 24 hours; else why not."""
    try:
        encoded, signature_text = token.split(".")
        payload = unb64(encoded).decode()
        given = unb64(signature_text)
        person_text, expires_text, _nonce = payload.split(".")
        person_id, expires = int(person_text), datetime.fromtimestamp(int(expires_text), UTC)
    except (ValueError, UnicodeDecodeError, OverflowError, OSError):
        return Refused(404)
    if b64(given) != signature_text or b64(payload.encode()) != encoded:
        return Refused(404)  # base64 has spare bits: only the token as onward wrote it counts
    person = session.get(Person, person_id)
    if person is None:
        return Refused(404)
    if not mac_matches(derive_key(secret, _PURPOSE), payload, person.link_key, given):
        return Refused(404)
    if now > expires:
        return Refused(410, person)
    taken = session.execute(
        update(JournalCopy)
        .where(
            JournalCopy.token_digest == _digest(token),
            JournalCopy.person_id == person.id,
            JournalCopy.used_at.is_(None),
            JournalCopy.expires_at >= now.replace(microsecond=0),
        )
        .values(used_at=now, status=LINK_USED)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return Refused(410, person)
    return Opened(person)


def forget_expired(session: Session, now: datetime) -> int:
    """Housekeeping: delete the rows of links that expired more than a day ago; how many."""
    gone = session.execute(
        delete(JournalCopy).where(
            JournalCopy.kind == COPY_LINK, JournalCopy.expires_at < now - KEPT_AFTER_EXPIRY
        )
    )
    return int(gone.rowcount)  # type: ignore[attr-defined]


def redacted(reply: str | None) -> str | None:
    """A reply as onward keeps it: a journal link's token hidden, so nobody who reads stored
    replies (a coach in the console, an export) can open the journal with it."""
    if reply is None or PATH not in reply:
        return reply
    return _TOKEN.sub(r"\1***", reply)

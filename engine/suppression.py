"""The suppression list: keyed hashes of the numbers and addresses of people erased by FORGET or
retention. No import and no operator can start texting them again; only a message they send
themselves lifts it (consent_ledger, when their own message opts them in).

The hash is an HMAC with a random key made once and kept in the database: the list alone names
nobody, yet the same number always finds its row.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from onward.engine.storage.app_keys import stored_secret
from onward.engine.storage.driver_sql import connection_of, write
from onward.engine.storage.record_models import Suppression

KEY_SETTING = "suppression_key"


def _key(session: Session) -> bytes:
    return stored_secret(session, KEY_SETTING)


def medium_of(address: str) -> str:
    return "email" if "@" in address else "sms"


def key_hash(session: Session, address: str) -> str:
    """The keyed hash of a normalised number (E.164) or address (lower case)."""
    normal = address.strip().lower()
    payload = f"{medium_of(normal)}:{normal}".encode()
    return hmac.new(_key(session), payload, hashlib.sha256).hexdigest()


def suppress(session: Session, addresses: Iterable[str | None]) -> int:
    """Keep the hashes of these numbers and addresses (None ones skipped); returns how many
    were new."""
    added = 0
    for address in addresses:
        if not address:
            continue
        digest = key_hash(session, address)
        if session.get(Suppression, digest) is None:
            session.add(Suppression(key_hash=digest, medium=medium_of(address)))
            added += 1
    session.flush()
    return added


def is_suppressed(session: Session, address: str) -> bool:
    digest = key_hash(session, address)
    found = session.scalar(select(Suppression.key_hash).where(Suppression.key_hash == digest))
    return found is not None


def lift(session: Session, address: str) -> None:
    """The person wrote to onward from this number or address themselves."""
    write(connection_of(session), _LIFT, {"key_hash": key_hash(session, address)})


# Built once: every new person's first message lifts a suppression, if there is one.
_LIFT = delete(Suppression).where(Suppression.key_hash == bindparam("key_hash"))


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Suppression)) or 0

"""Random keys made once and kept in the database (`app_settings`), so every replica signs and
hashes alike: the unsubscribe links' secret, the suppression list's hash key."""

from __future__ import annotations

import secrets

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onward.engine.storage.driver_sql import connection_of, select_rows
from onward.engine.storage.models import AppSetting

# A plain read, built once: a new person's first message asks (to lift a suppression).
_VALUE = select(AppSetting.value).where(AppSetting.key == bindparam("name"))


def stored_secret(session: Session, name: str) -> bytes:
    """The key named `name`, made on first use; when two replicas race, both get the winner's."""
    found = select_rows(connection_of(session), _VALUE, {"name": name})
    value = found[0][0] if found else None
    if value is None:
        try:
            with session.begin_nested():
                value = secrets.token_hex(32)
                session.add(AppSetting(key=name, value=value))
        except IntegrityError:  # another replica made it first
            value = session.scalar(_VALUE, {"name": name})
            assert value is not None
    return bytes.fromhex(value)

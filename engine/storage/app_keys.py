"""Random keys made once and kept in the database (`app_settings`), so every replica signs and
hashes alike: the unsubscribe links' secret, the suppression list's hash key."""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onward.engine.storage.models import AppSetting


def stored_secret(session: Session, name: str) -> bytes:
    """The key named `name`, made on first use; when two replicas race, both get the winner's."""
    setting = session.get(AppSetting, name)
    if setting is None:
        try:
            with session.begin_nested():
                setting = AppSetting(key=name, value=secrets.token_hex(32))
                session.add(setting)
        except IntegrityError:  # another replica made it first
            setting = session.get(AppSetting, name)
            assert setting is not None
    return bytes.fromhex(setting.value)

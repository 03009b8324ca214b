"""The journal key's life: made once by `onward db upgrade`, rotated by `onward journal rotate-key`.

Rotation never leaves a word unreadable: the new key is stored first, every sealed column is
read and written again with it, and the older keys stay in the database to open only (a
replica that has not restarted still seals with the key it loaded). A crash half-way leaves
every key, and running the command again finishes the job.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from sqlalchemy import Engine, Text, delete, insert, select, type_coerce, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from onward.engine.storage.models import AppSetting, InboundMessage, JournalEntry
from onward.engine.storage.sealing import (
    PREFIX,
    STORED_KEY,
    key_id,
    keyring,
    new_key,
    parse_keys,
)

# Every column that holds a person's own words.
SEALED_COLUMNS: tuple[InstrumentedAttribute[str], ...] = (
    JournalEntry.text,
    InboundMessage.body,
    InboundMessage.subject,
)
BATCH = 500


@dataclass(frozen=True)
class Rotation:
    key_id: str
    resealed: int
    source: str  # "database" or "ONWARD_JOURNAL_KEY"


def ensure_stored_key(engine: Engine) -> bool:
    """Make the database's own key once; True when this call made it. Upgrades are serialised
    by the migration lock, so two replicas never both make one."""
    with engine.begin() as conn:
        found = conn.scalar(select(AppSetting.value).where(AppSetting.key == STORED_KEY))
        if found is None:
            conn.execute(insert(AppSetting).values(key=STORED_KEY, value=new_key()))
    keyring(engine).reload()
    return found is None


def seal_legacy(engine: Engine) -> int:
    """Seal the words written before sealing existed; returns how many values it sealed."""
    return _reseal(engine, only_plain=True)


def rotate(engine: Engine) -> Rotation:
    """Seal every stored word with a new key (or with ONWARD_JOURNAL_KEY's first key)."""
    ring = keyring(engine)
    ring.reload()
    if ring.configured:
        count = _reseal(engine, only_plain=False)
        return Rotation(key_id(ring.configured[0]), count, "ONWARD_JOURNAL_KEY")
    fresh = new_key()
    with engine.begin() as conn:
        # Older keys stay, to open only: a replica that has not yet reloaded its keyring
        # still seals with the key it has, and what it writes must stay readable.
        for key in ring.stored or ():
            name = f"{STORED_KEY}.{key_id(key)}"
            conn.execute(delete(AppSetting).where(AppSetting.key == name))
            conn.execute(insert(AppSetting).values(key=name, value=_text(key)))
        conn.execute(delete(AppSetting).where(AppSetting.key == STORED_KEY))
        conn.execute(insert(AppSetting).values(key=STORED_KEY, value=fresh))
    ring.reload()
    count = _reseal(engine, only_plain=False)
    return Rotation(key_id(parse_keys(fresh)[0]), count, "database")


def _text(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def _reseal(engine: Engine, *, only_plain: bool) -> int:
    """Read each sealed column and write it back: the type seals it with the current key."""
    count = 0
    for column in SEALED_COLUMNS:
        model = column.class_
        stored_text = type_coerce(column, Text).label("stored")  # as stored, not opened
        last_id = 0
        while True:
            with Session(engine) as session, session.begin():
                query = (
                    select(model.id, column, stored_text)
                    .where(model.id > last_id)
                    .order_by(model.id)
                    .limit(BATCH)
                )
                rows = session.execute(query).all()
                if not rows:
                    break
                for row_id, words, stored in rows:
                    if stored and not (only_plain and stored.startswith(PREFIX)):
                        update_row = update(model).where(model.id == row_id)
                        session.execute(update_row.values({column: words}))
                        count += 1
                last_id = rows[-1][0]
    return count

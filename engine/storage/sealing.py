"""People's words at rest: journal entries and inbound messages sealed with AES-256-GCM.

A column typed `SealedText` is sealed when written and opened when read, through the ORM and
Core alike, so no caller handles ciphertext. Each database engine has its own keyring: the keys
of `ONWARD_JOURNAL_KEY` (comma-separated; the first seals, every one opens), else the key that
`onward db upgrade` generated and keeps in the database (`app_settings`). A stored value names
the key that sealed it, so keys can be rotated without a window where anything is unreadable.
Values written before sealing existed (no prefix) are read as they are and sealed by
`onward db upgrade` or `onward journal rotate-key`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import weakref
from collections.abc import Mapping, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, String, Text, column, select, table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from onward.engine.errors import ConfigError

PREFIX = "sealed:v1:"
KEY_BYTES = 32
NONCE_BYTES = 12
STORED_KEY = "journal_key"  # app_settings rows: journal_key (seals), journal_key.<kid> (opens)
# The app_settings table as a plain table: the models import this module, not the reverse.
SETTINGS = table("app_settings", column("key", String), column("value", String))


class UnreadableWords(RuntimeError):
    """A sealed value whose key this onward does not have, or that was altered."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


def new_key() -> str:
    """A fresh key as the settings and the database keep it (URL-safe base64)."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()


def parse_keys(text: str, variable: str = "ONWARD_JOURNAL_KEY") -> tuple[bytes, ...]:
    """Comma-separated base64 keys of 32 bytes each; anything else is one clear error."""
    keys = []
    for number, part in enumerate((p.strip() for p in text.split(",")), start=1):
        try:
            key = base64.urlsafe_b64decode(part.encode())
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != KEY_BYTES:
            raise ConfigError(
                f"{variable}: key {number} is not {KEY_BYTES} bytes of URL-safe base64 "
                "(make one with `onward journal new-key`)"
            )
        keys.append(key)
    return tuple(keys)


class Keyring:
    """The keys one database's words are sealed with: the first seals, all of them open.

    The keys kept in the database are read on first use (and again when a value names a key
    not seen yet: another process rotated), so building an engine touches no file."""

    def __init__(
        self, engine: Engine, configured: Sequence[bytes], read_options: Mapping[str, object]
    ) -> None:
        self._engine = weakref.ref(engine)  # the ring must not keep its engine alive
        self._read_options = dict(read_options)
        self.configured = tuple(configured)
        self.stored: tuple[bytes, ...] | None = None
        self._use(self.configured)

    def reload(self) -> None:
        engine = self._engine()
        self.stored = read_stored(engine, self._read_options) if engine is not None else ()
        self._use((*self.configured, *self.stored))

    def _use(self, keys: Sequence[bytes]) -> None:
        # Each key's id hashed once here, not at every seal.
        self._ids = {k: key_id(k) for k in keys}
        self._ciphers: dict[str, AESGCM] = {kid: AESGCM(k) for k, kid in self._ids.items()}

    @property
    def sealing_key(self) -> bytes | None:
        if self.configured:
            return self.configured[0]
        if self.stored is None:
            self.reload()
        return self.stored[0] if self.stored else None

    def seal(self, text: str) -> str:
        key = self.sealing_key
        if key is None:
            raise UnreadableWords("no journal key for this database: run `onward db upgrade`")
        kid, nonce = self._ids[key], os.urandom(NONCE_BYTES)
        sealed = self._ciphers[kid].encrypt(nonce, text.encode(), kid.encode())
        return f"{PREFIX}{kid}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # written before sealing: `onward db upgrade` seals it
        kid, _, payload = stored[len(PREFIX) :].partition(":")
        if kid not in self._ciphers:
            self.reload()
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise UnreadableWords(f"words sealed with key {kid}, which this onward does not have")
        raw = base64.b64decode(payload)
        try:
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], kid.encode()).decode()
        except InvalidTag:
            raise UnreadableWords(f"words sealed with key {kid} were altered") from None


# One keyring per engine, found through the engine's own dialect (a type sees only that).
_RINGS: WeakKeyDictionary[Dialect, Keyring] = WeakKeyDictionary()


def attach(
    engine: Engine, configured: Sequence[bytes] = (), read_options: Mapping[str, object] = {}
) -> Keyring:
    """Give an engine its keyring. `read_options` open a connection that only reads: the
    stored keys are read while a write may be under way on another connection."""
    ring = _RINGS[engine.dialect] = Keyring(engine, configured, read_options)
    return ring


def keyring(engine: Engine) -> Keyring:
    return _ring_of(engine.dialect)


def read_stored(engine: Engine, read_options: Mapping[str, object] = {}) -> tuple[bytes, ...]:
    """The keys kept in the database, the sealing one first; none before the first upgrade."""
    query = select(SETTINGS.c.key, SETTINGS.c.value).where(SETTINGS.c.key.like(f"{STORED_KEY}%"))
    try:
        with engine.connect().execution_options(**read_options) as conn:
            rows = {str(k): str(v) for k, v in conn.execute(query).all()}
    except (OperationalError, ProgrammingError):  # no app_settings table yet
        return ()
    ordered = [rows[STORED_KEY]] if STORED_KEY in rows else []
    ordered += [value for name, value in sorted(rows.items()) if name != STORED_KEY]
    return parse_keys(",".join(ordered), "app_settings") if ordered else ()


class SealedText(TypeDecorator[str]):
    """Text sealed at rest with the keyring of the engine that writes or reads it.

    SQL cannot compare sealed words (each value has its own nonce), so a filter on such a
    column is refused at once rather than silently matching nothing."""

    impl = Text
    cache_ok = True

    class comparator_factory(TypeDecorator.Comparator[str]):
        # Against a value, never: SQLAlchemy itself compares columns with columns, which is fine.
        def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
            if not all(isinstance(o, ColumnElement) for o in other):
                raise TypeError("sealed words cannot be compared in SQL: filter after reading")
            return super().operate(op, *other, **kwargs)

        def reverse_operate(self, op: Any, other: Any, **kwargs: Any) -> Any:
            if not isinstance(other, ColumnElement):
                raise TypeError("sealed words cannot be compared in SQL: filter after reading")
            return super().reverse_operate(op, other, **kwargs)

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if not value:
            return value  # nothing to hide in nothing (an SMS's subject): kept as it is
        return _ring_of(dialect).seal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return _ring_of(dialect).open(value)


def _ring_of(dialect: Dialect) -> Keyring:
    ring = _RINGS.get(dialect)
    if ring is None:
        raise UnreadableWords("this engine has no keyring: build it with db.create_db_engine")
    return ring

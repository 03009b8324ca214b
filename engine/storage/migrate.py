"""Schema versions: apply the packaged Alembic migrations and tell whether a database is current."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from onward.engine.errors import SchemaOutOfDate
from onward.engine.storage import journal_keys


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("onward.engine") / "migrations"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "onward ships at least one migration"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


# Any constant both sides agree on: "onward" as a 64-bit number.
_MIGRATION_LOCK_KEY = int.from_bytes(b"onward\0\0", "big")


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise `onward db upgrade` runs that start together (a retried migration Job, two
    operators): on PostgreSQL an advisory lock; SQLite's BEGIN IMMEDIATE already serialises."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            conn.commit()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations, then make sure people's words have a key and are sealed."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    # The first upgrade that makes a key also seals what was written before sealing existed.
    if revision == "head" and journal_keys.ensure_stored_key(engine):
        journal_keys.seal_legacy(engine)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def require_current(engine: Engine) -> None:
    """Refuse to work on a schema older (or newer) than this code: one clear line."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"database schema is at {current or 'nothing'}, this onward needs {head}: "
            "run `onward db upgrade`"
        )


def schema_is_current(engine: Engine) -> bool:
    try:
        return current_revision(engine) == head_revision()
    except SQLAlchemyError:
        return False

"""The schema is the sum of the migrations on SQLite and PostgreSQL; migrations round-trip."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from onward.engine.errors import SchemaOutOfDate
from onward.engine.storage.db import create_db_engine
from onward.engine.storage.declarative import Base
from onward.engine.storage.migrate import (
    current_revision,
    downgrade,
    head_revision,
    require_current,
    upgrade,
)


def test_upgrade_head_leaves_no_difference_from_models(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []
    assert current_revision(db_engine) == head_revision()


def test_every_table_of_the_design_exists(db_engine: Engine) -> None:
    tables = set(inspect(db_engine).get_table_names())
    assert {
        "people",
        "plan_versions",
        "rejections",
        "runs",
        "steps",
        "deliveries",
        "inbound_messages",
        "journal_entries",
    } <= tables
    step_indexes = {ix["name"] for ix in inspect(db_engine).get_indexes("steps")}
    # The dispatcher's: pending steps by due time, claimed ones by lease (partial, 0003 and 0015).
    assert {"ix_steps_pending_due_at", "ix_steps_claimed_lease_until"} <= step_indexes
    assert "ix_steps_status_due_at" not in step_indexes  # an entry moved at each change of status


def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        upgrade(engine)
        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert "people" not in inspect(engine).get_table_names()
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_old_schema_is_refused_with_one_line(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        with pytest.raises(SchemaOutOfDate, match="run `onward db upgrade`"):
            require_current(engine)
    finally:
        engine.dispose()


def test_migration_files_are_named_by_sequence() -> None:
    versions = files("onward.engine") / "migrations" / "versions"
    names = sorted(p.name for p in versions.iterdir() if p.name.endswith(".py"))
    assert names, "no migrations shipped"
    # Numbered in order; a parallel branch's number may be skipped until the branches merge.
    numbers = [int(name[:4]) for name in names]
    assert numbers == sorted(set(numbers)), names
    for name in names:
        assert re.fullmatch(r"\d{4}_[a-z0-9_]+\.py", name), name

"""Migration 0014 on SQLite and PostgreSQL: a delivery checks one parent row, its person, whose
erasure still takes it along; its step and run ids stay as they were, without a check each; the
sends not yet answered have an index of their own."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from onward.engine.storage.db import create_db_engine
from onward.engine.storage.migrate import downgrade, upgrade

PERSON = """
INSERT INTO people (id, phone, timezone, timezone_source, sms_status, email_status,
                    preferred_medium, created_at, updated_at)
VALUES (7, '+14155550100', 'UTC', 'phone', 'active', 'unconfirmed', 'sms', :at, :at)
"""
DELIVERY = """
INSERT INTO deliveries (step_id, run_id, person_id, channel, medium, address, status,
                        status_rank, attempts, created_at, updated_at)
VALUES (:step, :run, 7, 'console', 'sms', '+14155550100', 'sent', 3, 1, :at, :at)
"""
AT = "2026-01-01 00:00:00"


def _indexes(engine: Engine) -> set[str]:
    return {str(ix["name"]) for ix in inspect(engine).get_indexes("deliveries")}


def _parents(engine: Engine) -> dict[str, tuple[str, str | None]]:
    return {
        fk["constrained_columns"][0]: (fk["referred_table"], fk["options"].get("ondelete"))
        for fk in inspect(engine).get_foreign_keys("deliveries")
    }


def test_deliveries_check_their_person_only_and_go_with_them(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        upgrade(engine, "0013")
        assert set(_parents(engine)) == {"step_id", "run_id", "person_id"}
        with engine.begin() as conn:
            conn.execute(text(PERSON), {"at": AT})
        upgrade(engine)
        assert _parents(engine) == {"person_id": ("people", "CASCADE")}
        assert "ix_deliveries_unanswered" in _indexes(engine)
        with engine.begin() as conn:
            # No row of steps or runs is looked up for these ids any more (the dispatcher
            # writes both from rows it holds locked); the person still is.
            conn.execute(text(DELIVERY), {"step": 123, "run": 45, "at": AT})
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM people WHERE id = 7"))
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM deliveries")) == 0

        with engine.begin() as conn:
            conn.execute(text(PERSON), {"at": AT})
        downgrade(engine, "0013")
        assert set(_parents(engine)) == {"step_id", "run_id", "person_id"}
        assert "ix_deliveries_unanswered" not in _indexes(engine)
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM people")) == 1
        upgrade(engine)
        assert set(_parents(engine)) == {"person_id"}
    finally:
        engine.dispose()

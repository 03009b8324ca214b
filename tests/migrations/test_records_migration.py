"""Migration 0006 (records) on SQLite and PostgreSQL: everyone already known starts the ledger
with a baseline row that agrees with their status; going back drops only what it added."""

from __future__ import annotations

from sqlalchemy import inspect, text

from onward.engine.consent_ledger import disagreements
from onward.engine.storage.db import create_db_engine, session_factory
from onward.engine.storage.migrate import downgrade, upgrade

PEOPLE = """
INSERT INTO people (phone, email, timezone, timezone_source, sms_status, email_status,
                    preferred_medium, created_at, updated_at)
VALUES (:phone, :email, 'UTC', 'phone', :sms, :mail, 'sms', :at, :at)
"""


def test_upgrade_writes_a_baseline_for_everyone_known(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        upgrade(engine, "0004")
        at = "2026-01-01 00:00:00"
        with engine.begin() as conn:
            conn.execute(
                text(PEOPLE),
                [
                    {
                        "phone": "+14155550100",
                        "email": None,
                        "sms": "active",
                        "mail": "unconfirmed",
                        "at": at,
                    },
                    {
                        "phone": "+14155550101",
                        "email": "a@b.co",
                        "sms": "opted_out",
                        "mail": "active",
                        "at": at,
                    },
                ],
            )
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT medium, status, event, how FROM consent_events ORDER BY id")
            ).all()
        assert sorted(tuple(r) for r in rows) == [
            ("email", "active", "baseline", "migration"),
            ("sms", "active", "baseline", "migration"),
            ("sms", "opted_out", "baseline", "migration"),
        ]
        with session_factory(engine)() as session:
            assert disagreements(session) == []
        downgrade(engine, "0004")
        tables = set(inspect(engine).get_table_names())
        assert "consent_events" not in tables and "suppressions" not in tables
        assert "name" not in {c["name"] for c in inspect(engine).get_columns("people")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM people")).scalar() == 2
    finally:
        engine.dispose()

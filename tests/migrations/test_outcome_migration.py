"""Migration 0007: APPLIED counts and HIRED texts recorded before it become dated events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from onward.engine.storage.db import create_db_engine
from onward.engine.storage.declarative import UTCDateTime
from onward.engine.storage.migrate import downgrade, upgrade

T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def table(name: str, *columns: str, times: tuple[str, ...] = ()) -> sa.TableClause:
    return sa.table(
        name, *(sa.column(c) for c in columns), *(sa.column(t, UTCDateTime()) for t in times)
    )


PEOPLE = table(
    "people",
    "id", "phone", "timezone", "timezone_source", "sms_status", "email_status", "preferred_medium",
    times=("created_at", "updated_at"),
)  # fmt: skip
PLANS = table("plan_versions", "id", "name", "version", "source", "checksum", times=("created_at",))
REJECTIONS = table("rejections", "id", "person_id", "company", "role", times=("reported_at",))
RUNS = table(
    "runs", "id", "person_id", "rejection_id", "plan_version_id", "status", "applied_count",
    times=("started_at", "ended_at"),
)  # fmt: skip
INBOUND = table(
    "inbound_messages", "channel", "provider_message_id", "medium", "sender", "recipient",
    "subject", "body", "person_id", "command", "attempts", times=("received_at", "handled_at"),
)  # fmt: skip
EVENTS = table(
    "outcome_events", "person_id", "run_id", "kind", "count", "source", times=("occurred_at",)
)


def message(n: int, person: int, command: str, at: datetime) -> dict[str, object]:
    return {
        "channel": "console", "provider_message_id": f"m{n}", "medium": "sms",
        "sender": f"+1415555010{person}", "recipient": "", "subject": "", "body": "(words)",
        "person_id": person, "command": command, "attempts": 1, "received_at": at,
        "handled_at": at,
    }  # fmt: skip


def test_counts_and_hires_become_events(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        upgrade(engine, "0004")
        with engine.begin() as conn:
            conn.execute(
                sa.insert(PEOPLE),
                [
                    {
                        "id": i, "phone": f"+1415555010{i}", "timezone": "UTC",
                        "timezone_source": "phone", "sms_status": "active",
                        "email_status": "unconfirmed", "preferred_medium": "sms",
                        "created_at": T0, "updated_at": T0,
                    }
                    for i in (1, 2, 3)
                ],
            )  # fmt: skip
            conn.execute(
                sa.insert(PLANS),
                {"id": 1, "name": "standard", "version": 1, "source": "", "checksum": "x",
                 "created_at": T0},
            )  # fmt: skip
            conn.execute(
                sa.insert(REJECTIONS),
                [{"id": i, "person_id": i, "company": "", "role": "", "reported_at": T0}
                 for i in (1, 2, 3)],
            )  # fmt: skip
            conn.execute(
                sa.insert(RUNS),
                [
                    {"id": 1, "person_id": 1, "rejection_id": 1, "plan_version_id": 1,
                     "status": "completed", "applied_count": 4, "started_at": T0,
                     "ended_at": T0 + timedelta(days=20)},
                    {"id": 2, "person_id": 2, "rejection_id": 2, "plan_version_id": 1,
                     "status": "active", "applied_count": 2, "started_at": T0, "ended_at": None},
                    {"id": 3, "person_id": 3, "rejection_id": 3, "plan_version_id": 1,
                     "status": "active", "applied_count": 0, "started_at": T0, "ended_at": None},
                ],
            )  # fmt: skip
            conn.execute(
                sa.insert(INBOUND),
                [
                    message(1, 1, "applied", T0 + timedelta(days=3)),
                    message(2, 1, "applied", T0 + timedelta(days=5)),
                    message(3, 1, "hired", T0 + timedelta(days=20)),
                    message(4, 3, "free", T0 + timedelta(days=1)),
                ],
            )
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(sa.select(EVENTS).order_by(EVENTS.c.person_id, EVENTS.c.kind)).all()
        found = [
            (r.person_id, r.run_id, r.kind, r._mapping["count"], r.source, r.occurred_at)
            for r in rows
        ]
        assert found == [
            # the first APPLIED text of the run dates its count
            (1, 1, "applied", 4, "migrated", T0 + timedelta(days=3)),
            (1, None, "hired", 1, "migrated", T0 + timedelta(days=20)),
            # its texts gone (or never stored): the run's start
            (2, 2, "applied", 2, "migrated", T0),
        ]
        downgrade(engine, "0004")
        assert "outcome_events" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()

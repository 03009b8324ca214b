"""Storage on both backends: UTC in, UTC out, naive datetimes refused, SQLite pragmas in force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from onward.engine.models import Person


def _person(created: datetime) -> Person:
    return Person(
        phone="+14155550100", timezone="America/Los_Angeles", created_at=created, updated_at=created
    )


def test_aware_datetimes_come_back_as_the_same_utc_instant(db_engine: Engine) -> None:
    paris = timezone(timedelta(hours=1))
    created = datetime(2026, 3, 29, 2, 30, 15, 123456, tzinfo=paris)
    with Session(db_engine) as session, session.begin():
        session.add(_person(created))
    with Session(db_engine) as session:
        stored = session.scalars(select(Person)).one()
    assert stored.created_at == created
    assert stored.created_at.tzinfo == UTC
    assert stored.created_at.hour == 1


def test_a_naive_datetime_can_never_be_stored(db_engine: Engine) -> None:
    with Session(db_engine) as session:
        session.add(_person(datetime(2026, 1, 1, 12, 0)))
        with pytest.raises(StatementError, match="naive datetime"):
            session.flush()


def test_ordering_by_instant_holds_across_offsets(db_engine: Engine) -> None:
    # 10:00+05:00 is 05:00 UTC, before 06:00 UTC; stored values must sort as instants.
    early = datetime(2026, 6, 1, 10, 0, tzinfo=timezone(timedelta(hours=5)))
    late = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
    with Session(db_engine) as session, session.begin():
        session.add(Person(phone="+14155550101", timezone="UTC", created_at=late, updated_at=late))
        session.add(
            Person(phone="+14155550102", timezone="UTC", created_at=early, updated_at=early)
        )
    with Session(db_engine) as session:
        phones = session.scalars(select(Person.phone).order_by(Person.created_at)).all()
    assert phones == ["+14155550102", "+14155550101"]


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_database_error_never_carries_what_a_person_wrote(db_engine: Engine) -> None:
    """Errors end up in logs (tracebacks) and in the inbound row's error column: the statement
    may be named, its parameters (a journal entry, a message body) never."""
    words = "my private sorrow words"
    with pytest.raises(Exception) as raised, db_engine.begin() as conn:
        conn.execute(text("INSERT INTO no_such_table (body) VALUES (:body)"), {"body": words})
    assert words not in str(raised.value)

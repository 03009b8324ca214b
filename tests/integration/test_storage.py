"""Storage on both backends: UTC in, UTC out, naive datetimes refused, SQLite pragmas in force."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from onward.engine.storage.db import create_db_engine
from onward.engine.storage.migrate import upgrade
from onward.engine.storage.models import Person
from onward.engine.unsubscribe import make_token, read_token


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
        # Checkpointed every 10,000 pages (about 40 MB), not SQLite's 1,000 (db.py says why).
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 10_000


def test_a_database_error_never_carries_what_a_person_wrote(db_engine: Engine) -> None:
    """Errors end up in logs (tracebacks) and in the inbound row's error column: the statement
    may be named, its parameters (a journal entry, a message body) never."""
    words = "my private sorrow words"
    with pytest.raises(Exception) as raised, db_engine.begin() as conn:
        conn.execute(text("INSERT INTO no_such_table (body) VALUES (:body)"), {"body": words})
    assert words not in str(raised.value)


# --- ids are never reused, links carry a per-person random value -----------------------------


def test_the_id_of_a_deleted_row_is_never_given_again(db_engine: Engine) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with Session(db_engine) as session, session.begin():
        first = Person(phone="+14155550111", timezone="UTC", created_at=now, updated_at=now)
        last = Person(phone="+14155550112", timezone="UTC", created_at=now, updated_at=now)
        session.add_all([first, last])
        session.flush()
        forgotten = last.id
        session.delete(last)  # the highest id goes, as FORGET makes it go
    with Session(db_engine) as session, session.begin():
        newcomer = Person(phone="+14155550113", timezone="UTC", created_at=now, updated_at=now)
        session.add(newcomer)
        session.flush()
        assert newcomer.id > forgotten


def test_every_sqlite_table_with_an_id_says_autoincrement(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE :id"
        tables = conn.execute(text(query), {"id": "%id INTEGER%"}).all()
    with_ids = {  # tables with a column of their own named id (not person_id)
        name: sql
        for name, sql in tables
        if name not in ("alembic_version", "app_settings") and re.search(r"[(,]\s*id INTEGER", sql)
    }
    assert "people" in with_ids and "deliveries" in with_ids
    for name, sql in with_ids.items():
        assert "AUTOINCREMENT" in sql, name


def test_an_unsubscribe_link_never_acts_on_anyone_else(db_engine: Engine) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with Session(db_engine) as session, session.begin():
        person = Person(phone="+14155550121", timezone="UTC", created_at=now, updated_at=now)
        session.add(person)
        session.flush()
        person.link_key = "k" * 22
        token = make_token(session, person.id, "email")
        assert read_token(session, token) == (person.id, "email")
        same_id = person.id
        session.delete(person)
        session.flush()
        # Even were the id given again (it is not), the stranger's own random value differs.
        stranger = Person(
            id=same_id, phone="+14155550122", timezone="UTC", created_at=now, updated_at=now
        )
        stranger.link_key = "s" * 22
        session.add(stranger)
        session.flush()
        assert read_token(session, token) is None


def test_new_people_get_their_own_random_link_value(db_engine: Engine) -> None:
    from onward.engine.people import create_person

    now = datetime(2026, 6, 1, tzinfo=UTC)
    with Session(db_engine) as session, session.begin():
        one = create_person(session, "sms", "+14155550131", now)
        two = create_person(session, "email", "two@example.org", now)
        assert one.link_key and two.link_key and one.link_key != two.link_key
        assert len(one.link_key) >= 16


def test_upgrading_a_sqlite_file_keeps_rows_and_ids_and_never_gives_a_used_id_again(
    tmp_path: Path,
) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(engine, "0004")
        now = "2026-06-01 00:00:00.000000"
        with engine.begin() as conn:
            for n in (1, 2, 3):
                conn.execute(
                    text(
                        "INSERT INTO people (id, phone, timezone, timezone_source, sms_status,"
                        " email_status, preferred_medium, created_at, updated_at) VALUES"
                        " (:id, :phone, 'UTC', 'phone', 'active', 'unconfirmed', 'sms', :now, :now)"
                    ),
                    {"id": n, "phone": f"+1415555014{n}", "now": now},
                )
            conn.execute(
                text(
                    "INSERT INTO rejections (id, person_id, company, role, reported_at)"
                    " VALUES (7, 3, 'Acme', '', :now)"
                ),
                {"now": now},
            )
        upgrade(engine)
        with Session(engine) as session, session.begin():
            assert sorted(session.scalars(select(Person.id))) == [1, 2, 3]
            assert session.scalar(text("SELECT person_id FROM rejections WHERE id = 7")) == 3
            session.execute(text("DELETE FROM rejections"))
            session.execute(text("DELETE FROM people WHERE id = 3"))
        with Session(engine) as session, session.begin():
            stamp = datetime(2026, 6, 2, tzinfo=UTC)
            newcomer = Person(
                phone="+14155550149", timezone="UTC", created_at=stamp, updated_at=stamp
            )
            session.add(newcomer)
            session.flush()
            assert newcomer.id == 4
    finally:
        engine.dispose()

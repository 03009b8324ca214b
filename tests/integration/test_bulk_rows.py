"""One row written by `insert_one` (the driver's own SQL on SQLite, a compiled INSERT on
PostgreSQL): read back through the ORM as if SQLAlchemy had written it, on both backends."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from typing import cast

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    type_coerce,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from onward.engine.storage.bulk_rows import insert_one, update_one
from onward.engine.storage.models import InboundMessage, Person
from onward.engine.storage.sealing import PREFIX
from tests.integration.statement_helpers import counted

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
INBOUND = cast(Table, InboundMessage.__table__)
PEOPLE = cast(Table, Person.__table__)


def _message(**values: object) -> dict[str, object]:
    given = {"channel": "console", "provider_message_id": "m-1", "medium": "sms"}
    return {**given, "sender": "+14155550100", "body": "hello", "received_at": NOW, **values}


def _person(phone: str) -> dict[str, object]:
    return {"phone": phone, "timezone": "UTC", "created_at": NOW, "updated_at": NOW}


def _phones(engine: Engine) -> list[str | None]:
    with Session(engine) as session:
        return list(session.scalars(select(Person.phone).order_by(Person.phone)))


def test_columns_not_given_get_the_models_scalar_defaults(engine: Engine) -> None:
    with engine.begin() as conn:
        row = insert_one(conn, INBOUND, _message())
    assert row is not None
    with Session(engine) as session:
        stored = session.scalars(select(InboundMessage)).one()
    assert row[0] == stored.id
    assert (stored.recipient, stored.subject, stored.attempts) == ("", "", 0)
    assert stored.person_id is None and stored.handled_at is None


def test_an_aware_instant_and_sealed_words_come_back_as_given(engine: Engine) -> None:
    received = datetime(2026, 11, 24, 20, 30, 15, 250000, tzinfo=timezone(timedelta(hours=5)))
    words = "The panel asked about dbt and I froze."
    with engine.begin() as conn:
        insert_one(conn, INBOUND, _message(body=words, received_at=received))
    with Session(engine) as session:
        # Found by its instant: stored as SQLAlchemy stores it (UTC), not as the driver would.
        stored = session.scalars(
            select(InboundMessage).where(InboundMessage.received_at == received)
        ).one()
        raw = session.scalars(select(type_coerce(InboundMessage.body, Text))).one()
    assert stored.received_at == received and stored.received_at.tzinfo == UTC
    assert stored.body == words
    assert raw.startswith(PREFIX) and words not in raw


def test_a_taken_unique_key_is_skipped_and_the_transaction_goes_on(engine: Engine) -> None:
    with engine.begin() as conn:
        assert insert_one(conn, PEOPLE, _person("+14155550100")) is not None
        assert insert_one(conn, PEOPLE, _person("+14155550100"), skip_conflict=True) is None
        assert insert_one(conn, PEOPLE, _person("+14155550101")) is not None
        assert conn.execute(select(func.count()).select_from(PEOPLE)).scalar() == 2
    assert _phones(engine) == ["+14155550100", "+14155550101"]


def test_each_new_rows_own_id_comes_back_and_none_for_a_skipped_one(engine: Engine) -> None:
    """On SQLite the id is the driver's last row id, not a RETURNING: a skipped insert must not
    hand back the id of the row written before it."""
    with engine.begin() as conn:
        conn.execute(insert(PEOPLE).values(_person("+14155550199")))  # ids do not start at 1
        given = [insert_one(conn, PEOPLE, _person(f"+1415555010{n}")) for n in range(3)]
        skipped = insert_one(conn, PEOPLE, _person("+14155550102"), skip_conflict=True)
        kept = insert_one(conn, PEOPLE, _person("+14155550103"), skip_conflict=True)
    with Session(engine) as session:
        ids = dict(session.execute(select(Person.phone, Person.id)).all())
    assert [row[0] for row in given if row] == [ids[f"+1415555010{n}"] for n in range(3)]
    assert skipped is None
    assert kept is not None and kept[0] == ids["+14155550103"]


def test_a_taken_unique_key_raises_without_skip_conflict(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_one(conn, PEOPLE, _person("+14155550100"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        insert_one(conn, PEOPLE, _person("+14155550100"))
    assert _phones(engine) == ["+14155550100"]


def test_nothing_returned_still_writes_the_row(engine: Engine) -> None:
    with engine.begin() as conn:
        assert insert_one(conn, PEOPLE, _person("+14155550100"), returning=()) is None
    with Session(engine) as session:
        person = session.scalars(select(Person)).one()
    assert (person.phone, person.sms_status, person.preferred_medium) == (
        "+14155550100",
        "active",
        "sms",
    )


def test_update_one_sets_the_columns_given_as_their_types_convert_them(engine: Engine) -> None:
    handled = datetime(2026, 11, 24, 20, 30, 15, 250000, tzinfo=timezone(timedelta(hours=-8)))
    with engine.begin() as conn:
        first = insert_one(conn, INBOUND, _message())
        other = insert_one(conn, INBOUND, {**_message(), "provider_message_id": "SM2"})
        assert first is not None and other is not None
        values = {"attempts": 1, "command": "answer", "handled_at": handled, "reply_owed": True}
        update_one(conn, INBOUND, first[0], values)
        update_one(conn, INBOUND, 10_000, values)  # no such row: nothing matched, no error
    with Session(engine) as session:
        stored = {row.id: row for row in session.scalars(select(InboundMessage))}
    done, untouched = stored[first[0]], stored[other[0]]
    assert (done.attempts, done.command, done.reply_owed) == (1, "answer", True)
    assert done.handled_at == handled and done.handled_at.tzinfo == UTC
    assert done.body == _message()["body"]  # the columns not given are left as they were
    assert (untouched.attempts, untouched.command, untouched.handled_at) == (0, None, None)


def test_the_statement_passes_through_sqlalchemys_events(engine: Engine) -> None:
    with counted(engine, whole=True) as seen, engine.begin() as conn:
        insert_one(conn, PEOPLE, _person("+14155550100"))
    inserts = [s for s in seen if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1 and "people" in inserts[0], seen


def test_the_statement_is_seen_after_it_ran_too(engine: Engine) -> None:
    with counted(engine, whole=True, after=True) as ran, engine.begin() as conn:
        row = insert_one(conn, INBOUND, _message())
        assert row is not None
        update_one(conn, INBOUND, row[0], {"attempts": 1})
    assert [s.split(None, 1)[0].upper() for s in ran if "inbound_messages" in s] == [
        "INSERT",
        "UPDATE",
    ], ran


def test_outside_a_transaction_the_row_is_written_in_one_the_connection_begins(
    engine: Engine,
) -> None:
    with engine.connect() as conn:
        insert_one(conn, PEOPLE, _person("+14155550100"))
        conn.rollback()  # nothing was committed on its own
    assert _phones(engine) == []


def test_a_write_the_database_refuses_raises_sqlalchemys_own_error(sqlite_engine: Engine) -> None:
    """A reader's snapshot that another connection's commit made stale cannot write (SQLite's
    SQLITE_BUSY_SNAPSHOT): the caller gets SQLAlchemy's OperationalError, the driver's inside."""
    with sqlite_engine.connect() as reader:
        reader = reader.execution_options(onward_read_only=True)  # a plain BEGIN: no write lock
        reader.begin()
        reader.exec_driver_sql("SELECT count(*) FROM people").all()  # its snapshot taken
        with sqlite_engine.begin() as writer:
            insert_one(writer, PEOPLE, _person("+14155550100"))
        with pytest.raises(OperationalError) as raised:
            insert_one(reader, PEOPLE, _person("+14155550101"))
        assert isinstance(raised.value.orig, sqlite3.OperationalError)
        reader.rollback()
    assert _phones(sqlite_engine) == ["+14155550100"]


def test_a_computed_default_not_given_is_refused(sqlite_engine: Engine) -> None:
    made = Table(
        "made_things",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("made", String, default=lambda: "x"),
    )
    made.create(sqlite_engine)
    try:
        with sqlite_engine.begin() as conn:
            with pytest.raises(ValueError, match=r"made_things\.made"):
                insert_one(conn, made, {"id": 1})
            assert insert_one(conn, made, {"id": 2, "made": "y"}) is not None
            assert conn.execute(select(made.c.id, made.c.made)).all() == [(2, "y")]
    finally:
        made.drop(sqlite_engine)

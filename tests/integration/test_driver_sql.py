"""UPDATEs and DELETEs built with SQLAlchemy, run by `driver_sql.write` (on SQLite on the
driver's cursor, compiled once): the same rows changed, the same values stored and the same
statement events as SQLAlchemy's own execution, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, PendingRollbackError
from sqlalchemy.orm import Session

from onward.engine import suppression
from onward.engine.storage.driver_sql import connection_of, write
from onward.engine.storage.models import Person
from onward.engine.storage.plain_writes import write_now
from tests.integration.statement_helpers import counted

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
PHONE = "+14155550100"


def _someone(session: Session) -> Person:
    person = Person(phone=PHONE, timezone="UTC", created_at=NOW, updated_at=NOW)
    session.add(person)
    session.flush()
    return person


def test_an_instant_written_is_stored_as_sqlalchemy_stores_it(engine: Engine) -> None:
    # Given in Tokyo's time: stored as the UTC instant, read back equal (SQLite keeps UTC wall
    # time as text, so an unconverted value would read nine hours off).
    tokyo = (NOW + timedelta(minutes=30)).astimezone(ZoneInfo("Asia/Tokyo"))
    with Session(engine) as session:
        person = _someone(session)
        write_now(session, person, sms_footer_at=tokyo, timezone="Asia/Tokyo")
        assert person.sms_footer_at == tokyo and not session.dirty
        session.commit()
    with Session(engine) as session:
        stored = session.scalars(select(Person)).one()
        assert stored.sms_footer_at == NOW + timedelta(minutes=30)
        assert stored.timezone == "Asia/Tokyo"


def test_it_says_how_many_rows_it_matched(engine: Engine) -> None:
    retire = update(Person).where(Person.phone == bindparam("number")).values(timezone="UTC")
    with Session(engine) as session:
        _someone(session)
        assert write(session.connection(), retire, {"number": PHONE}) == 1
        assert write(session.connection(), retire, {"number": "+14155550199"}) == 0
        gone = delete(Person).where(Person.phone == bindparam("number"))
        assert write(session.connection(), gone, {"number": PHONE}) == 1
        assert session.scalar(select(Person.id)) is None


def test_a_lifted_suppression_is_gone(engine: Engine) -> None:
    with Session(engine) as session:
        assert suppression.suppress(session, [PHONE]) == 1
        assert suppression.is_suppressed(session, PHONE)
        suppression.lift(session, PHONE)
        assert not suppression.is_suppressed(session, PHONE)


def test_statement_events_see_each_statement(engine: Engine) -> None:
    with Session(engine) as session:
        person = _someone(session)
        with counted(engine, whole=True, after=True) as seen:
            write_now(session, person, timezone="Europe/Paris")
    assert len(seen) == 1 and seen[0].startswith("UPDATE people SET timezone=")


def test_a_default_computed_at_each_run_is_refused(sqlite_engine: Engine) -> None:
    # Compiled once, it would be computed once: every later run would write the first value.
    table = Table(
        "stamped",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("n", Integer),
        Column("at", DateTime, onupdate=lambda: NOW),
    )
    bump = update(table).values(n=bindparam("n"))
    with sqlite_engine.connect() as conn, pytest.raises(ValueError, match="computed in Python"):
        write(conn, bump, {"n": 1})


def test_the_connection_of_a_session_is_its_transactions_own(engine: Engine) -> None:
    with Session(engine) as session:
        first = connection_of(session)  # begins the transaction, as session.connection() does
        assert session.in_transaction() and first is session.connection()
        assert connection_of(session) is first
        _someone(session)
        session.commit()
        # A new transaction: the connection the ORM gives for it, not the one remembered.
        again = connection_of(session)
        assert again is session.connection() and again is not first
        assert again.scalar(select(Person.phone)) == PHONE


def test_a_transaction_that_failed_gets_the_orms_own_error(engine: Engine) -> None:
    with Session(engine) as session:
        connection_of(session)
        _someone(session)
        session.add(Person(phone=PHONE, timezone="UTC", created_at=NOW, updated_at=NOW))
        with pytest.raises(IntegrityError):
            session.flush()
        with pytest.raises(PendingRollbackError):
            connection_of(session)
        session.rollback()
        assert connection_of(session).scalar(select(Person.id)) is None


def test_a_savepoint_rolled_back_undoes_what_was_written_on_it(engine: Engine) -> None:
    # The ORM sends SAVEPOINT when first asked for the connection inside it: asked again there,
    # not answered from the transaction around it (where the row would stay).
    with Session(engine) as session:
        connection_of(session)
        with pytest.raises(RuntimeError), session.begin_nested():
            connection_of(session).execute(
                insert(Person).values(phone=PHONE, timezone="UTC", created_at=NOW, updated_at=NOW)
            )
            raise RuntimeError("broke half-way")
        assert connection_of(session).scalar(select(Person.id)) is None
        _someone(session)
        session.commit()

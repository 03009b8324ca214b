"""On SQLite the router's read of a conversation runs on the driver's cursor (inbound/lookup.py,
through storage/driver_sql.select_rows): its rows must be what SQLAlchemy's own execution of the
same statement gives, each column converted by its type (instants aware, in UTC), for someone
known and for someone new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, bindparam, select

from onward.engine.clock import FakeClock
from onward.engine.inbound.lookup import _BY_ADDRESS
from onward.engine.plan_choice import _FACTS
from onward.engine.storage.driver_sql import select_rows
from onward.engine.storage.models import Person
from tests.integration.inbound_helpers import OTHER_PHONE, PHONE, Talk, with_a_prompt_open


def _both(talk: Talk, address: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with talk.sessions() as session:
        conn = session.connection()
        by_driver = select_rows(conn, _BY_ADDRESS["sms"], {"address": address})
        by_sqlalchemy = [
            tuple(row) for row in conn.execute(_BY_ADDRESS["sms"], {"address": address}).all()
        ]
    return sorted(by_driver, key=repr), sorted(by_sqlalchemy, key=repr)


def test_someone_with_a_prompt_open_reads_as_sqlalchemy_reads_them(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(sqlite_engine, clock)
    with_a_prompt_open(talk)
    by_driver, by_sqlalchemy = _both(talk, PHONE)
    assert by_driver == by_sqlalchemy and len(by_driver) >= 1
    instants = [v for row in by_driver for v in row if isinstance(v, datetime)]
    assert instants and all(v.tzinfo is UTC for v in instants)
    assert any(row[8] == "reflect" for row in by_driver)  # the open prompt's key


def test_someone_new_reads_as_one_row_of_the_newest_version(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(sqlite_engine, clock)
    talk.send("REJECTED Acme")  # plans stored: a newest version to read
    by_driver, by_sqlalchemy = _both(talk, OTHER_PHONE)
    assert by_driver == by_sqlalchemy
    [row] = by_driver
    assert row[1] is not None and row[10] is None  # the newest version; nobody's columns


def test_a_rejections_plan_facts_read_as_sqlalchemy_reads_them(
    sqlite_engine: Engine, clock: FakeClock
) -> None:
    # Its bound instant is converted as its column converts it (SQLite stores UTC wall time as
    # text): given in Tokyo's time, half an hour ago reads nine hours ahead if it is not.
    talk = Talk(sqlite_engine, clock)
    talk.send("REJECTED Acme")
    talk.send("REJECTED Globex")
    since = (clock.now() - timedelta(minutes=30)).astimezone(ZoneInfo("Asia/Tokyo"))
    with talk.sessions() as session:
        conn = session.connection()
        person_id = conn.exec_driver_sql("SELECT id FROM people").scalar_one()
        params = {"person_id": person_id, "since": since}
        by_driver = select_rows(conn, _FACTS, params)
        by_sqlalchemy = [tuple(row) for row in conn.execute(_FACTS, params).all()]
        later = select_rows(conn, _FACTS, {**params, "since": clock.now() + timedelta(seconds=1)})
    assert by_driver == by_sqlalchemy
    assert by_driver[0][0] == 2 and later[0][0] == 0  # both rejections in the window; none after


def test_a_statement_whose_sql_depends_on_its_values_is_refused(sqlite_engine: Engine) -> None:
    listed = select(Person.id).where(Person.phone.in_(bindparam("phones", expanding=True)))
    with sqlite_engine.connect() as conn, pytest.raises(ValueError, match="compiled once"):
        select_rows(conn, listed, {"phones": [PHONE]})

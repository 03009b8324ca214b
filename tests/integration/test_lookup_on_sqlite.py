"""On SQLite the router's read of a conversation runs on the driver's cursor (inbound/lookup.py):
its rows must be what SQLAlchemy's own execution of the same statement gives, each column
converted by its type (instants aware, in UTC), for someone known and for someone new."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from onward.engine.clock import FakeClock
from onward.engine.inbound.lookup import _BY_ADDRESS, _on_sqlite
from onward.engine.storage.driver_sql import run
from tests.integration.inbound_helpers import OTHER_PHONE, PHONE, Talk, with_a_prompt_open


def _both(talk: Talk, address: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with talk.sessions() as session:
        conn = session.connection()
        sql, params, convert = _on_sqlite("sms", conn.dialect)
        by_driver = [convert(row) for row in run(conn, sql, params(address)).rows]
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

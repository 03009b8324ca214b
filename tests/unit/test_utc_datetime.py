"""UTCDateTime writes SQLite's text itself (isoformat, in C): the same text SQLAlchemy's DateTime
writes after the type's checks, for any aware instant, so rows written before and after sort
and compare alike; a naive datetime is refused as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import DateTime, create_engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from onward.engine.storage.declarative import UTCDateTime
from onward.engine.storage.models import PlanVersion

DIALECT = sqlite.dialect()
POSTGRESQL = postgresql.dialect()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
ZONES = [
    UTC,
    ZoneInfo("UTC"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Australia/Lord_Howe"),  # half-hour daylight saving
    timezone(timedelta(hours=5, minutes=30)),
    timezone(-timedelta(hours=11, minutes=59, seconds=59)),
]
INSTANTS = [
    datetime(2026, 12, 5, 22, 41, 52, 0),
    datetime(2026, 3, 8, 2, 30, 0, 1),  # New York's spring gap
    datetime(2026, 11, 1, 1, 30, 0, 999_999, fold=1),  # its autumn repeat
    datetime(1, 1, 2, 0, 0, 0, 0),
    datetime(999, 12, 31, 23, 59, 59, 5),
    datetime(9999, 12, 30, 12, 0, 0, 123_456),
]


def sqlalchemys_own(value: datetime) -> object:
    """What SQLAlchemy writes: the type's checks, then SQLite's DateTime's own text."""
    write = DateTime().dialect_impl(DIALECT).bind_processor(DIALECT)  # SQLite's DATETIME
    assert write is not None
    return write(UTCDateTime().process_bind_param(value, DIALECT))


@pytest.mark.parametrize("zone", ZONES, ids=str)
def test_the_text_is_sqlalchemys_for_every_instant(zone: object) -> None:
    ours = UTCDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
    assert ours is not None
    for naive in INSTANTS:
        instant = naive.replace(tzinfo=zone)  # type: ignore[arg-type]
        assert ours(instant) == sqlalchemys_own(instant), instant


def test_none_stays_none_and_naive_is_refused() -> None:
    ours = UTCDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
    assert ours is not None
    assert ours(None) is None
    with pytest.raises(ValueError, match="naive datetime"):
        ours(datetime(2026, 12, 5, 12, 0))


def test_postgresql_keeps_an_aware_instant() -> None:
    process = UTCDateTime().dialect_impl(POSTGRESQL).bind_processor(POSTGRESQL)
    instant = datetime(2026, 12, 5, 7, 0, tzinfo=ZoneInfo("America/New_York"))
    bound = process(instant) if process else instant
    assert bound == instant and bound.tzinfo is UTC


def test_a_stored_instant_reads_back_the_same_and_sorts_as_time() -> None:
    engine = create_engine("sqlite://")
    PlanVersion.metadata.create_all(engine, tables=[PlanVersion.__table__])  # type: ignore[list-item]
    new_york = ZoneInfo("America/New_York")
    times = [
        datetime(2026, 12, 5, 7, 0, tzinfo=new_york),
        datetime(2026, 12, 5, 11, 59, tzinfo=UTC),
    ]
    with Session(engine) as session:
        for number, at in enumerate(times, start=1):
            session.add(
                PlanVersion(name="p", version=number, source="", checksum="", created_at=at)
            )
        session.commit()
        stored = list(
            session.scalars(select(PlanVersion.created_at).order_by(PlanVersion.created_at))
        )
    assert stored == sorted(times)  # 11:59 UTC before 12:00 UTC (07:00 in New York)
    assert all(at.tzinfo is UTC for at in stored)

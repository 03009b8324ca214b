"""Rows written by plain statements, handed to the rest of a turn as ORM objects the session
treats as loaded (storage/plain_writes.py): reading them runs no query, changing one is flushed
as an UPDATE of that column alone, and their relationships load as any loaded object's do."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Engine, Table, inspect, select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session

from onward.engine.storage.bulk_rows import insert_one
from onward.engine.storage.models import Person, PlanVersion, Rejection, Run
from onward.engine.storage.plain_writes import as_loaded, as_read, row_values
from tests.integration.statement_helpers import counted

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
PEOPLE = cast(Table, Person.__table__)
REJECTIONS = cast(Table, Rejection.__table__)
RUNS = cast(Table, Run.__table__)
VERSIONS = cast(Table, PlanVersion.__table__)


def _written(session: Session, table: Table, given: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    values = row_values(table, given)
    row = insert_one(session.connection(), table, values)
    assert row is not None
    return row[0], values


def _someone(session: Session, phone: str = "+14155550100") -> Person:
    given = {"phone": phone, "timezone": "America/New_York", "created_at": NOW, "updated_at": NOW}
    row_id, values = _written(session, PEOPLE, given)
    return as_loaded(session, Person, row_id, values)


def test_an_object_made_as_loaded_is_persistent_clean_and_read_without_a_query(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        person = _someone(session)
        state = inspect(person)
        assert state.persistent and not state.modified
        assert state.key == (Person, (person.id,), None)
        assert session.get(Person, person.id) is person
        with counted(engine) as seen:
            assert (person.phone, person.timezone, person.sms_status) == (
                "+14155550100",
                "America/New_York",
                "active",
            )
            assert person.email is None and person.open_question is None
            session.flush()
        assert seen == []


def test_a_change_to_it_is_flushed_as_an_update_of_that_column_alone(engine: Engine) -> None:
    with Session(engine) as session:
        person = _someone(session)
        with counted(engine, whole=True) as seen:
            person.timezone = "Europe/Paris"
            assert session.dirty
            session.flush()
        assert len(seen) == 1 and seen[0].startswith("UPDATE people SET timezone=")
        session.commit()
    with Session(engine) as session:
        assert session.scalar(select(Person.timezone)) == "Europe/Paris"


def test_its_relationships_load_as_a_loaded_objects_do(engine: Engine) -> None:
    with Session(engine) as session:
        person = _someone(session)
        rejection_id, _ = _written(
            session,
            REJECTIONS,
            {"person_id": person.id, "company": "Acme", "role": "", "reported_at": NOW},
        )
        run_id, values = _written(
            session,
            RUNS,
            {
                "person_id": person.id,
                "rejection_id": rejection_id,
                "plan_version_id": _a_plan_version(session),
                "status": "active",
                "applied_count": 0,
                "started_at": NOW,
            },
        )
        run = as_loaded(session, Run, run_id, values)
        with counted(engine) as seen:
            assert run.person is person  # the session's own, no query
            assert seen == []
            rejection = run.rejection  # not in the session: loaded when first read
            assert rejection is not None and rejection.company == "Acme"
        assert len(seen) == 1


def _a_plan_version(session: Session) -> int:
    given = {"name": "p", "version": 1, "source": "x", "checksum": "c" * 64, "created_at": NOW}
    return _written(session, VERSIONS, given)[0]


def test_a_column_the_model_lacks_is_refused(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(KeyError, match="nickname"):
        as_loaded(session, Person, 1, {"phone": "+14155550100", "nickname": "Al"})


def test_as_read_gives_the_sessions_own_object_when_it_has_one(engine: Engine) -> None:
    with Session(engine) as session:
        person = _someone(session)
        values = {c.key: getattr(person, c.key) for c in PEOPLE.columns}
        assert as_read(session, Person, values) is person
        session.expunge(person)
        again = as_read(session, Person, values)
        assert again is not person and again.phone == person.phone
        assert not inspect(again).modified


def test_a_row_whose_object_the_session_holds_is_refused_and_the_session_goes_on(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        person = _someone(session)
        values = {c.key: getattr(person, c.key) for c in PEOPLE.columns if c.key != "id"}
        with pytest.raises(InvalidRequestError, match=f"Person {person.id} is already"):
            as_loaded(session, Person, person.id, values)
        assert session.get(Person, person.id) is person


def test_it_leaves_the_session_with_the_rest_of_the_turn(engine: Engine) -> None:
    # expunge_all between a group's messages, and the end of the session, let go of it.
    with Session(engine) as session:
        person = _someone(session)
        session.expunge_all()
        assert inspect(person).detached and person not in session
        assert session.get(Person, person.id) is not person

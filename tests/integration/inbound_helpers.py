"""Inbound test kit: a real inbox and router over a migrated database, and people who text it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from onward.channels import InboundMessage, Medium
from onward.engine.clock import FakeClock
from onward.engine.inbound.context import RouterConfig
from onward.engine.inbound.inbox import Inbox, Received
from onward.engine.inbound.router import Router
from onward.engine.plan_store import install_shipped_plans
from onward.engine.storage.db import create_db_engine, session_factory
from onward.engine.storage.migrate import upgrade
from onward.engine.storage.models import (
    Delivery,
    JournalEntry,
    Person,
    PlanVersion,
    Rejection,
    Run,
    Step,
)
from onward.engine.storage.models import (
    InboundMessage as InboundRow,
)
from tests.conftest import drop_postgres_database, fresh_postgres_url

T = TypeVar("T")
PHONE = "+14155550100"  # San Francisco: America/Los_Angeles, country US
OTHER_PHONE = "+447400123456"  # a UK mobile: Europe/London, country GB
# Every table that can name a person, with the column that does.
PERSON_TABLES: tuple[tuple[type[Any], Any], ...] = (
    (Rejection, Rejection.person_id),
    (Run, Run.person_id),
    (Step, Run.person_id),
    (Delivery, Delivery.person_id),
    (JournalEntry, JournalEntry.person_id),
    (InboundRow, InboundRow.person_id),
)

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def shared_database(
    request: pytest.FixtureRequest, tmp: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One migrated database per backend for a whole module (migrating for each test is slow);
    use with `cleared` so each test still starts empty."""
    admin = request.getfixturevalue("postgres_admin") if request.param == "postgres" else None
    url = fresh_postgres_url(admin) if admin else f"sqlite:///{tmp.mktemp('db') / 'onward.db'}"
    engine = create_db_engine(url)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        if admin is not None:
            drop_postgres_database(admin, url)


class Talk:
    """People texting onward through the real inbox, plus quick looks at what it stored."""

    def __init__(
        self, engine: Engine, clock: FakeClock, router: Router | None = None, **config: Any
    ) -> None:
        self.clock = clock
        self.sessions: sessionmaker[Session] = session_factory(engine)
        with self.sessions.begin() as session:
            install_shipped_plans(session, clock)
        self.config = RouterConfig(**config)
        self.inbox = Inbox(self.sessions, router or Router(self.config), clock)
        self._ids = itertools.count(1)

    def message(
        self,
        body: str,
        sender: str = PHONE,
        *,
        channel: str = "console",
        medium: Medium = "sms",
        provider_id: str | None = None,
        subject: str = "",
    ) -> InboundMessage:
        return InboundMessage(
            channel=channel,
            medium=medium,
            provider_message_id=provider_id or f"msg-{next(self._ids)}",
            sender=sender,
            recipient="+15005550006" if medium == "sms" else "onward@example.org",
            body=body,
            subject=subject,
        )

    def send(self, body: str, sender: str = PHONE, **kwargs: Any) -> Received:
        return self.inbox.receive(self.message(body, sender, **kwargs))

    def say(self, body: str, sender: str = PHONE, **kwargs: Any) -> str | None:
        """What onward answers at once (None when it stays silent)."""
        return self.send(body, sender, **kwargs).reply

    def later(self, **delta: float) -> None:
        self.clock.advance(timedelta(**delta))

    # -- looking at the database ---------------------------------------------------------------

    def rows(self, model: type[T], *where: Any, order: Any = None) -> list[T]:
        query = select(model).where(*where)
        if model is Step:
            query = query.order_by(order if order is not None else Step.id)
        elif order is not None:
            query = query.order_by(order)
        with self.sessions() as session:
            return list(session.scalars(query))

    def count(self, model: type[Any], *where: Any) -> int:
        query = select(func.count()).select_from(model)
        if model is Step:  # steps name a person through their run
            query = query.join(Run, Run.id == Step.run_id)
        with self.sessions() as session:
            return int(session.scalar(query.where(*where)) or 0)

    def person(self, address: str = PHONE) -> Person | None:
        column = Person.email if "@" in address else Person.phone
        found = self.rows(Person, column == address)
        return found[0] if found else None

    def me(self, address: str = PHONE) -> Person:
        person = self.person(address)
        assert person is not None, f"nobody with {address}"
        return person

    def runs(self, address: str = PHONE) -> list[Run]:
        person = self.person(address)
        assert person is not None, f"nobody with {address}"
        return self.rows(Run, Run.person_id == person.id, order=Run.id)

    def run(self, address: str = PHONE) -> Run:
        """The person's latest run."""
        return self.runs(address)[-1]

    def plan_of(self, run: Run) -> PlanVersion:
        return self.rows(PlanVersion, PlanVersion.id == run.plan_version_id)[0]

    def steps(self, run_id: int, *statuses: str) -> list[Step]:
        where = [Step.run_id == run_id]
        if statuses:
            where.append(Step.status.in_(statuses))
        return self.rows(Step, *where, order=Step.due_at)

    def step(self, run_id: int, key: str) -> Step:
        return self.rows(Step, Step.run_id == run_id, Step.step_key == key)[0]

    def mark_sent(self, run_id: int, key: str) -> Step:
        """Pretend the dispatcher sent a step now (the router only reads status and sent_at)."""
        with self.sessions.begin() as session:
            step = session.scalars(
                select(Step).where(Step.run_id == run_id, Step.step_key == key)
            ).one()
            step.status, step.sent_at, step.attempts = "sent", self.clock.now(), 1
        return step

    def rows_naming(self, person_id: int) -> dict[str, int]:
        """How many rows of each table name the person (the erasure check)."""
        counts = {"people": self.count(Person, Person.id == person_id)}
        for model, column in PERSON_TABLES:
            counts[model.__tablename__] = self.count(model, column == person_id)
        return counts


def with_a_prompt_open(talk: Talk) -> None:
    """A plan started, its reflect prompt sent an hour ago: what they write next is journalled."""
    talk.send("REJECTED Acme")
    with talk.sessions.begin() as session:
        session.execute(
            update(Step)
            .where(Step.step_key == "reflect")
            .values(status="sent", sent_at=talk.clock.now() - timedelta(hours=1), attempts=1)
        )

"""Dispatcher test kit: a channel that fails on cue, a harness that starts runs and moves time."""

from __future__ import annotations

import io
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from onward.channels import (
    STATE_RANK,
    Channel,
    ChannelContext,
    ChannelError,
    DeliveryState,
    DeliveryStatus,
    InboundMessage,
    Medium,
    OutboundMessage,
    SendResult,
    TransientSendError,
    WebhookRejected,
    WebhookRequest,
)
from onward.channels.console import ConsoleChannel
from onward.engine.clock import FakeClock
from onward.engine.dispatch.dispatcher import DispatchConfig, Dispatcher
from onward.engine.people import create_person
from onward.engine.plan_store import install_shipped_plans, require_latest
from onward.engine.run_start import start_run
from onward.engine.storage.db import session_factory
from onward.engine.storage.models import Delivery, Person, Step
from onward.plans import DEFAULT_WINDOW

PHONE = "+14155550100"  # San Francisco: America/Los_Angeles
WINDOW = DEFAULT_WINDOW


class ProcessKilled(BaseException):
    """Raised inside a send to stop a dispatcher dead, as SIGKILL would: nothing after it runs
    (a BaseException, so no `except Exception` of the dispatcher records anything)."""


def kill_the_process(_message: OutboundMessage) -> None:
    raise ProcessKilled


class FlakyChannel:
    """A real in-process channel whose sends fail on cue: each queued error is raised once, in
    order, then every send succeeds (or, with `forever`, that error is raised every time).

    `during_send`, if set, runs inside each send before the provider answers: a test makes the
    provider slow with it (moving the clock) or lets another dispatcher tick meanwhile.
    """

    name = "flaky"
    medium: Medium = "sms"
    max_body = 1600
    rate_per_sec = 100.0
    requires: tuple[str, ...] = ()

    def __init__(
        self,
        *errors: ChannelError,
        forever: ChannelError | None = None,
        medium: Medium = "sms",
        status: DeliveryState = "sent",
    ) -> None:
        self.medium = medium
        self.status = status
        self.forever = forever
        self.during_send: Callable[[OutboundMessage], None] | None = None
        self._errors = deque(errors)
        self._lock = threading.Lock()
        self.calls: list[OutboundMessage] = []  # every message send() was given
        self.outbox: list[OutboundMessage] = []  # the ones the "provider" accepted

    @classmethod
    def transient(cls, times: int, retry_after: timedelta | None = None) -> FlakyChannel:
        errors = [TransientSendError("provider busy", retry_after=retry_after)] * times
        return cls(*errors)

    def send(self, message: OutboundMessage) -> SendResult:
        if self.during_send is not None:
            self.during_send(message)
        with self._lock:
            self.calls.append(message)
            if self._errors:
                raise self._errors.popleft()
            if self.forever is not None:
                raise self.forever
            self.outbox.append(message)
            number = len(self.outbox)
        return SendResult(provider_id=f"flaky-{message.delivery_id}-{number}", status=self.status)

    def parse_inbound(self, request: WebhookRequest) -> InboundMessage:
        raise WebhookRejected("the flaky channel takes no inbound messages", status=403)

    def parse_status(self, request: WebhookRequest) -> list[DeliveryStatus]:
        return []

    def reply_response(self, text: str | None) -> tuple[str, bytes]:
        return "text/plain", (text or "").encode()

    def check(self) -> str:
        return "ok"


def due(dispatcher: Dispatcher) -> datetime:
    """The earliest due time, which the test knows there is."""
    when = dispatcher.earliest_due()
    assert when is not None, "nothing is due"
    return when


def console() -> ConsoleChannel:
    return ConsoleChannel(ChannelContext(output=io.StringIO()), keep_sent=True)


@dataclass
class Harness:
    """One migrated database with the shipped plans, a fake clock and a channel per medium."""

    engine: Engine
    clock: FakeClock
    sms: Channel = field(default_factory=console)
    email: Channel = field(default_factory=lambda: console())
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = session_factory(self.engine)
        with self.sessions.begin() as session:
            install_shipped_plans(session, self.clock)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def dispatcher(self, worker_id: str = "w1", **config: Any) -> Dispatcher:
        """A dispatcher with its own session factory, as a separate process would have."""
        return Dispatcher(
            session_factory(self.engine),
            self.clock,
            {"sms": (self.sms.name, self.sms), "email": (self.email.name, self.email)},
            DispatchConfig(worker_id=worker_id, **config),
        )

    def start_run(
        self, phone: str = PHONE, plan: str = "standard", company: str = "Acme", **person: Any
    ) -> int:
        """Report a rejection for `phone` now (creating the person, with `person` fields set)."""
        with self.sessions.begin() as session:
            found = session.scalars(select(Person).where(Person.phone == phone)).first()
            someone = found or create_person(session, "sms", phone, self.clock.now())
            for name, value in person.items():
                setattr(someone, name, value)
            version = require_latest(session, plan)
            started = start_run(
                session, someone, version, company, "Engineer", self.clock.now(), WINDOW
            )
            return started.run.id

    def steps(self, run_id: int) -> list[Step]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(Step).where(Step.run_id == run_id).order_by(Step.due_at, Step.id)
                )
            )

    def step(self, run_id: int, key: str) -> Step:
        return next(s for s in self.steps(run_id) if s.step_key == key)

    def deliveries(self, step_id: int | None = None) -> list[Delivery]:
        query = select(Delivery).order_by(Delivery.id)
        if step_id is not None:
            query = query.where(Delivery.step_id == step_id)
        with self.sessions() as session:
            rows = list(session.scalars(query))
        for row in rows:  # the rank is the ladder callbacks climb: it must match the state
            rank = STATE_RANK[row.status]  # type: ignore[index]
            assert row.status_rank == rank, (row.id, row.status, row.status_rank)
        return rows

    def update_step(self, step_id: int, **values: Any) -> None:
        with self.sessions.begin() as session:
            step = session.get(Step, step_id)
            assert step is not None
            for name, value in values.items():
                setattr(step, name, value)

    def update_person(self, phone: str = PHONE, **values: Any) -> None:
        with self.sessions.begin() as session:
            person = session.scalars(select(Person).where(Person.phone == phone)).one()
            for name, value in values.items():
                setattr(person, name, value)

    def person(self, phone: str = PHONE) -> Person:
        with self.sessions() as session:
            return session.scalars(select(Person).where(Person.phone == phone)).one()

    def drive(
        self, dispatcher: Dispatcher, until: datetime | None = None, limit: int = 100
    ) -> list[tuple[datetime, str]]:
        """Jump the clock to each next due time and tick, as the wake-up job does, until idle
        (or until the next due time is after `until`).

        Returns (time, outcome) for every step processed along the way.
        """
        seen: list[tuple[datetime, str]] = []
        for _ in range(limit):
            due = dispatcher.earliest_due()
            if due is None or (until is not None and due > until):
                return seen
            self.clock.set(max(due, self.clock.now()))
            outcomes = dispatcher.tick()
            assert outcomes, f"a tick at the earliest due time {due} processed nothing"
            seen += [(self.clock.now(), outcome) for outcome in _expand(outcomes)]
        raise AssertionError(f"still not idle after {limit} ticks")


def _expand(outcomes: dict[str, int]) -> Iterable[str]:
    for outcome, count in sorted(outcomes.items()):
        yield from [outcome] * count

"""The dispatcher: claim due steps with a lease, check guards, send outside a transaction, record.

The database is the truth: a step is a row with a UTC due time, claimed in one short transaction
(FOR UPDATE SKIP LOCKED on PostgreSQL; BEGIN IMMEDIATE serialises SQLite), so any number of
dispatchers, in one process or many, never send the same step twice. A delivery row in
`sending` is written before the channel is called (engine/guards.py); whoever later finds it
there (a claimer whose lease ran out) marks it `unknown` instead of sending again.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, joinedload, sessionmaker

from onward.channels import (
    STATE_RANK,
    Channel,
    PermanentSendError,
    ProviderAuthError,
    SendOutcomeUnknown,
    SendResult,
    TransientSendError,
)
from onward.engine import outcomes
from onward.engine.clock import Clock
from onward.engine.db import Base
from onward.engine.guards import HELD_CHANNEL_DELAY, Prepared, prepare, prepare_batch
from onward.engine.logs import get_logger
from onward.engine.metrics import DELIVERIES, DISPATCH_LAG, SEND_ERRORS, STEPS
from onward.engine.models import (
    RUN_ACTIVE,
    STEP_CLAIMED,
    STEP_PENDING,
    STEP_SENT,
    Delivery,
    Run,
    Step,
)
from onward.engine.pacing import ChannelHealth, Pacer, Sleep
from onward.engine.retry import RetryPolicy

log = get_logger("onward.dispatch")


@dataclass(frozen=True)
class DispatchConfig:
    worker_id: str
    lease: timedelta = timedelta(seconds=120)
    batch: int = 50
    grace: timedelta = timedelta(hours=6)
    default_window: str = "09:00-20:00"
    public_url: str = "http://127.0.0.1:8000"
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class Dispatcher:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        channels: Mapping[str, tuple[str, Channel]],
        config: DispatchConfig,
        health: ChannelHealth | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.channels = channels  # medium -> (channel name, channel)
        self.config = config
        self.health = health or ChannelHealth()
        self.stopping = False
        # One pacer per channel, at the provider's rate: a burst queues instead of being refused.
        self.pacers = {
            name: Pacer(float(getattr(channel, "rate_per_sec", 0) or 1000.0), clock, sleep)
            for name, channel in channels.values()
        }

    # -- claiming ------------------------------------------------------------------------------

    def tick(self) -> dict[str, int]:
        """Claim what is due and work through it, batch by batch; returns a count of outcomes."""
        counts: dict[str, int] = {}
        while not self.stopping:
            claimed = self.claim()
            for outcome in self.process_batch(claimed):
                counts[outcome] = counts.get(outcome, 0) + 1
            if len(claimed) < self.config.batch:
                break
        return counts

    def claim(self) -> list[int]:
        now = self.clock.now()
        with self.sessions.begin() as session:
            due = (
                select(Step.id)
                .join(Run, Run.id == Step.run_id)
                .where(
                    Run.status == RUN_ACTIVE,
                    or_(
                        and_(Step.status == STEP_PENDING, Step.due_at <= now),
                        and_(Step.status == STEP_CLAIMED, Step.lease_until < now),
                    ),
                )
                .order_by(Step.due_at, Step.id)
                .limit(self.config.batch)
            )
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True, of=Step)
            ids = list(session.scalars(due))
            if ids:
                session.execute(
                    update(Step)
                    .where(Step.id.in_(ids))
                    .values(
                        status=STEP_CLAIMED,
                        claimed_by=self.config.worker_id,
                        lease_until=now + self.config.lease,
                    )
                )
        return ids

    def earliest_due(self) -> datetime | None:
        """When the next pending step of an active run falls due (the wake-up job's time)."""
        with self.sessions() as session:
            return session.scalar(
                select(func.min(Step.due_at))
                .join(Run, Run.id == Step.run_id)
                .where(Run.status == RUN_ACTIVE, Step.status == STEP_PENDING)
            )

    # -- one step ------------------------------------------------------------------------------

    def prepare(self, step_id: int) -> Prepared | str:
        """Guards, rendering and the `sending` delivery row, in one short transaction."""
        with self.sessions.begin() as session:
            return prepare(
                session, step_id, self.clock.now(), self.config, self.channels, self.health
            )

    def process(self, step_id: int) -> str:
        return self.process_batch([step_id])[0]

    def process_batch(self, step_ids: list[int]) -> list[str]:
        """One transaction guards and renders the batch; sends run with none open; one records."""
        if not step_ids:
            return []
        started = self.clock.now()
        with self.sessions.begin() as session:
            prepared = prepare_batch(
                session, step_ids, started, self.config, self.channels, self.health
            )
        # Stop sending well before the lease runs out (pacing can make a batch long), or when
        # the daemon is stopping: what is left goes back to the queue, never half-done.
        deadline = started + self.config.lease / 2
        sent: list[tuple[Prepared, SendResult | Exception | None]] = []
        for item in prepared:
            if isinstance(item, str):
                continue
            if self.stopping or self.clock.now() >= deadline:
                sent.append((item, None))
                continue
            channel = self.channels[item.message.medium][1]
            self.pacers[item.channel_name].wait_turn()
            # No transaction is open while the provider is called: a slow one holds no locks.
            try:
                sent.append((item, channel.send(item.message)))
            except Exception as exc:
                sent.append((item, exc))
        recorded = iter(self._record(sent))
        outcomes = [item if isinstance(item, str) else next(recorded) for item in prepared]
        for outcome in outcomes:
            STEPS.labels(outcome).inc()
        return outcomes

    def _record(self, sent: list[tuple[Prepared, SendResult | Exception | None]]) -> list[str]:
        if not sent:
            return []
        now = self.clock.now()
        # Accepted sends, the common case, are recorded with two bulk UPDATEs by primary key;
        # every other result goes through its rules one by one.
        accepted = {p.delivery_id for p, r in sent if isinstance(r, SendResult)}
        with self.sessions.begin() as session:
            if accepted:
                self._record_accepted(
                    session, [(p, r) for p, r in sent if p.delivery_id in accepted], now
                )
            rest = [(p, r) for p, r in sent if p.delivery_id not in accepted]
            deliveries = {
                d.id: d
                for d in session.scalars(
                    select(Delivery).where(Delivery.id.in_([p.delivery_id for p, _ in rest]))
                )
            }
            steps = {
                s.id: s
                for s in session.scalars(
                    select(Step)
                    .where(Step.id.in_([p.step_id for p, _ in rest]))
                    .options(
                        joinedload(Step.run, innerjoin=True).joinedload(Run.person, innerjoin=True)
                    )
                ).unique()
            }
            outcomes_by_delivery = {
                p.delivery_id: self._apply(p, r, deliveries, steps, now) for p, r in rest
            }
        return [outcomes_by_delivery.get(p.delivery_id, "sent") for p, _ in sent]

    def _record_accepted(
        self,
        session: Session,
        accepted: list[tuple[Prepared, SendResult | Exception | None]],
        now: datetime,
    ) -> None:
        delivery_rows, step_rows = [], []
        for prepared, result in accepted:
            assert isinstance(result, SendResult)
            # The provider's first word can only move a delivery up from `sending`.
            state = (
                result.status if STATE_RANK[result.status] > STATE_RANK["sending"] else "sending"
            )
            delivery_rows.append(
                {
                    "id": prepared.delivery_id,
                    "provider_id": result.provider_id,
                    "status": state,
                    "status_rank": STATE_RANK[state],
                    "error": None,
                    "updated_at": now,
                }
            )
            step_rows.append(
                {
                    "id": prepared.step_id,
                    "status": STEP_SENT,
                    "sent_at": now,
                    "last_error": None,
                    "claimed_by": None,
                    "lease_until": None,
                }
            )
            DISPATCH_LAG.observe(max((now - prepared.due_at).total_seconds(), 0.0))
            DELIVERIES.labels(prepared.channel_name, state).inc()
        # Core executemany, not the ORM's bulk UPDATE: a row erased meanwhile (FORGET) is simply
        # not matched, instead of failing the whole batch's record.
        deliveries, steps = Base.metadata.tables["deliveries"], Base.metadata.tables["steps"]
        session.execute(
            update(deliveries).where(deliveries.c.id == bindparam("row_id")),
            [_keyed(row) for row in delivery_rows],
        )
        session.execute(
            update(steps).where(steps.c.id == bindparam("row_id")),
            [_keyed(row) for row in step_rows],
        )

    def _apply(
        self,
        prepared: Prepared,
        result: SendResult | Exception | None,
        deliveries: dict[int, Delivery],
        steps: dict[int, Step],
        now: datetime,
    ) -> str:
        name = prepared.channel_name
        delivery = deliveries.get(prepared.delivery_id)
        step = steps.get(prepared.step_id)
        if delivery is None or step is None:
            return "lost"  # erased (FORGET) while the provider was being called
        match result:
            case None:
                outcome = outcomes.record_released(delivery, step, now)
            case SendResult():
                outcome = outcomes.record_sent(delivery, step, result, now)
                DISPATCH_LAG.observe(max((now - prepared.due_at).total_seconds(), 0.0))
            case SendOutcomeUnknown():
                log.warning("provider may have taken the message; not sent again", channel=name)
                outcome = outcomes.record_unknown(delivery, step, str(result), now)
            case ProviderAuthError():
                self.health.disable(name, str(result))
                log.error("provider refused our credentials: channel held", channel=name)
                outcome = outcomes.record_auth_failure(delivery, step, now, HELD_CHANNEL_DELAY)
            case PermanentSendError():
                outcome = outcomes.record_failure(delivery, step, result, set(self.channels), now)
            case TransientSendError():
                outcome = outcomes.record_transient(delivery, step, result, self.config.retry, now)
            case _:  # a channel bug or an unmapped SDK error: retry, then give up
                log.error("channel raised an unexpected error", channel=name, error=repr(result))
                wrapped = TransientSendError(f"{type(result).__name__}: {result}")
                outcome = outcomes.record_transient(delivery, step, wrapped, self.config.retry, now)
        if isinstance(result, Exception):
            code = getattr(result, "code", None) or type(result).__name__
            SEND_ERRORS.labels(name, str(code)).inc()
        DELIVERIES.labels(name, "retrying" if outcome == "retried" else delivery.status).inc()
        return outcome


def _keyed(row: dict[str, object]) -> dict[str, object]:
    """A row for an UPDATE ... WHERE id = :row_id: the id names the row, it is not set."""
    return {"row_id" if key == "id" else key: value for key, value in row.items()}

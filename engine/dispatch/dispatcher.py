"""The dispatcher: claim due steps with a lease, check guards, send outside a transaction, record.

The database is the truth: a step is a row with a UTC due time, claimed in one short transaction
(FOR UPDATE SKIP LOCKED on PostgreSQL; BEGIN IMMEDIATE serialises SQLite), so any number of
dispatchers, in one process or many, never send the same step twice. The same transaction
checks the guards and writes a delivery row in `sending` for each step that passed them
(guards.py, claims.py); it commits before any channel is called, and whoever
later finds a delivery still in `sending` (a claimer whose lease ran out) marks it `unknown`
instead of sending again. The results are recorded in a second transaction (dispatch/record.py).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from onward.channels import Channel
from onward.engine.clock import Clock
from onward.engine.db import READ_ONLY
from onward.engine.dispatch.claims import claim_due, still_wanted
from onward.engine.dispatch.guards import Prepared, claim_and_prepare, prepare, prepare_batch
from onward.engine.dispatch.pacing import ChannelHealth, Pacer, Sleep
from onward.engine.dispatch.record import Sent, record
from onward.engine.dispatch.retry import RetryPolicy
from onward.engine.metrics import STEPS
from onward.engine.models import RUN_ACTIVE, STEP_CLAIMED, STEP_PENDING, Run, Step

# How old a batch may be before each send first checks the person still wants it.
RECHECK_AFTER = timedelta(seconds=2)


@dataclass(frozen=True)
class DispatchConfig:
    worker_id: str
    lease: timedelta = timedelta(seconds=120)
    batch: int = 50
    grace: timedelta = timedelta(hours=6)
    default_window: str = "09:00-20:00"
    public_url: str = "http://127.0.0.1:8000"
    org_name: str = "onward"  # {{ org }} in plan texts (ONWARD_ORG_NAME)
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
        before_batch: Callable[[], object] | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.channels = channels  # medium -> (channel name, channel)
        self.config = config
        self.health = health or ChannelHealth()
        self.stopping = False
        # Called before each claim, holding nothing: the daemon lets its webhooks go first.
        self.before_batch = before_batch
        # One pacer per channel, at the provider's rate: a burst queues instead of being refused.
        self.pacers = {
            name: Pacer(float(getattr(channel, "rate_per_sec", 0) or 1000.0), clock, sleep)
            for name, channel in channels.values()
        }

    # -- claiming ------------------------------------------------------------------------------

    def tick(self) -> dict[str, int]:
        """Claim what is due and work through it, batch by batch; returns a count of outcomes."""
        counts: Counter[str] = Counter()
        while not self.stopping:
            if self.before_batch is not None:
                self.before_batch()
            started = self.clock.now()
            # The claim and the guards share one short transaction; the sends come after it.
            with self.sessions.begin() as session:
                prepared = claim_and_prepare(
                    session, started, self.config, self.channels, self.health
                )
            counts.update(self._send_and_record(prepared, started))
            if len(prepared) < self.config.batch:
                break
        return dict(counts)

    def claim(self) -> list[int]:
        """Claim due steps (marked claimed, with a lease) for `process_batch` to work through."""
        now = self.clock.now()
        with self.sessions.begin() as session:
            ids = [item.step.id for item in claim_due(session, now, self.config.batch)]
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
            # A read: on SQLite it must not queue for the write lock behind webhooks and sends.
            session.connection(execution_options=READ_ONLY)
            return session.scalar(
                select(func.min(Step.due_at))
                .join(Run, Run.id == Step.run_id)
                .where(Run.status == RUN_ACTIVE, Step.status == STEP_PENDING)
            )

    # -- steps claimed earlier -------------------------------------------------------------------

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
        return self._send_and_record(prepared, started)

    # -- sending ---------------------------------------------------------------------------------

    def _send_and_record(self, prepared: list[Prepared | str], started: datetime) -> list[str]:
        # Stop sending well before the lease runs out (pacing can make a batch long), or when
        # the daemon is stopping: what is left goes back to the queue, never half-done.
        deadline = started + self.config.lease / 2
        sent: Sent = []
        for item in prepared:
            if isinstance(item, str):
                continue
            if self.stopping or self.clock.now() >= deadline:
                sent.append((item, None))
                continue
            channel = self.channels[item.message.medium][1]
            self.pacers[item.channel_name].wait_turn()
            if self._went_stale(item, started):
                sent.append((item, None))  # back to the queue: the guards decide again
                continue
            # No transaction is open while the provider is called: a slow one holds no locks.
            try:
                sent.append((item, channel.send(item.message)))
            except Exception as exc:
                sent.append((item, exc))
        recorded = iter(self._record(sent))
        results = [item if isinstance(item, str) else next(recorded) for item in prepared]
        for outcome, count in Counter(results).items():
            STEPS.labels(outcome).inc(count)
        return results

    def _went_stale(self, item: Prepared, started: datetime) -> bool:
        """A provider's pace can stretch a batch over a minute: the window may have closed
        since the guards ran, or the person may have said STOP. Checked again before each send
        once the batch is a few seconds old (one small query; at that point sends are paced)."""
        now = self.clock.now()
        expires = item.message.expires_at
        if expires is not None and now >= expires:
            return True
        if now - started < RECHECK_AFTER:
            return False
        with self.sessions() as session:
            return not still_wanted(session, item.step_id, item.message.medium)

    def _record(self, sent: Sent) -> list[str]:
        if not sent:
            return []
        with self.sessions.begin() as session:
            return record(
                session, sent, self.clock.now(), self.channels, self.config.retry, self.health
            )

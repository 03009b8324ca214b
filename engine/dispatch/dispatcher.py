"""The dispatcher: claim due steps with a lease, check guards, send outside a transaction, record.

The database is the truth: a step is a row with a UTC due time, claimed in one short transaction
(FOR UPDATE SKIP LOCKED on PostgreSQL; BEGIN IMMEDIATE serialises SQLite), so any number of
dispatchers, in one process or many, never send the same step twice. The same transaction
checks the guards and writes a delivery row in `sending` for each step about to be handed to
the provider (prepare.py, guards.py, claims.py, batch_writes.py); it commits before any channel
is called.
The results are recorded in a second transaction (dispatch/record.py), or, for a full batch
the provider all accepted, by the next claim's (one transaction a batch). A delivery still in
`sending` with no answer from the provider once the lease has run out was left by a dispatcher
that died mid-send: whoever finds it (its step claimed with an expired lease, or, in a batch
handed over whole, written as sent at the claim) marks it `unknown` instead of sending again.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from onward.channels import Channel, SendResult
from onward.engine.clock import Clock
from onward.engine.deliveries import hand_over
from onward.engine.dispatch.claims import still_wanted
from onward.engine.dispatch.in_doubt import mark_in_doubt
from onward.engine.dispatch.pacing import ChannelHealth, Pacer, Sleep
from onward.engine.dispatch.prepare import claim_and_prepare
from onward.engine.dispatch.reconcile import finders, settle
from onward.engine.dispatch.record import record, record_accepted
from onward.engine.dispatch.values import Accepted, DispatchConfig, Prepared, Sent, group_size
from onward.engine.metrics import STEPS
from onward.engine.plan_store import parsed
from onward.engine.storage.db import READ_ONLY
from onward.engine.storage.driver_sql import select_rows
from onward.engine.storage.models import (
    OPEN_RUN_STATUSES,
    RUN_ACTIVE,
    STEP_PENDING,
    PlanVersion,
    Run,
    Step,
    status_is,
)

# How old a batch may be before each send first checks the person still wants it.
RECHECK_AFTER = timedelta(seconds=2)
# How often a dispatcher looks for the sends of dispatchers that died (their leases ran out):
# a lease runs two minutes, so a look every few seconds, not every batch, changes little.
RECOVERY_INTERVAL = timedelta(seconds=5)
# Of the half lease a batch may spend sending, what a paced channel's claim plans to use.
PACED_SHARE_OF_HALF_LEASE = 0.8

__all__ = ["DispatchConfig", "Dispatcher"]


# Built once: asked after inbound messages that may bring a step due sooner.
_EARLIEST_DUE = (
    select(func.min(Step.due_at))
    .join(Run, Run.id == Step.run_id)
    .where(Run.status == RUN_ACTIVE, status_is(Step.status, STEP_PENDING))
)

# The versions the open runs follow: what a claim may need parsed.
_OPEN_PLANS = select(PlanVersion).where(
    PlanVersion.id.in_(select(Run.plan_version_id).where(Run.status.in_(OPEN_RUN_STATUSES)))
)


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
        before_send: Callable[[], object] | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.channels = channels  # medium -> (channel name, channel)
        self.config = config
        self.health = health or ChannelHealth()
        self.stopping = False
        # Called before each claim and each send, holding nothing: the daemon lets its
        # webhooks go first.
        self.before_batch = before_batch
        self.before_send = before_send
        # One pacer per channel, at the provider's rate: a burst queues instead of being refused.
        # A provider that sets no pace (0) gets none of onward's: it would only cap a burst.
        self.rates = {
            name: float(getattr(channel, "rate_per_sec", 0) or 0) or math.inf
            for name, channel in channels.values()
        }
        self.pacers = {name: Pacer(rate, clock, sleep) for name, rate in self.rates.items()}
        # A claim takes no more than the slowest channel sends in most of half a lease: what a
        # provider's pace would not let it start before the lease's half is not claimed at all.
        slowest = min(self.rates.values(), default=math.inf)
        within = slowest * config.lease.total_seconds() / 2 * PACED_SHARE_OF_HALF_LEASE
        if within < config.batch:
            self.config = replace(config, batch=max(1, int(within)))
        # The channels whose provider can settle a send in doubt (reconcile.py).
        self.finders = finders(dict(channels.values()))
        self.recover_at: datetime | None = None  # the next look for what died dispatchers left
        # A full batch's answers, all accepted, written by the next claim's transaction.
        self.owed: Accepted = []

    def warm_up(self) -> int:
        """Parse the plans the open runs follow, by a read; returns how many. Otherwise the first
        claim after a start parses them while it holds the write lock, and on SQLite every
        webhook waits meanwhile (about 100 ms a plan on a slow machine)."""
        with self.sessions() as session:
            session.connection(execution_options=READ_ONLY)
            versions = session.scalars(_OPEN_PLANS).all()
            for version in versions:
                parsed(version)
        return len(versions)

    # -- claiming ------------------------------------------------------------------------------

    def tick(self) -> dict[str, int]:
        """Claim what is due and work through it, batch by batch; returns a count of outcomes."""
        counts: Counter[str] = Counter()
        if self.finders:
            settle(self.sessions, self.clock, self.finders)
        try:
            while not self.stopping and self._batch(counts):
                pass
        finally:
            # Owed to a claim that failed, or that never came: written on their own.
            owed, self.owed = self.owed, []
            if owed:
                with self.sessions.begin() as session:
                    record_accepted(session, owed, self.clock.now())
        return dict(+counts)  # without the zero counts

    def _batch(self, counts: Counter[str]) -> bool:
        """Claim, send and record one batch; is it full (so more may be due)?

        A full batch whose sends the provider all accepted leaves its answers to the next
        claim's transaction, one transaction a batch instead of two: a send's answer is written
        a batch later, and a dispatcher killed meanwhile leaves those sends in doubt, as one
        killed between its sends and their record does (never sent again)."""
        if self.before_batch is not None:
            self.before_batch()
        started = self.clock.now()
        recover = self.recover_at is None or started >= self.recover_at
        if recover:
            self.recover_at = started + RECOVERY_INTERVAL
        # The claim and the guards share one short transaction; the sends come after it.
        with self.sessions.begin() as session:
            if self.owed:
                record_accepted(session, self.owed, started)
            if recover:  # sends of dispatchers that died before recording them
                counts["unknown"] += mark_in_doubt(session, started, self.config.lease)
            prepared = claim_and_prepare(
                session, started, self.config, self.channels, self.health, self.rates, recover
            )
        self.owed = []
        full = len(prepared) >= self.config.batch
        counts.update(self._send_and_record(prepared, started, full))
        return full

    def earliest_due(self) -> datetime | None:
        """When the next pending step of an active run falls due (the wake-up job's time)."""
        with self.sessions() as session:
            # A read: on SQLite it must not queue for the write lock behind webhooks and sends.
            # Asked after every group of webhooks that moved the schedule: a plain statement
            # (driver_sql), 170 µs where the ORM's execution took 310.
            conn = session.connection(execution_options=READ_ONLY)
            [(due,)] = select_rows(conn, _EARLIEST_DUE, {})
            return cast(datetime | None, due)

    # -- sending ---------------------------------------------------------------------------------

    def _send_and_record(
        self, prepared: list[Prepared | str], started: datetime, defer: bool = False
    ) -> list[str]:
        """Send a claimed batch and record each outcome; with `defer`, answers all accepted
        in one group are left `owed` to the next claim."""
        # Stop sending well before the lease runs out (pacing can make a batch long), or when
        # the daemon is stopping: what is left goes back to the queue, never half-done.
        deadline = started + self.config.lease / 2
        items = [item for item in prepared if not isinstance(item, str)]
        # Sends are handed over (marked `sending`) and recorded a group at a time: what the
        # slowest channel of the batch sends in about a second, so a dispatcher killed mid-batch
        # leaves only that group in doubt; an unpaced channel's group is the whole batch.
        size = group_size(self.rates, {item.channel_name for item in items}, self.config.batch)
        by_delivery: dict[int, str] = {}
        for start in range(0, len(items), size):
            group = items[start : start + size]
            if self.stopping or self.clock.now() >= deadline:
                by_delivery.update(self._record([(item, None) for item in items[start:]]))
                break
            # The claim handed the first group over; each next one is handed over in its turn.
            handed = None if start == 0 else self._hand_over(group)
            sent: Sent = []
            for item in group:
                if handed is not None and item.delivery_id not in handed:
                    sent.append((item, None))  # cancelled meanwhile: not sent
                    continue
                if self.stopping or self.clock.now() >= deadline:
                    sent.append((item, None))
                    continue
                channel = self.channels[item.message.medium][1]
                self.pacers[item.channel_name].wait_turn()
                if self.before_send is not None:
                    self.before_send()
                if self._went_stale(item, started):
                    sent.append((item, None))  # back to the queue: the guards decide again
                    continue
                # No transaction is open while the provider is called: a slow one holds no locks.
                try:
                    sent.append((item, channel.send(item.message)))
                except Exception as exc:
                    sent.append((item, exc))
            answers = _accepted(sent) if defer and len(group) == len(items) else None
            if answers is not None:
                self.owed = answers
                by_delivery.update({item.delivery_id: "sent" for item, _ in answers})
            else:
                by_delivery.update(self._record(sent))
        results = [
            item if isinstance(item, str) else by_delivery[item.delivery_id] for item in prepared
        ]
        for outcome, count in Counter(results).items():
            STEPS.labels(outcome).inc(count)
        return results

    def _hand_over(self, group: list[Prepared]) -> set[int]:
        with self.sessions.begin() as session:
            return hand_over(session, [item.delivery_id for item in group], self.clock.now())

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

    def _record(self, sent: Sent) -> dict[int, str]:
        if not sent:
            return {}
        with self.sessions.begin() as session:
            outcomes = record(
                session, sent, self.clock.now(), self.channels, self.config.retry, self.health
            )
        return {
            item.delivery_id: outcome for (item, _), outcome in zip(sent, outcomes, strict=True)
        }


def _accepted(sent: Sent) -> Accepted | None:
    """The sends with their answers, when the provider accepted every one."""
    answers = [(item, result) for item, result in sent if isinstance(result, SendResult)]
    return answers if len(answers) == len(sent) else None

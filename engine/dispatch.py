"""The dispatcher: claim due steps with a lease, check guards, send outside a transaction, record.

The database is the truth: a step is a row with a UTC due time, claimed in one short transaction
(FOR UPDATE SKIP LOCKED on PostgreSQL; BEGIN IMMEDIATE serialises SQLite), so any number of
dispatchers, in one process or many, never send the same step twice. A delivery row in
`sending` is written before the channel is called; whoever later finds it there (a claimer whose
lease ran out) marks it `unknown` instead of sending again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from onward.channels import (
    STATE_RANK,
    Channel,
    DeliveryState,
    OutboundMessage,
    PermanentSendError,
    RecipientOptedOut,
    SendResult,
    TransientSendError,
    can_advance,
)
from onward.engine import people
from onward.engine.clock import Clock
from onward.engine.logs import get_logger
from onward.engine.metrics import DELIVERIES, DISPATCH_LAG, STEPS
from onward.engine.models import (
    RUN_ACTIVE,
    RUN_PAUSED,
    STEP_CANCELLED,
    STEP_CLAIMED,
    STEP_FAILED,
    STEP_MISSED,
    STEP_PENDING,
    STEP_SENT,
    STEP_SKIPPED,
    Delivery,
    Run,
    Step,
)
from onward.engine.plan_store import parsed
from onward.engine.render import render_step, render_subject
from onward.engine.retry import RetryPolicy
from onward.engine.schedule import reminder_due, window_for
from onward.engine.timing import business_day_checker, place_in_window, window_closes_at

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


@dataclass(frozen=True)
class Prepared:
    """A step that passed its guards, rendered, with its delivery row written in `sending`."""

    step_id: int
    delivery_id: int
    channel_name: str
    message: OutboundMessage
    due_at: datetime


class Dispatcher:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        channels: Mapping[str, tuple[str, Channel]],
        config: DispatchConfig,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.channels = channels  # medium -> (channel name, channel)
        self.config = config
        self.stopping = False

    # -- claiming ------------------------------------------------------------------------------

    def tick(self) -> dict[str, int]:
        """Claim what is due and work through it; returns a count of outcomes."""
        outcomes: dict[str, int] = {}
        while not self.stopping:
            claimed = self.claim()
            for step_id in claimed:
                outcome = self.process(step_id)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if len(claimed) < self.config.batch:
                break
        return outcomes

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

    def process(self, step_id: int) -> str:
        prepared = self._prepare(step_id)
        if isinstance(prepared, str):
            STEPS.labels(prepared).inc()
            return prepared
        channel = self.channels[prepared.message.medium][1]
        # No transaction is open while the provider is called: a slow provider holds no locks.
        try:
            result = channel.send(prepared.message)
        except TransientSendError as exc:
            outcome = self._record_transient(prepared, exc)
        except RecipientOptedOut as exc:
            outcome = self._record_opted_out(prepared, exc)
        except PermanentSendError as exc:
            outcome = self._record_failure(prepared, str(exc), exc.code)
        except Exception as exc:  # a channel bug or an unmapped SDK error: retry, then give up
            log.exception("channel raised an unexpected error", step_id=step_id)
            outcome = self._record_transient(
                prepared, TransientSendError(f"{type(exc).__name__}: {exc}")
            )
        else:
            outcome = self._record_sent(prepared, result)
        STEPS.labels(outcome).inc()
        return outcome

    def _prepare(self, step_id: int) -> Prepared | str:
        now = self.clock.now()
        with self.sessions.begin() as session:
            step = session.get(Step, step_id, with_for_update=True)
            if (
                step is None
                or step.status != STEP_CLAIMED
                or step.claimed_by != self.config.worker_id
            ):
                return "lost"  # another dispatcher took it over after our lease ran out
            # The lease counts from now, not from the claim: steps late in a slow batch must
            # not be taken over (and their delivery marked unknown) while being sent.
            step.lease_until = now + self.config.lease
            run, person = step.run, step.run.person
            earlier = session.scalars(
                select(Delivery).where(Delivery.step_id == step.id).order_by(Delivery.id.desc())
            ).first()
            if run.status == RUN_PAUSED:
                return _release(step, "held")
            if run.status != RUN_ACTIVE:
                step.status, step.last_error = STEP_CANCELLED, f"run {run.status}"
                _drop_queued(earlier, "cancelled", step.last_error, now)
                return _release(step, "cancelled")
            if earlier is not None and earlier.status not in ("queued", "failed"):
                # Sent, or a sender vanished mid-send: never blindly send again.
                if earlier.status == "sending":
                    _set_state(earlier, "unknown", now)
                    earlier.error = (
                        "the sender lost its lease before recording a result; not re-sent"
                    )
                step.status, step.sent_at = STEP_SENT, step.sent_at or earlier.created_at
                return _release(step, "unknown" if earlier.status == "unknown" else "already-sent")
            plan = parsed(run.plan_version)
            window = window_for(person, plan, self.config.default_window)
            tz = ZoneInfo(person.timezone)
            plan_step = plan.step(step.step_key.removesuffix(".reminder"))
            if step.reminder_of is not None:
                parent = session.get(Step, step.reminder_of)
                if (
                    parent is None
                    or parent.answered_at is not None
                    or parent.status in (STEP_CANCELLED, STEP_MISSED, STEP_SKIPPED, STEP_FAILED)
                ):
                    step.status = STEP_SKIPPED
                    step.last_error = (
                        "the prompt was answered"
                        if parent and parent.answered_at
                        else "no prompt to remind of"
                    )
                    _drop_queued(earlier, "cancelled", step.last_error, now)
                    return _release(step, "skipped")
                if parent.status != STEP_SENT:
                    step.due_at = reminder_due(parent.due_at, plan_step, person, window)
                    step.status = STEP_PENDING
                    return _release(step, "rescheduled")
            if now - step.due_at > self.config.grace:
                step.status, step.last_error = (
                    STEP_MISSED,
                    "overdue past the grace period; not sent late",
                )
                _drop_queued(earlier, "missed", step.last_error, now)
                return _release(step, "missed")
            is_open_day = business_day_checker(person.country) if plan_step.business_days else None
            opening, moved = place_in_window(now, tz, window, is_open_day)
            if moved:
                step.due_at, step.status = opening, STEP_PENDING
                return _release(step, "rescheduled")
            medium = people.sendable_medium(person)
            if medium is None or medium not in self.channels:
                step.status, step.last_error = STEP_SKIPPED, "no medium can carry it (opted out?)"
                _drop_queued(earlier, "cancelled", step.last_error, now)
                return _release(step, "skipped")
            address = people.address_on(person, medium)
            assert address is not None
            text = render_step(session, step, plan, person, run, now)
            subject = (
                render_subject(session, step, plan, person, run, now) if medium == "email" else ""
            )
            channel_name = self.channels[medium][0]
            delivery = earlier if earlier is not None and earlier.status == "queued" else None
            if delivery is None:
                delivery = Delivery(
                    step_id=step.id, run_id=run.id, person_id=person.id, attempts=0, created_at=now
                )
                session.add(delivery)
            delivery.channel, delivery.medium, delivery.address = channel_name, medium, address
            _set_state(delivery, "sending", now)
            delivery.attempts += 1
            step.attempts += 1
            session.flush()
            message = OutboundMessage(
                delivery_id=delivery.id,
                medium=medium,  # type: ignore[arg-type]
                to=address,
                body=text,
                subject=subject,
                status_callback_url=f"{self.config.public_url}/webhooks/{channel_name}/status",
                expires_at=window_closes_at(now, tz, window),
            )
            return Prepared(step.id, delivery.id, channel_name, message, step.due_at)

    # -- recording -----------------------------------------------------------------------------

    def _record_sent(self, prepared: Prepared, result: SendResult) -> str:
        now = self.clock.now()
        with self.sessions.begin() as session:
            delivery = session.get(Delivery, prepared.delivery_id)
            step = session.get(Step, prepared.step_id)
            if delivery is not None:
                delivery.provider_id = result.provider_id
                if can_advance(delivery.status, result.status):  # type: ignore[arg-type]
                    _set_state(delivery, result.status, now)
                delivery.error, delivery.updated_at = None, now
            if step is not None:
                step.status, step.sent_at, step.last_error = STEP_SENT, now, None
                _release(step, "sent")
        DELIVERIES.labels(prepared.channel_name, result.status).inc()
        DISPATCH_LAG.observe(max((now - prepared.due_at).total_seconds(), 0.0))
        return "sent"

    def _record_transient(self, prepared: Prepared, exc: TransientSendError) -> str:
        now = self.clock.now()
        with self.sessions.begin() as session:
            delivery = session.get(Delivery, prepared.delivery_id)
            step = session.get(Step, prepared.step_id)
            if delivery is None or step is None:
                return "lost"
            # The step's count, which an operator's retry resets, so a re-queued send gets a
            # fresh budget; the delivery's count keeps the whole history.
            decision = self.config.retry.decide(step.attempts, now, exc.retry_after)
            delivery.error, delivery.updated_at = str(exc)[:500], now
            if decision is None:
                _set_state(delivery, "failed", now)
                step.status, step.last_error = (
                    STEP_FAILED,
                    f"gave up after {step.attempts} attempts: {exc}"[:500],
                )
                outcome = "failed"
            else:
                # The same delivery is sent again; never a second one.
                _set_state(delivery, "queued", now)
                step.status, step.due_at = STEP_PENDING, decision.retry_at
                step.last_error = f"retrying at {decision.retry_at.isoformat()}: {exc}"[:500]
                outcome = "retried"
            _release(step, outcome)
        DELIVERIES.labels(
            prepared.channel_name, "failed" if outcome == "failed" else "retrying"
        ).inc()
        return outcome

    def _record_failure(self, prepared: Prepared, error: str, code: str | None) -> str:
        now = self.clock.now()
        with self.sessions.begin() as session:
            delivery = session.get(Delivery, prepared.delivery_id)
            step = session.get(Step, prepared.step_id)
            if delivery is not None:
                _set_state(delivery, "failed", now)
                delivery.error, delivery.error_code = error[:500], code
            if step is not None:
                step.status, step.last_error = STEP_FAILED, error[:500]
                _release(step, "failed")
        DELIVERIES.labels(prepared.channel_name, "failed").inc()
        return "failed"

    def _record_opted_out(self, prepared: Prepared, exc: RecipientOptedOut) -> str:
        """The provider says the person opted out at the carrier: mark it, try the other medium."""
        now = self.clock.now()
        with self.sessions.begin() as session:
            delivery = session.get(Delivery, prepared.delivery_id)
            step = session.get(Step, prepared.step_id)
            if delivery is None or step is None:
                return "lost"
            _set_state(delivery, "failed", now)
            delivery.error, delivery.error_code = str(exc)[:500], exc.code
            person = step.run.person
            people.set_status(person, prepared.message.medium, people.OPTED_OUT, now)
            if people.sendable_medium(person) is not None:
                step.status, step.due_at = STEP_PENDING, now
                outcome = "rerouted"
            else:
                step.status, step.last_error = STEP_SKIPPED, "recipient opted out"
                outcome = "skipped"
            _release(step, outcome)
        DELIVERIES.labels(prepared.channel_name, "failed").inc()
        return outcome


def _set_state(delivery: Delivery, state: DeliveryState, now: datetime) -> None:
    """Change a delivery's state and keep its rank, the ladder callbacks climb, in step."""
    delivery.status, delivery.status_rank, delivery.updated_at = state, STATE_RANK[state], now


def _drop_queued(
    earlier: Delivery | None, state: DeliveryState, reason: str, now: datetime
) -> None:
    """A retry that will never be made: say so on its delivery rather than leave it queued."""
    if earlier is not None and earlier.status == "queued":
        _set_state(earlier, state, now)
        earlier.error = reason[:500]


def _release(step: Step, outcome: str) -> str:
    if step.status == STEP_CLAIMED:
        step.status = STEP_PENDING
    step.claimed_by = None
    step.lease_until = None
    return outcome

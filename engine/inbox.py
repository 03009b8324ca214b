"""Store every inbound message once (unique on channel + provider id), commit, then route it."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from onward.channels import InboundMessage
from onward.engine.clock import Clock
from onward.engine.incoming import Incoming
from onward.engine.logs import get_logger
from onward.engine.metrics import INBOUND, INBOUND_DUPLICATES, INBOUND_FAILURES
from onward.engine.models import InboundMessage as InboundRow
from onward.engine.router import Router

log = get_logger("onward.inbox")
MAX_HANDLING_ATTEMPTS = 5


@dataclass(frozen=True)
class Received:
    inbound_id: int
    reply: str | None
    duplicate: bool
    handled: bool


class Inbox:
    def __init__(self, sessions: sessionmaker[Session], router: Router, clock: Clock) -> None:
        self.sessions = sessions
        self.router = router
        self.clock = clock
        # SQLite has one writer at a time and its busy handler backs off unfairly: webhook
        # threads queue on this lock in arrival order instead (PostgreSQL needs no such thing).
        bind = sessions.kw.get("bind")
        sqlite = getattr(getattr(bind, "dialect", None), "name", "") == "sqlite"
        self._writer: AbstractContextManager[object] = threading.Lock() if sqlite else nullcontext()

    def receive(self, message: InboundMessage) -> Received:
        """Store first, then act: a provider's retry of the same message changes nothing."""
        with self._writer:
            return self._receive(message)

    def _receive(self, message: InboundMessage) -> Received:
        row_id, duplicate = self._store(message)
        if duplicate:
            INBOUND_DUPLICATES.labels(message.channel).inc()
            with self.sessions() as session:
                row = session.get(InboundRow, row_id)
                # The first delivery's reply, so the retry gets the same answer.
                reply = row.reply if row is not None else None
                handled = row is None or row.handled_at is not None
            return Received(row_id, reply, duplicate=True, handled=handled)
        reply, handled = self.handle(row_id, live=True, extra=message.extra)
        return Received(row_id, reply, duplicate=False, handled=handled)

    def _store(self, message: InboundMessage) -> tuple[int, bool]:
        row = InboundRow(
            channel=message.channel,
            provider_message_id=message.provider_message_id,
            medium=message.medium,
            sender=message.sender,
            recipient=message.recipient or "",
            # PostgreSQL text cannot hold NUL: a stray one must not cost the whole message.
            subject=_printable(message.subject or ""),
            body=_printable(message.body),
            received_at=message.received_at or self.clock.now(),
            attempts=0,
        )
        try:
            with self.sessions.begin() as session:
                session.add(row)
            return row.id, False
        except IntegrityError:
            with self.sessions() as session:
                existing = session.scalars(
                    select(InboundRow.id).where(
                        InboundRow.channel == message.channel,
                        InboundRow.provider_message_id == message.provider_message_id,
                    )
                ).one()
            return existing, True

    def handle(
        self, inbound_id: int, live: bool = False, extra: Mapping[str, str] | None = None
    ) -> tuple[str | None, bool]:
        """Route a stored message; on failure keep it, with its error, for housekeeping.

        `live` says the reply goes back to the person at once (the provider's request is still
        open); a retry by housekeeping has nobody to answer.
        """
        now = self.clock.now()
        try:
            with self.sessions.begin() as session:
                # Locked, so two replicas' housekeeping never route the same message twice.
                row = session.get(InboundRow, inbound_id, with_for_update=True)
                if row is None or row.handled_at is not None:
                    return (row.reply if row else None), True
                outcome = self.router.route(
                    session,
                    Incoming(
                        row.id,
                        row.channel,
                        row.medium,
                        row.sender,
                        row.body,
                        live,
                        subject=row.subject,
                        extra=dict(extra or {}),
                    ),
                    now,
                )
                INBOUND.labels(row.channel, outcome.command).inc()
                # The sender is masked by the log processor; the words are never logged.
                log.info("inbound", channel=row.channel, sender=row.sender, command=outcome.command)
                if not outcome.erased:
                    row.person_id = outcome.person_id
                    row.command = outcome.command
                    row.reply = outcome.reply
                    row.handled_at = now
                    row.error = None
                    row.attempts += 1
                return outcome.reply, True
        except Exception as exc:
            INBOUND_FAILURES.inc()
            log.exception(
                "handling an inbound message failed; kept for retry", inbound_id=inbound_id
            )
            self._record_failure(inbound_id, exc)
            return None, False

    def _record_failure(self, inbound_id: int, exc: Exception) -> None:
        try:
            with self.sessions.begin() as session:
                row = session.get(InboundRow, inbound_id)
                if row is not None:
                    row.error = f"{type(exc).__name__}: {exc}"[:500]
                    row.attempts += 1
        except Exception:  # the database itself is gone: the row keeps its earlier state
            log.exception(
                "could not record the failure of an inbound message", inbound_id=inbound_id
            )

    def retry_unhandled(self, older_than: timedelta = timedelta(seconds=30)) -> int:
        """Housekeeping: route again what failed (or was cut off) before, a few times at most."""
        cutoff = self.clock.now() - older_than
        with self.sessions() as session:
            ids = session.scalars(
                select(InboundRow.id)
                .where(
                    InboundRow.handled_at.is_(None),
                    InboundRow.attempts < MAX_HANDLING_ATTEMPTS,
                    InboundRow.received_at <= cutoff,
                )
                .order_by(InboundRow.id)
                .limit(100)
            ).all()
        handled = 0
        for inbound_id in ids:
            _reply, ok = self.handle(inbound_id)
            handled += ok
        return handled


def _printable(text: str) -> str:
    return text.replace("\x00", "")

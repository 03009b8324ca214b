"""Store every inbound message once (unique on channel + provider id), then route it: in one
transaction, the routing in a savepoint, so its failure never takes the stored message with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from onward.channels import InboundMessage
from onward.engine.clock import Clock
from onward.engine.inbound.context import Incoming, Outcome
from onward.engine.inbound.router import Router
from onward.engine.logs import get_logger
from onward.engine.metrics import INBOUND, INBOUND_DUPLICATES, INBOUND_FAILURES
from onward.engine.storage.db import NO_WAIT, READ_ONLY, is_busy
from onward.engine.storage.models import InboundMessage as InboundRow
from onward.engine.storage.write_queue import FairLock, write_lock

log = get_logger("onward.inbox")
MAX_HANDLING_ATTEMPTS = 5
WARM_UP_SENDER = "+12025550199"  # a fictional number (555-01XX); nothing of it is kept

# Plain (Core) statements, built once: the ORM's unit of work costs more than these do.
_TABLE = cast(Table, InboundRow.__table__)
_INSERT = insert(_TABLE).returning(_TABLE.c.id)
# Each routing attempt counts one; its parameters set what it gave (the outcome, or the error).
_ATTEMPT = (
    update(_TABLE).where(_TABLE.c.id == bindparam("row_id")).values(attempts=_TABLE.c.attempts + 1)
)


@dataclass(frozen=True)
class Received:
    inbound_id: int
    reply: str | None
    duplicate: bool
    handled: bool
    # False when acting on it moved no step (a journal entry, HELP): the daemon's wake-up,
    # set to the earliest due step, need not be looked at again.
    moves_schedule: bool = True


class _Routed(NamedTuple):
    reply: str | None
    handled: bool
    moves_schedule: bool = True


class Inbox:
    def __init__(self, sessions: sessionmaker[Session], router: Router, clock: Clock) -> None:
        self.sessions = sessions
        self.router = router
        self.clock = clock
        # On SQLite, webhooks queue for the one write lock in arrival order (see writer.py).
        self.write_lock = write_lock(sessions)

    def receive(self, message: InboundMessage, replies_inline: bool = True) -> Received:
        """Store first, then act: a provider's retry of the same message changes nothing.

        `replies_inline`: the reply rides in the answer to the provider's request (SMS);
        otherwise (email) it is owed, and the caller sends it through the Replier.
        """
        with self.write_lock:
            try:
                return self._store_and_route(message, replies_inline)
            except _AlreadyStored:
                return self._duplicate(message)
            except _RoutingFailed as failed:
                return self._keep_failed(message, failed.error)
            except SQLAlchemyError:
                # The joint transaction failed as a whole (a full disk, a lost connection):
                # store the message on its own first, as before, then route it.
                log.warning("storing and routing together failed; storing first")
                return self._store_then_route(message, replies_inline)

    def try_receive(self, message: InboundMessage, replies_inline: bool = True) -> Received | None:
        """`receive` done at once in the caller's thread, or None (and nothing done) when it
        would have to wait: another webhook is being handled, or another connection holds
        SQLite's write lock; then `receive` it in a thread of its own.

        For the web app's event loop, on SQLite only, where webhooks write one at a time
        anyway: handled in a second thread, each of a message's statements handed the
        interpreter lock back and forth with the thread serving the connections, a quarter of
        a REJECTED's CPU. On PostgreSQL (a network round trip a statement) always None.
        """
        lock = self.write_lock
        if not isinstance(lock, FairLock) or not lock.try_acquire():
            return None
        try:
            return self._store_and_route(message, replies_inline, wait=False)
        except _AlreadyStored:
            return self._duplicate(message)
        except OperationalError as exc:
            if not is_busy(exc):
                raise
            return None  # another connection holds the write lock: nothing was done
        except (_RoutingFailed, SQLAlchemyError):
            return None  # rolled back whole: handled again in a thread, where failures may wait
        finally:
            lock.release()

    def keep(self, message: InboundMessage, reason: str) -> Received:
        """Store a message there is nobody to answer (its sender is no phone number): kept,
        with the reason, and never routed or retried."""
        now = self.clock.now()
        values = {
            **self._values(message, now),
            "command": "unroutable",
            "handled_at": now,
            "error": reason[:500],
        }
        with self.write_lock:
            try:
                with self.sessions.begin() as session:
                    row_id = session.execute(
                        _INSERT, {**values, "error": reason[:500]}
                    ).scalar_one()
            except IntegrityError:
                return self._duplicate(message)
        return Received(row_id, None, duplicate=False, handled=True)

    def _store_and_route(
        self, message: InboundMessage, replies_inline: bool, wait: bool = True
    ) -> Received:
        """One transaction: the insert (unique on channel + provider id) takes the message once,
        then it is acted on and what happened written on its row.

        No savepoint around the acting: should it fail, the transaction is rolled back whole
        and the message stored again on its own, with its error, for housekeeping
        (`_keep_failed`). A savepoint for every message cost more than its statements.
        Without `wait`, SQLite's write lock held by another connection fails it at once.
        """
        now = self.clock.now()
        with self.sessions.begin() as session:
            plain = session.connection(execution_options=None if wait else NO_WAIT)
            try:
                row_id = plain.execute(_INSERT, self._values(message, now)).scalar_one()
            except IntegrityError:
                raise _AlreadyStored from None
            incoming = _incoming(row_id, message, live=True)
            try:
                outcome = self.router.route(session, incoming, now)
            except Exception as exc:
                raise _RoutingFailed(exc) from exc
            self._handled(plain, incoming, outcome, now, replies_inline)
        return Received(
            row_id,
            outcome.reply,
            duplicate=False,
            handled=True,
            moves_schedule=outcome.moves_schedule,
        )

    def _keep_failed(self, message: InboundMessage, error: Exception) -> Received:
        """The message whose acting failed (and was rolled back), stored with the error: one
        attempt made, for housekeeping to try again."""
        log.error(
            "handling an inbound message failed; kept for retry",
            channel=message.channel,
            exc_info=error,
        )
        INBOUND_FAILURES.inc()
        values = {**self._values(message, self.clock.now()), "attempts": 1}
        values["error"] = _error_text(error)
        try:
            with self.sessions.begin() as session:
                row_id = session.connection().execute(_INSERT, values).scalar_one()
        except IntegrityError:  # a retry of it was stored meanwhile
            return self._duplicate(message)
        return Received(row_id, None, duplicate=False, handled=False)

    def _store_then_route(self, message: InboundMessage, replies_inline: bool) -> Received:
        try:
            with self.sessions.begin() as session:
                row_id = session.execute(
                    _INSERT, self._values(message, self.clock.now())
                ).scalar_one()
        except IntegrityError:
            return self._duplicate(message)
        reply, handled = self.handle(row_id, True, message, replies_inline)
        return Received(row_id, reply, duplicate=False, handled=handled)

    def _duplicate(self, message: InboundMessage) -> Received:
        INBOUND_DUPLICATES.labels(message.channel).inc()
        with self.sessions() as session:
            row = session.scalars(
                select(InboundRow).where(
                    InboundRow.channel == message.channel,
                    InboundRow.provider_message_id == message.provider_message_id,
                )
            ).one()
            # The first delivery's reply, so the retry gets the same answer.
            return Received(row.id, row.reply, duplicate=True, handled=row.handled_at is not None)

    def _values(self, message: InboundMessage, now: datetime) -> dict[str, object]:
        return {
            "channel": message.channel,
            "provider_message_id": message.provider_message_id,
            "medium": message.medium,
            "sender": message.sender,
            "recipient": message.recipient or "",
            # PostgreSQL text cannot hold NUL: a stray one must not cost the whole message.
            "subject": _printable(message.subject or ""),
            "body": _printable(message.body),
            "received_at": message.received_at or now,
            "attempts": 0,
        }

    def handle(
        self,
        inbound_id: int,
        live: bool = False,
        origin: InboundMessage | None = None,
        replies_inline: bool = True,
    ) -> tuple[str | None, bool]:
        """Route a stored message; on failure keep it, with its error, for housekeeping.

        `live` says the reply goes back to the person at once (the provider's request is still
        open); a retry by housekeeping has nobody to answer. `origin`, the message as the
        channel parsed it, carries what the row does not keep (what the provider answered).
        """
        now = self.clock.now()
        try:
            with self.sessions.begin() as session:
                # Locked, so two replicas' housekeeping never route the same message twice.
                row = session.get(InboundRow, inbound_id, with_for_update=True)
                if row is None or row.handled_at is not None:
                    return (row.reply if row else None), True
                incoming = Incoming(
                    row.id,
                    row.channel,
                    row.medium,
                    row.sender,
                    row.body,
                    live,
                    subject=row.subject,
                    extra=dict(origin.extra) if origin else {},
                    provider_answered=origin.provider_answered if origin else None,
                    attachments=origin.attachments if origin else 0,
                )
                routed = self._route(session, incoming, now, replies_inline)
                return routed.reply, routed.handled
        except Exception as exc:
            self._failed(inbound_id)
            self._record_failure(inbound_id, exc)
            return None, False

    def _route(
        self, session: Session, msg: Incoming, now: datetime, replies_inline: bool = True
    ) -> _Routed:
        """Act on a stored message in the caller's transaction: its reply, and whether it was
        handled. What happened is written on its row (plain UPDATEs: the row is not loaded)."""
        try:
            with session.begin_nested():
                outcome = self.router.route(session, msg, now)
        except Exception as exc:
            # Only the routing is undone (to the savepoint): the message stays, with its error.
            self._failed(msg.id)
            session.connection().execute(_ATTEMPT, {"row_id": msg.id, "error": _error_text(exc)})
            return _Routed(None, False)
        self._handled(session.connection(), msg, outcome, now, replies_inline)
        return _Routed(outcome.reply, True, outcome.moves_schedule)

    def _handled(
        self,
        plain: Connection,
        msg: Incoming,
        outcome: Outcome,
        now: datetime,
        replies_inline: bool,
    ) -> None:
        """What acting on a message did, written on its row (a plain UPDATE: it is not loaded)."""
        INBOUND.labels(msg.channel, outcome.command).inc()
        # The sender is masked by the log processor; the words are never logged.
        log.info("inbound", channel=msg.channel, sender=msg.sender, command=outcome.command)
        if outcome.erased:
            return
        plain.execute(
            _ATTEMPT,
            {
                "row_id": msg.id,
                "person_id": outcome.person_id,
                "command": outcome.command,
                "reply": outcome.reply,
                "handled_at": now,
                "error": None,
                # A reply that cannot ride in the answer to the provider's open request is
                # owed: the Replier sends it (or housekeeping, if nobody else will).
                "reply_owed": True if outcome.reply and not (msg.live and replies_inline) else None,
            },
        )

    def _failed(self, inbound_id: int) -> None:
        INBOUND_FAILURES.inc()
        log.exception("handling an inbound message failed; kept for retry", inbound_id=inbound_id)

    def _record_failure(self, inbound_id: int, exc: Exception) -> None:
        try:
            with self.sessions.begin() as session:
                session.execute(_ATTEMPT, {"row_id": inbound_id, "error": _error_text(exc)})
        except Exception:  # the database itself is gone: the row keeps its earlier state
            log.exception(
                "could not record the failure of an inbound message", inbound_id=inbound_id
            )

    def warm_up(self) -> None:
        """Route a made-up REJECTED and a reply to it, then roll both back: the first real
        message after a start finds the plan parsed, its texts compiled and every statement
        prepared, instead of paying for that (~300 ms under load) with 15 others queued behind."""
        sender, now = WARM_UP_SENDER, self.clock.now()
        try:
            with self.sessions() as session:
                for text in ("REJECTED Warm-up", "warming up"):
                    self.router.route(session, Incoming(0, "warm-up", "sms", sender, text), now)
                session.rollback()
        except Exception as exc:  # only ever a missed head start: never stop the daemon for it
            log.info("warm-up skipped", reason=f"{type(exc).__name__}: {exc}"[:200])

    def replies_owed(
        self, older_than: timedelta = timedelta(seconds=30), within: timedelta = timedelta(hours=1)
    ) -> list[tuple[int, str]]:
        """Handled messages whose reply is still owed: routed again by housekeeping (nobody's
        request was open), or an emailed reply cut off with its webhook. Left alone for
        `older_than`, while a webhook may still be answering; and only those received `within`
        the last hour: a reply much later than the message would not make sense."""
        now = self.clock.now()
        with self.sessions() as session:
            session.connection(execution_options=READ_ONLY)
            rows = session.execute(
                select(InboundRow.id, InboundRow.reply)
                .where(
                    InboundRow.received_at >= now - within,
                    InboundRow.reply_owed.is_(True),
                    InboundRow.handled_at <= now - older_than,
                )
                .order_by(InboundRow.id)
                .limit(100)
            ).all()
        return [(row_id, reply) for row_id, reply in rows if reply]

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


def _incoming(row_id: int, message: InboundMessage, live: bool) -> Incoming:
    return Incoming(
        row_id,
        message.channel,
        message.medium,
        message.sender,
        _printable(message.body),
        live,
        subject=_printable(message.subject or ""),
        extra=dict(message.extra),
        provider_answered=message.provider_answered,
        attachments=message.attachments,
    )


class _AlreadyStored(Exception):
    """The insert met the unique (channel, provider id): a provider's retry."""


class _RoutingFailed(Exception):
    """Acting on a message failed: its transaction is rolled back, message and all."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _printable(text: str) -> str:
    return text.replace("\x00", "")

"""Store every inbound message once (unique on channel + provider id), then act on it, in one
transaction. Should acting fail, that transaction is rolled back whole and the message stored
again on its own with its error; housekeeping routes it again later (stored_messages.py, in a
savepoint)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from onward.channels import InboundMessage
from onward.engine.clock import Clock
from onward.engine.inbound import inbound_rows as rows
from onward.engine.inbound.context import Incoming, Outcome
from onward.engine.inbound.inbound_rows import MAX_HANDLING_ATTEMPTS as MAX_HANDLING_ATTEMPTS
from onward.engine.inbound.router import Router
from onward.engine.inbound.stored_messages import StoredMessages, acted
from onward.engine.logs import get_logger
from onward.engine.metrics import INBOUND_DUPLICATES, INBOUND_FAILURES
from onward.engine.storage.db import NO_WAIT, is_busy, write_lock_free
from onward.engine.storage.driver_sql import connection_of
from onward.engine.storage.models import InboundMessage as InboundRow
from onward.engine.storage.write_queue import FairLock, write_lock

log = get_logger("onward.inbox")
WARM_UP_SENDER = "+12025550199"  # a fictional number (555-01XX); nothing of it is kept


class LockTaken:
    """`try_receive_together`'s answer when the write lock is taken (another webhook is being
    handled, another connection holds SQLite's): nothing was done; ask again once it is free."""


LOCK_TAKEN = LockTaken()


@dataclass(frozen=True)
class Received:
    inbound_id: int
    reply: str | None
    duplicate: bool
    handled: bool
    # False when acting on it moved no step (a journal entry, HELP): the daemon's wake-up,
    # set to the earliest due step, need not be looked at again.
    moves_schedule: bool = True


class Inbox:
    def __init__(self, sessions: sessionmaker[Session], router: Router, clock: Clock) -> None:
        self.sessions = sessions
        self.router = router
        self.clock = clock
        # On SQLite, webhooks queue for the one write lock in arrival order (write_queue.py).
        self.write_lock = write_lock(sessions)
        # Stored messages routed again (by housekeeping, or after storing first).
        self.stored = StoredMessages(sessions, router, clock)

    def receive(self, message: InboundMessage, replies_inline: bool = True) -> Received:
        """Store first, then act: a provider's retry of the same message changes nothing.

        `replies_inline`: the reply rides in the answer to the provider's request (SMS);
        otherwise (email) it is owed, and the caller sends it through the Replier.
        """
        with self.write_lock:
            try:
                return self._store_and_route([(message, replies_inline)])[0]
            except _AlreadyStored:
                return self._duplicate(message)
            except _RoutingFailed as failed:
                return self._keep_failed(message, failed.error)
            except SQLAlchemyError:
                # The joint transaction failed as a whole (a full disk, a lost connection):
                # store the message on its own first, as before, then route it.
                log.warning("storing and routing together failed; storing first")
                return self._store_then_route(message, replies_inline)

    def lock_free(self) -> bool:
        """A cheap look before `try_receive_together`, for messages waiting their turn: is nobody
        here writing, and SQLite's write lock free? (A try that finds it taken costs far more.)"""
        lock = self.write_lock
        if isinstance(lock, FairLock) and lock.held:
            return False
        return write_lock_free(self.sessions.kw["bind"])

    def try_receive_together(
        self, messages: Sequence[tuple[InboundMessage, bool]]
    ) -> list[Received | None] | LockTaken:
        """Messages (each with its `replies_inline`) stored and acted on one after the other in
        one transaction, at once in the caller's thread, if the write lock can be had without
        waiting; LOCK_TAKEN (nothing done) when it cannot: another webhook is being handled, or
        another connection holds SQLite's write lock. None for a message: nothing done, receive
        it in a thread of its own, where it may wait (PostgreSQL; acting on it failed).

        For the web app's event loop, on SQLite only, where webhooks write one at a time
        anyway: handled in a second thread, each of a message's statements handed the
        interpreter lock back and forth with the thread serving the connections, a quarter of
        a REJECTED's CPU. One commit for the messages that arrived together: a REJECTED's
        commit writes about 50 pages to the WAL, most of them the same pages as the next
        one's. On PostgreSQL (a network round trip a statement) always None.
        """
        lock = self.write_lock
        if not isinstance(lock, FairLock):
            return [None] * len(messages)
        if not lock.try_acquire():
            return LOCK_TAKEN
        try:
            return list(self._store_and_route(messages, wait=False))
        except OperationalError as exc:
            if not is_busy(exc):
                raise
            return LOCK_TAKEN  # another connection holds the write lock: nothing was done
        except (_AlreadyStored, _RoutingFailed, SQLAlchemyError) as exc:
            if len(messages) > 1:
                # Which one failed is its own business: the others are not held back by it.
                return [self._alone(message, inline) for message, inline in messages]
            # Rolled back whole: handled again in a thread, where failures may wait.
            return [self._duplicate(messages[0][0]) if isinstance(exc, _AlreadyStored) else None]
        finally:
            lock.release()

    def _alone(self, message: InboundMessage, replies_inline: bool) -> Received | None:
        try:
            return self._store_and_route([(message, replies_inline)], wait=False)[0]
        except _AlreadyStored:
            return self._duplicate(message)
        except (_RoutingFailed, SQLAlchemyError):
            return None

    def keep(self, message: InboundMessage, reason: str) -> Received:
        """Store a message there is nobody to answer (its sender is no phone number): kept,
        with the reason, and never routed or retried."""
        now = self.clock.now()
        values = {
            **rows.row_values(message, now),
            "command": "unroutable",
            "handled_at": now,
            "error": reason[:500],
        }
        with self.write_lock:
            try:
                with self.sessions.begin() as session:
                    row_id = rows.store(connection_of(session), values)
            except IntegrityError:
                return self._duplicate(message)
        return Received(row_id, None, duplicate=False, handled=True)

    def _store_and_route(
        self, messages: Sequence[tuple[InboundMessage, bool]], wait: bool = True
    ) -> list[Received]:
        """One transaction: each insert (unique on channel + provider id) takes a message once,
        then it is acted on and what happened written on its row.

        No savepoint around the acting: should it fail, the transaction is rolled back whole
        and the message stored again on its own, with its error, for housekeeping
        (`_keep_failed`). A savepoint for every message cost more than its statements.
        Between messages the session forgets what it loaded: rows written by plain
        statements would otherwise be seen as they were. Without `wait`, SQLite's write lock
        held by another connection fails it at once.
        """
        done: list[tuple[Incoming, Outcome]] = []
        with self.sessions.begin() as session:
            plain = session.connection(execution_options=None if wait else NO_WAIT)
            for message, replies_inline in messages:
                if done:
                    session.flush()
                    session.expunge_all()
                now = self.clock.now()
                try:
                    row_id = rows.store(plain, rows.row_values(message, now))
                except IntegrityError:
                    raise _AlreadyStored from None
                msg = rows.incoming(row_id, message, live=True)
                try:
                    outcome = self.router.route(session, msg, now)
                except Exception as exc:
                    raise _RoutingFailed(exc) from exc
                # Its first attempt: the row was inserted just now with none.
                rows.write_outcome(plain, msg, outcome, now, replies_inline, attempts=1)
                done.append((msg, outcome))
        for msg, outcome in done:
            acted(msg, outcome)
        return [
            Received(
                msg.id, outcome.reply, False, handled=True, moves_schedule=outcome.moves_schedule
            )
            for msg, outcome in done
        ]

    def _keep_failed(self, message: InboundMessage, error: Exception) -> Received:
        """The message whose acting failed (and was rolled back), stored with the error: one
        attempt made, for housekeeping to try again."""
        log.error(
            "handling an inbound message failed; kept for retry",
            channel=message.channel,
            exc_info=error,
        )
        INBOUND_FAILURES.inc()
        values = {**rows.row_values(message, self.clock.now()), "attempts": 1}
        values["error"] = rows.error_text(error)
        try:
            with self.sessions.begin() as session:
                row_id = rows.store(connection_of(session), values)
        except IntegrityError:  # a retry of it was stored meanwhile
            return self._duplicate(message)
        return Received(row_id, None, duplicate=False, handled=False)

    def _store_then_route(self, message: InboundMessage, replies_inline: bool) -> Received:
        try:
            with self.sessions.begin() as session:
                values = rows.row_values(message, self.clock.now())
                row_id = rows.store(connection_of(session), values)
        except IntegrityError:
            return self._duplicate(message)
        reply, handled = self.stored.handle(row_id, True, message, replies_inline)
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


class _AlreadyStored(Exception):
    """The insert met the unique (channel, provider id): a provider's retry."""


class _RoutingFailed(Exception):
    """Acting on a message failed: its transaction is rolled back, message and all."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error

"""Stored messages acted on again: by housekeeping (a message whose acting failed or was cut
off, a few times at most; a reply owed to one whose webhook could not carry it), and by the
inbox when a message had to be stored on its own first. Each in a savepoint of its own
transaction, its row locked, so two replicas never act on one message twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from onward.channels import InboundMessage
from onward.engine.clock import Clock
from onward.engine.inbound import inbound_rows as rows
from onward.engine.inbound.context import Incoming, Outcome
from onward.engine.inbound.router import Router
from onward.engine.logs import get_logger
from onward.engine.metrics import INBOUND, INBOUND_FAILURES
from onward.engine.storage.driver_sql import connection_of
from onward.engine.storage.models import InboundMessage as InboundRow

log = get_logger("onward.inbox")


class StoredMessages:
    def __init__(self, sessions: sessionmaker[Session], router: Router, clock: Clock) -> None:
        self.sessions = sessions
        self.router = router
        self.clock = clock

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
                msg = Incoming(
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
                return self._route(session, msg, now, replies_inline, row.attempts + 1)
        except Exception as exc:
            self._failed(inbound_id)
            self._record_failure(inbound_id, exc)
            return None, False

    def _route(
        self, session: Session, msg: Incoming, now: datetime, replies_inline: bool, attempts: int
    ) -> tuple[str | None, bool]:
        """Act on a stored message in the caller's transaction, in a savepoint: its reply, and
        whether it was handled. A failure is rolled back alone; the row keeps its error."""
        plain = connection_of(session)
        try:
            with session.begin_nested():
                outcome = self.router.route(session, msg, now)
        except Exception as exc:
            self._failed(msg.id)
            plain.execute(rows.ATTEMPT, {"row_id": msg.id, "error": rows.error_text(exc)})
            return None, False
        acted(msg, outcome)
        rows.write_outcome(plain, msg, outcome, now, replies_inline, attempts)
        return outcome.reply, True

    def _failed(self, inbound_id: int) -> None:
        INBOUND_FAILURES.inc()
        log.exception("handling an inbound message failed; kept for retry", inbound_id=inbound_id)

    def _record_failure(self, inbound_id: int, exc: Exception) -> None:
        try:
            with self.sessions.begin() as session:
                params = {"row_id": inbound_id, "error": rows.error_text(exc)}
                connection_of(session).execute(rows.ATTEMPT, params)
        except Exception:  # the database itself is gone: the row keeps its earlier state
            log.exception(
                "could not record the failure of an inbound message", inbound_id=inbound_id
            )

    def replies_owed(
        self, older_than: timedelta = timedelta(seconds=30), within: timedelta = timedelta(hours=1)
    ) -> list[tuple[int, str]]:
        """Handled messages whose reply is still owed: routed again by housekeeping (nobody's
        request was open), or an emailed reply cut off with its webhook. Left alone for
        `older_than`, while a webhook may still be answering; and only those received `within`
        the last hour: a reply much later than the message would not make sense."""
        now = self.clock.now()
        with self.sessions() as session:
            return rows.owed_replies(session, now - within, now - older_than)

    def retry_unhandled(self, older_than: timedelta = timedelta(seconds=30)) -> int:
        """Housekeeping: route again what failed (or was cut off) before, a few times at most."""
        with self.sessions() as session:
            ids = rows.unhandled_ids(session, self.clock.now() - older_than)
        handled = 0
        for inbound_id in ids:
            _reply, ok = self.handle(inbound_id)
            handled += ok
        return handled


def acted(msg: Incoming, outcome: Outcome) -> None:
    """Counted and logged: a message acted on (its sender masked, its words never logged)."""
    INBOUND.labels(msg.channel, outcome.command).inc()
    # The sender is masked by the log processor; the words are never logged.
    log.info("inbound", channel=msg.channel, sender=msg.sender, command=outcome.command)

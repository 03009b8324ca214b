"""The journal by email: each copy JOURNAL queued goes out on the daemon's tick, through the same
door as every nudge (a delivery row; the provider called with no transaction open).

The copy is made from the journal at the moment it is sent, so nothing of the person's words
waits in a queue; a person forgotten meanwhile has no copy left to send. A busy mail server
gets the same delivery again later (engine/journal/copies.py says when); a refusal ends it.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from onward.channels import OutboundMessage, SendResult, body_digest
from onward.engine import deliveries, delivery_failures, people
from onward.engine.channel_set import ChannelSet
from onward.engine.clock import Clock
from onward.engine.journal.copies import retry_after
from onward.engine.journal.entries import journal_for
from onward.engine.logs import get_logger
from onward.engine.storage.journal_models import (
    COPY_EMAIL,
    COPY_FAILED,
    COPY_QUEUED,
    COPY_REFUSED,
    COPY_SENDING,
    COPY_SENT,
    JournalCopy,
)
from onward.engine.storage.models import Delivery, Person
from onward.engine.unsubscribe import unsubscribe_url

log = get_logger("onward.journal")


class JournalMailer:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        channels: ChannelSet,
        public_url: str,
        org: str,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.channels = channels
        self.public_url = public_url
        self.org = org

    def send_due(self, limit: int = 20) -> int:
        """The daemon's tick: send the copies whose time has come; how many went."""
        with self.sessions() as session:
            ids = list(
                session.scalars(
                    select(JournalCopy.id)
                    .where(
                        JournalCopy.status == COPY_QUEUED,
                        JournalCopy.due_at <= self.clock.now(),
                    )
                    .order_by(JournalCopy.id)
                    .limit(limit)
                )
            )
        return sum(self.send(copy_id) == COPY_SENT for copy_id in ids)

    def send(self, copy_id: int) -> str:
        """Send one queued copy, once; returns what became of it."""
        now = self.clock.now()
        with self.sessions.begin() as session:
            # Taken once: a second replica's tick finds it no longer queued.
            taken = session.execute(
                update(JournalCopy)
                .where(
                    JournalCopy.id == copy_id,
                    JournalCopy.kind == COPY_EMAIL,
                    JournalCopy.status == COPY_QUEUED,
                )
                .values(status=COPY_SENDING)
            )
            if not taken.rowcount:  # type: ignore[attr-defined]
                return "not-queued"
            copy = session.get(JournalCopy, copy_id)
            assert copy is not None
            person = session.get(Person, copy.person_id)
            if (
                person is None
                or person.email is None
                or people.status_on(person, "email") != people.ACTIVE
                or "email" not in self.channels
            ):
                copy.status, copy.error = COPY_REFUSED, "no confirmed email address to send it to"
                return COPY_REFUSED
            name, channel = self.channels["email"]
            document = journal_for(session, person, self.org, for_page=False)
            delivery = session.get(Delivery, copy.delivery_id) if copy.delivery_id else None
            if delivery is None:
                delivery = deliveries.open_delivery(
                    session, person.id, name, "email", person.email, document.text, now
                )
                copy.delivery_id = delivery.id
            else:  # a retry: the same delivery, one more attempt
                deliveries.send_again(delivery, now)
                delivery.body_digest = body_digest(document.text)
            message = OutboundMessage(
                delivery_id=delivery.id,
                medium="email",
                to=person.email,
                body=document.text,
                html=document.html,
                subject=document.subject,
                status_callback_url=(
                    f"{self.public_url}/webhooks/{name}/status?delivery={delivery.id}"
                ),
                unsubscribe_url=unsubscribe_url(session, self.public_url, person.id, "email"),
            )
        # No transaction is open while the provider is called.
        try:
            result: SendResult | Exception = channel.send(message)
        except Exception as exc:  # recorded on the delivery, whatever the provider said
            result = exc
        return self._record(copy_id, message.delivery_id, name, result)

    def _record(
        self, copy_id: int, delivery_id: int, channel: str, result: SendResult | Exception
    ) -> str:
        now = self.clock.now()
        with self.sessions.begin() as session:
            copy = session.get(JournalCopy, copy_id)
            delivery = session.get(Delivery, delivery_id)
            if copy is None or delivery is None:
                return "erased"  # FORGET came while it was being sent
            copy.attempts += 1
            if isinstance(result, SendResult):
                deliveries.accepted(delivery, result, now)
                copy.status, copy.error = COPY_SENT, None
                return COPY_SENT
            person = session.get(Person, copy.person_id)
            failure = delivery_failures.send_failed(session, delivery, person, result, now)
            copy.error = str(result)[:500]
            wait = retry_after(copy.attempts)
            log.error("a journal copy could not be sent", channel=channel, error=str(result))
            if failure in ("transient", "auth") and wait is not None:
                copy.status, copy.due_at = COPY_QUEUED, now + wait
                return "retried"
            copy.status = COPY_FAILED
            return COPY_FAILED

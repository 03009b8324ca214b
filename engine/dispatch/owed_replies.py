"""Immediate replies that cannot ride in the webhook's answer (email): sent as their own message.

Recorded as deliveries through the same door as every nudge (engine/deliveries.py): a busy
provider queues the delivery and leaves the reply owed, so housekeeping sends it again on the
same row; an opt-out with the provider opts the person out; a refusal for good ends it.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from onward.channels import OutboundMessage, SendResult, body_digest
from onward.engine import deliveries, delivery_failures
from onward.engine.channel_set import ChannelSet
from onward.engine.clock import Clock
from onward.engine.logs import get_logger
from onward.engine.storage.models import Delivery, Person, status_is
from onward.engine.storage.models import InboundMessage as InboundRow
from onward.engine.unsubscribe import unsubscribe_url

log = get_logger("onward.replier")


class Replier:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, channels: ChannelSet, public_url: str
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.channels = channels
        self.public_url = public_url

    def send(self, inbound_id: int, text: str) -> str:
        """Answer a stored message on its own medium, if its reply is owed, once; recorded as
        a delivery like any nudge. A reply already sent (or being sent) is not sent again.

        Returns "sent", "retried" (owed again: the provider was busy), "held" (owed again: our
        credentials were refused), "failed", "unknown", or why nothing was sent.
        """
        now = self.clock.now()
        with self.sessions.begin() as session:
            row = session.get(InboundRow, inbound_id)
            if row is None or row.person_id is None:
                return "erased"  # FORGET YES, or nobody to answer
            # Taken once: a provider's retry or housekeeping finds it no longer owed (and so
            # does everything after an opt-out, which clears what was owed: runs.opt_out).
            taken = session.execute(
                update(InboundRow)
                .where(InboundRow.id == inbound_id, InboundRow.reply_owed.is_(True))
                .values(reply_owed=None)
            )
            if not taken.rowcount:  # type: ignore[attr-defined]
                return "not-owed"
            pair = self.channels.get(row.medium)
            if pair is None:
                return "no-channel"
            name, channel = pair
            delivery = self._queued(session, row, name)
            if delivery is None:
                delivery = deliveries.open_delivery(
                    session, row.person_id, name, row.medium, row.sender, text, now
                )
            else:
                deliveries.send_again(delivery, now)
                delivery.body_digest = body_digest(text)
            subject = row.subject.strip()
            message = OutboundMessage(
                delivery_id=delivery.id,
                medium=row.medium,  # type: ignore[arg-type]
                to=row.sender,
                body=text,
                subject=(subject if subject.lower().startswith("re:") else f"Re: {subject}")
                if subject
                else "onward",
                unsubscribe_url=unsubscribe_url(
                    session, self.public_url, row.person_id, row.medium
                ),
            )
        try:
            result: SendResult | Exception = channel.send(message)
        except Exception as exc:  # whatever the provider said, it is recorded on the delivery
            result = exc
        return self._record(inbound_id, delivery.id, name, result)

    def _queued(self, session: Session, row: InboundRow, channel: str) -> Delivery | None:
        """The delivery a busy provider left queued for this reply, sent again on the same row.
        (Replies carry no step: the one to the same address on the same channel is it.)"""
        return session.scalars(
            select(Delivery)
            .where(
                Delivery.step_id.is_(None),
                Delivery.person_id == row.person_id,
                Delivery.channel == channel,
                Delivery.address == row.sender,
                status_is(Delivery.status, "queued"),
            )
            .order_by(Delivery.id)
            .limit(1)
        ).first()

    def _record(
        self, inbound_id: int, delivery_id: int, channel: str, result: SendResult | Exception
    ) -> str:
        now = self.clock.now()
        with self.sessions.begin() as session:
            stored = session.get(Delivery, delivery_id)
            if stored is None:
                return "erased"
            if isinstance(result, SendResult):
                deliveries.accepted(stored, result, now)
                return "sent"
            person = session.get(Person, stored.person_id)
            failure = delivery_failures.send_failed(session, stored, person, result, now)
            log.error("an immediate reply could not be sent", channel=channel, error=str(result))
            if failure in ("transient", "auth"):
                # Owed again: housekeeping sends it within the hour, on this same delivery.
                session.execute(
                    update(InboundRow).where(InboundRow.id == inbound_id).values(reply_owed=True)
                )
                return "retried" if failure == "transient" else "held"
            return "unknown" if failure == "unknown" else "failed"

"""Immediate replies that cannot ride in the webhook's answer (email): sent as their own message."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from onward.channels import OutboundMessage, SendResult
from onward.engine.channel_set import ChannelSet
from onward.engine.clock import Clock
from onward.engine.deliveries import set_state
from onward.engine.logs import get_logger
from onward.engine.models import Delivery
from onward.engine.models import InboundMessage as InboundRow
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
        a delivery like any nudge. A reply already sent (or being sent) is not sent again."""
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
            pair = self.channels.by_medium.get(row.medium)
            if pair is None:
                return "no-channel"
            name, channel = pair
            delivery = Delivery(
                person_id=row.person_id,
                channel=name,
                medium=row.medium,
                address=row.sender,
                attempts=1,
                created_at=now,
            )
            set_state(delivery, "sending", now)
            session.add(delivery)
            session.flush()
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
        with self.sessions.begin() as session:
            stored = session.get(Delivery, delivery.id)
            if stored is None:
                return "erased"
            if isinstance(result, SendResult):
                stored.provider_id = result.provider_id
                set_state(stored, result.status, self.clock.now())
                return "sent"
            set_state(stored, "failed", self.clock.now())
            stored.error = str(result)[:500]
            log.error("an immediate reply could not be sent", channel=name, error=str(result))
            return "failed"

"""A coach's reply to a person, out through the same door as every nudge.

The same rules as the dispatcher's guards: nothing goes to a medium the person opted out of,
the provider is called with no transaction open, and the outcome is a delivery row that status
callbacks move forward. Outside the person's send window the coach chooses: now, or at the
window's next opening (the message then waits in `coach_messages` until the daemon's tick).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from onward.channels import OutboundMessage, SendResult
from onward.engine import deliveries, delivery_failures, people, replies, runs
from onward.engine.channel_set import ChannelSet
from onward.engine.clock import Clock
from onward.engine.errors import UsageError
from onward.engine.logs import get_logger
from onward.engine.plan_store import parsed
from onward.engine.render import person_language
from onward.engine.schedule import window_for
from onward.engine.storage.console_models import CoachMessage
from onward.engine.storage.models import Delivery, Person
from onward.engine.timing import place_in_window, window_closes_at
from onward.engine.unsubscribe import unsubscribe_url
from onward.plans import SendWindow, parse_window

log = get_logger("onward.coach")
MAX_BODY = 1000
When = Literal["now", "opening"]


@dataclass(frozen=True)
class ReplyResult:
    status: str  # sent, scheduled, choose (outside the window), refused, failed
    detail: str = ""
    opening: datetime | None = None  # the window's next opening, for "choose" and "scheduled"
    message_id: int | None = None


class CoachReplies:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        channels: ChannelSet,
        public_url: str,
        default_window: SendWindow,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.channels = channels
        self.public_url = public_url
        self.default_window = default_window

    def reply(self, person_id: int, staff_id: int, body: str, when: When | None) -> ReplyResult:
        """Queue the coach's words and send them now, or say the window is closed and when it
        opens (`when` None), or keep them for the opening (`when="opening"`)."""
        text = body.strip()
        if not text:
            raise UsageError("write a message first")
        if len(text) > MAX_BODY:
            raise UsageError(f"keep a reply under {MAX_BODY} characters")
        now = self.clock.now()
        with self.sessions.begin() as session:
            person = session.get(Person, person_id)
            if person is None:
                raise UsageError("this person is no longer known to onward")
            if self._medium(person) is None:
                return ReplyResult("refused", "they opted out of every medium onward can use")
            opening, moved = place_in_window(
                now, ZoneInfo(person.timezone), self._window(session, person)
            )
            if moved and when is None:
                return ReplyResult("choose", opening=opening)
            due = opening if moved and when == "opening" else now
            message = CoachMessage(
                person_id=person_id, staff_id=staff_id, body=text, status="queued",
                due_at=due, created_at=now,
            )  # fmt: skip
            session.add(message)
            session.flush()
            message_id = message.id
        if due > now:
            return ReplyResult("scheduled", opening=due, message_id=message_id)
        return self.send(message_id)

    def send_due(self) -> int:
        """The daemon's tick: replies kept for a window's opening go once it has come."""
        with self.sessions() as session:
            ids = list(
                session.scalars(
                    select(CoachMessage.id).where(
                        CoachMessage.status == "queued", CoachMessage.due_at <= self.clock.now()
                    )
                )
            )
        return sum(self.send(message_id).status == "sent" for message_id in ids)

    def send(self, message_id: int) -> ReplyResult:
        now = self.clock.now()
        with self.sessions.begin() as session:
            # Taken once: a second replica's tick finds it no longer queued.
            taken = session.execute(
                update(CoachMessage)
                .where(CoachMessage.id == message_id, CoachMessage.status == "queued")
                .values(status="sending")
            )
            if not taken.rowcount:  # type: ignore[attr-defined]
                return ReplyResult("failed", "already sent", message_id=message_id)
            message = session.get(CoachMessage, message_id)
            person = session.get(Person, message.person_id) if message else None
            assert message is not None
            medium = self._medium(person) if person is not None else None
            if person is None or medium is None:
                message.status, message.error = "refused", "opted out before it could go"
                return ReplyResult("refused", message.error, message_id=message_id)
            name, channel = self.channels[medium]
            address = people.address_on(person, medium)
            assert address is not None
            delivery = deliveries.open_delivery(
                session, person.id, name, medium, address, message.body, now
            )
            message.delivery_id = delivery.id
            tz = ZoneInfo(person.timezone)
            outbound = OutboundMessage(
                delivery_id=delivery.id,
                medium=medium,  # type: ignore[arg-type]
                to=address,
                body=message.body,
                subject=replies.coach_subject(person_language(person)),
                status_callback_url=(
                    f"{self.public_url}/webhooks/{name}/status?delivery={delivery.id}"
                ),
                expires_at=window_closes_at(now, tz, self._window(session, person)),
                unsubscribe_url=(
                    unsubscribe_url(session, self.public_url, person.id, medium)
                    if medium == "email"
                    else None
                ),
            )
        # No transaction is open while the provider is called.
        try:
            result: SendResult | Exception = channel.send(outbound)
        except Exception as exc:  # recorded on the delivery, whatever the provider said
            result = exc
        with self.sessions.begin() as session:
            stored = session.get(Delivery, outbound.delivery_id)
            kept = session.get(CoachMessage, message_id)
            if stored is None or kept is None:
                return ReplyResult("failed", "the person was erased meanwhile")
            if isinstance(result, SendResult):
                deliveries.accepted(stored, result, self.clock.now())
                kept.status = "sent"
                return ReplyResult("sent", message_id=message_id)
            # The same handling of transient, permanent and opted-out errors as every send.
            person = session.get(Person, stored.person_id)
            delivery_failures.send_failed(session, stored, person, result, self.clock.now())
            kept.error = str(result)[:500]
            kept.status = "failed"
            log.error("a coach's reply could not be sent", channel=name, error=str(result))
            return ReplyResult("failed", "the provider refused it: " + str(result)[:200],
                               message_id=message_id)  # fmt: skip

    def _medium(self, person: Person) -> str | None:
        medium = people.sendable_medium(person)
        return medium if medium in self.channels else None

    def _window(self, session: Session, person: Person) -> SendWindow:
        run = runs.current_run(session, person.id)
        if run is not None:
            return window_for(person, parsed(run.plan_version), self.default_window)
        return parse_window(person.send_window) if person.send_window else self.default_window

"""Tell a human at once when someone needs one: words of crisis now, a COACH request later.

`escalate` is the one entry point. In the caller's transaction (the one that paused the plan) it
writes one durable `escalations` row per on-call recipient (ONWARD_ESCALATION_SMS and
ONWARD_ESCALATION_EMAIL). The `Notifier` sends them after that transaction commits, through the
same channels as every nudge but with no send window: staff alerts go out at any hour. The
daemon runs it straight after each inbound message and again at every housekeeping pass; a send
that fails is tried again with a growing delay (30 s, 1 min, 2 min, ... at most an hour) until a
provider takes it. Two replicas never send one alert twice: each attempt first claims the row.

What the on-call person receives: why (crisis, or a request for a person), when, the person's
full number or address (the on-call has to be able to reach them; logs still mask it), and a
link to their conversation in the console. Never their words, unless the operator opts in with
ONWARD_ESCALATION_INCLUDE_WORDS.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from onward.channels import Channel, OutboundMessage, SendResult
from onward.engine.clock import Clock
from onward.engine.logs import get_logger
from onward.engine.phones import mask_email, mask_phone
from onward.engine.settings import Settings
from onward.engine.storage.console_models import Escalation
from onward.engine.storage.models import InboundMessage as InboundRow

log = get_logger("onward.escalation")

Reason = Literal["crisis", "coach"]
# A claimed alert that is neither sent nor failed by then (its sender died) is claimable again.
CLAIM_LEASE = timedelta(minutes=2)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
MAX_WORDS = 300
ALERT_AGAIN_AFTER = timedelta(minutes=10)
_WHY: dict[str, tuple[str, str]] = {
    "crisis": (
        "someone may be in crisis",
        "They wrote words of crisis; their messages are paused and they have the crisis line.",
    ),
    "coach": ("someone asked for a person", "They asked to talk to a person."),
}


@dataclass(frozen=True)
class OnCall:
    """Who is told: phone numbers (E.164) and email addresses."""

    sms: tuple[str, ...] = ()
    email: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> OnCall:
        return cls(settings.on_call_numbers, settings.on_call_addresses)

    @property
    def anyone(self) -> bool:
        return bool(self.sms or self.email)

    def recipients(self) -> list[tuple[str, str]]:
        return [("sms", number) for number in self.sms] + [("email", addr) for addr in self.email]


def escalate(
    session: Session,
    *,
    reason: Reason,
    person_id: int | None,
    address: str,
    medium: str,
    now: datetime,
    on_call: OnCall,
    inbound_id: int | None = None,
) -> int:
    """Record an alert for every on-call recipient, due now; how many were recorded.

    `address` and `medium` are how the person wrote (someone with no person row yet has only
    those). Nothing is sent here: the rows commit with the caller's transaction, then the
    Notifier sends them.
    """
    recipients = on_call.recipients()
    if not recipients:
        log.warning("a person needs a human but nobody is on call to be told")
        return 0
    # Five messages in a row from one person make one alert, not five: the conversation
    # link shows the rest.
    recent = session.scalar(
        select(Escalation.id)
        .where(
            Escalation.person_address == address,
            Escalation.reason == reason,
            Escalation.created_at > now - ALERT_AGAIN_AFTER,
        )
        .limit(1)
    )
    if recent is not None:
        return 0
    session.add_all(
        Escalation(
            person_id=person_id,
            person_address=address,
            person_medium=medium,
            inbound_id=inbound_id,
            reason=reason,
            medium=recipient_medium,
            recipient=recipient,
            created_at=now,
            next_attempt_at=now,
            attempts=0,
        )
        for recipient_medium, recipient in recipients
    )
    return len(recipients)


def nobody_on_call(settings: Settings) -> str | None:
    """The start-up warning when no one would be told about a person in crisis."""
    if OnCall.from_settings(settings).anyone:
        return None
    return (
        "nobody is on call: set ONWARD_ESCALATION_SMS or ONWARD_ESCALATION_EMAIL so a person "
        "is told at once when someone writes words of crisis"
    )


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failed attempt, doubling, never more than an hour."""
    doublings = min(max(attempts - 1, 0), 16)  # 2**16 half-minutes is past the cap already
    factor: int = 2**doublings
    return min(FIRST_RETRY * factor, LONGEST_RETRY)


@dataclass(frozen=True)
class Alert:
    """What one alert says: the subject (email) and the text."""

    subject: str
    text: str


def alert_for(row: Escalation, org: str, public_url: str, words: str | None = None) -> Alert:
    """The wording of an alert (plain ASCII apart from the person's own words)."""
    headline, why = _WHY.get(row.reason, _WHY["coach"])
    when = row.created_at.strftime("%H:%M UTC on %d %b")
    parts = [f"{org}: {headline}. {why}", f"Reach them: {row.person_address} ({when})."]
    if row.person_id is not None:
        parts.append(f"Conversation: {public_url}/console/people/{row.person_id}")
    if words:
        shown = " ".join(words.split())
        if len(shown) > MAX_WORDS:
            shown = shown[: MAX_WORDS - 3].rstrip() + "..."
        parts.append(f'They wrote: "{shown}"')
    return Alert(subject=f"{org}: {headline}", text=" ".join(parts))


class Notifier:
    """Sends the alerts that are due, each at most once, and schedules retries of failures."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        channels: Mapping[str, tuple[str, Channel]],
        public_url: str,
        *,
        include_words: bool = False,
        org: str = "onward",
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.channels = channels  # medium -> (channel name, channel)
        self.public_url = public_url.rstrip("/")
        self.include_words = include_words
        self.org = org

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        sessions: sessionmaker[Session],
        clock: Clock,
        channels: Mapping[str, tuple[str, Channel]],
    ) -> Notifier:
        return cls(
            sessions,
            clock,
            channels,
            settings.public_url,
            include_words=settings.escalation_include_words,
            org=settings.org_name,
        )

    def send_due(self, limit: int = 50) -> dict[str, int]:
        """Send every alert whose time has come; a count of outcomes (sent, failed, taken)."""
        now = self.clock.now()
        with self.sessions() as session:
            ids = session.scalars(
                select(Escalation.id)
                .where(Escalation.sent_at.is_(None), Escalation.next_attempt_at <= now)
                .order_by(Escalation.next_attempt_at, Escalation.id)
                .limit(limit)
            ).all()
        return dict(Counter(self.send(alert_id) for alert_id in ids))

    def send(self, alert_id: int) -> str:
        claimed = self._claim(alert_id)
        if isinstance(claimed, str):
            return claimed
        message, attempts = claimed
        pair = self.channels.get(message.medium)
        result: SendResult | Exception
        if pair is None:
            result = LookupError(f"no channel carries {message.medium}")
        else:
            try:  # no transaction is open while the provider is called
                result = pair[1].send(message)
            except Exception as exc:  # whatever it was, it is recorded and retried
                result = exc
        return self._record(alert_id, attempts, message, result)

    def _claim(self, alert_id: int) -> tuple[OutboundMessage, int] | str:
        now = self.clock.now()
        with self.sessions.begin() as session:
            taken = session.execute(
                update(Escalation)
                .where(
                    Escalation.id == alert_id,
                    Escalation.sent_at.is_(None),
                    Escalation.next_attempt_at <= now,
                )
                .values(next_attempt_at=now + CLAIM_LEASE, attempts=Escalation.attempts + 1)
            )
            if not taken.rowcount:  # type: ignore[attr-defined]
                return "taken"  # sent, or being sent, by another process
            row = session.get(Escalation, alert_id)
            assert row is not None
            words = self._words(session, row)
            alert = alert_for(row, self.org, self.public_url, words)
            message = OutboundMessage(
                # No delivery row: a negative id never matches one, so no provider status
                # callback about an alert can touch a person's delivery.
                delivery_id=-row.id,
                medium=row.medium,  # type: ignore[arg-type]
                to=row.recipient,
                body=alert.text,
                subject=alert.subject,
            )
            return message, row.attempts

    def _words(self, session: Session, row: Escalation) -> str | None:
        if not self.include_words or row.inbound_id is None:
            return None
        inbound = session.get(InboundRow, row.inbound_id)
        if inbound is None:
            return None
        return "\n".join(part for part in (inbound.subject, inbound.body) if part.strip())

    def _record(
        self,
        alert_id: int,
        attempts: int,
        message: OutboundMessage,
        result: SendResult | Exception,
    ) -> str:
        now = self.clock.now()
        with self.sessions.begin() as session:
            row = session.get(Escalation, alert_id)
            if row is None:
                return "erased"  # FORGET while it was being sent
            if isinstance(result, SendResult):
                row.sent_at, row.provider_id, row.last_error = now, result.provider_id, None
                log.info("on-call alert sent", escalation_id=alert_id, to=_masked(message))
                return "sent"
            row.next_attempt_at = now + retry_delay(attempts)
            row.last_error = f"{type(result).__name__}: {result}"[:500]
        log.error(
            "an on-call alert could not be sent; it will be tried again",
            escalation_id=alert_id,
            to=_masked(message),
            attempts=attempts,
            error=str(result),
        )
        return "failed"


def _masked(message: OutboundMessage) -> str:
    return mask_email(message.to) if message.medium == "email" else mask_phone(message.to)

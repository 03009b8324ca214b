"""A synthetic cohort for the numbers: hundreds of people texting onward over weeks, through the
real inbox, router and dispatcher on a fake clock, each behaving by a rule of their index, so
that every figure of `onward stats` can be counted by hand from the rules alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from onward.engine.clock import FakeClock
from onward.engine.dispatch.dispatcher import DispatchConfig, Dispatcher
from onward.engine.plan_store import add_plan, set_default
from onward.engine.storage.db import session_factory
from onward.plans import SendWindow
from tests.integration.dispatch_helpers import FlakyChannel
from tests.integration.inbound_helpers import Talk

PLAN = """
name: tally
description: A short plan to count what follows each step.
window: "00:00-24:00"
steps:
  - id: ack
    kind: message
    due: 0m
    text: I'm sorry about {{ company or 'the job' }}. Reply PAUSE for a break, STOP to end.
  - id: reflect
    kind: reflect
    due: 1d
    text: How did the interview go? Reply PAUSE for a break, STOP to end.
    reminder:
      after: 1d
      text: Any thoughts? Reply DONE to skip, PAUSE for a break, STOP to end.
  - id: apply
    kind: apply
    due: 4d
    goal: 3
    text: Time to apply again. Text APPLIED when you do. PAUSE for a break, STOP to end.
"""
WEEKS = (
    datetime(2026, 11, 2, tzinfo=UTC),
    datetime(2026, 11, 9, tzinfo=UTC),
    datetime(2026, 11, 16, tzinfo=UTC),
)
PER_WEEK = (100, 100, 3)  # the third week is too small to show
NOW = WEEKS[-1] + timedelta(days=70)
H, D = timedelta(hours=1), timedelta(days=1)


@dataclass(frozen=True)
class Someone:
    """Person number `i` and the rules they follow (all times from their rejection, `t0`)."""

    i: int
    week: int
    t0: datetime

    @property
    def phone(self) -> str:
        return f"+1415555{1000 + self.i}"

    @property
    def group(self) -> int:
        return self.i % 20

    # -- what they write after the reflect prompt (sent at t0 + 1 day) -------------------
    @property
    def answers(self) -> bool:
        return self.group <= 5  # a journal line 2 h later

    @property
    def done(self) -> bool:
        return self.group in (6, 7)  # DONE 3 h later

    @property
    def stops(self) -> bool:
        return self.group == 8  # STOP 5 h later, and nothing more

    @property
    def pauses(self) -> bool:
        return self.group == 9  # PAUSE 1 h later, RESUME 2 h later

    @property
    def in_crisis(self) -> bool:
        return self.group == 10  # words of crisis 4 h later, RESUME 6 h later

    # -- outcomes ------------------------------------------------------------------------
    @property
    def applied_at(self) -> datetime | None:
        return self.t0 + (5 + 2 * (self.i % 7)) * D + H if self.i % 4 != 0 else None

    @property
    def applied_again_at(self) -> datetime | None:
        return self.t0 + 20 * D if self.i % 8 == 1 else None

    @property
    def interview_at(self) -> datetime | None:
        return self.t0 + (8 + self.i % 5) * D if self.i % 6 == 1 else None

    @property
    def offer_at(self) -> datetime | None:
        return self.t0 + 25 * D if self.i % 10 == 3 else None

    @property
    def hired_at(self) -> datetime | None:
        if self.i % 10 == 3:
            return self.t0 + (30 + self.i % 11) * D
        if self.i % 10 == 7:
            return self.t0 + 50 * D
        return None

    @property
    def stop_at(self) -> datetime:
        return self.t0 + D + 5 * H


def cohort() -> list[Someone]:
    people, i = [], 0
    for week, (start, size) in enumerate(zip(WEEKS, PER_WEEK, strict=True)):
        for k in range(size):
            people.append(Someone(i, week, start + k * 90 * timedelta(minutes=1)))
            i += 1
    return people


def script(talk: Talk, someone: Someone) -> list[tuple[datetime, Callable[[], object]]]:
    """Every message this person sends, with its time."""

    def say(text: str) -> Callable[[], object]:
        return lambda: talk.say(text, someone.phone)

    t0, r = someone.t0, someone.t0 + D
    events: list[tuple[datetime, Callable[[], object]]] = [(t0, say("REJECTED Acme"))]
    if someone.answers:
        events.append((r + 2 * H, say("It went fine until the salary question")))
    if someone.done:
        events.append((r + 3 * H, say("DONE")))
    if someone.stops:
        events.append((someone.stop_at, say("STOP")))
        return events
    if someone.pauses:
        events += [(r + H, say("PAUSE")), (r + 2 * H, say("RESUME"))]
    if someone.in_crisis:
        events += [(r + 4 * H, say("Honestly I want to end my life")), (r + 6 * H, say("RESUME"))]
    for at, text in (
        (someone.applied_at, "APPLIED 2"),
        (someone.applied_again_at, "APPLIED"),
        (someone.interview_at, "INTERVIEW Acme fri 3pm"),
        (someone.offer_at, "OFFER"),
        (someone.hired_at, "HIRED"),
    ):
        if at is not None:
            events.append((at, say(text)))
    return events


def build(engine: Engine) -> tuple[Talk, list[Someone]]:
    """Play the whole cohort: messages in time order, the dispatcher sending what falls due."""
    clock = FakeClock(WEEKS[0] - H)
    talk = Talk(engine, clock)
    with talk.sessions.begin() as session:
        add_plan(session, PLAN, clock)
        set_default(session, "tally")
    channel = FlakyChannel(status="delivered")
    dispatcher = Dispatcher(
        session_factory(engine),
        clock,
        {"sms": (channel.name, channel), "email": (channel.name, channel)},
        DispatchConfig(worker_id="numbers", default_window=SendWindow.ANY, batch=200),
    )
    people = cohort()
    timeline = sorted(
        (at, n, action) for n, (at, action) in enumerate(e for p in people for e in script(talk, p))
    )
    for at, _, action in timeline:
        _send_due(dispatcher, clock, at)
        clock.set(at)
        action()
    _send_due(dispatcher, clock, NOW)
    clock.set(NOW)
    return talk, people


def _send_due(dispatcher: Dispatcher, clock: FakeClock, until: datetime) -> None:
    while (due := dispatcher.earliest_due()) is not None and due <= until:
        clock.set(max(due, clock.now()))
        dispatcher.tick()

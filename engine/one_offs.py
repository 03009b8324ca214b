"""One-off steps onward adds to a person's run by itself: the prep nudge before an interview
(`interview_prep`) and the nudge at the time they chose to apply (`apply_slot`).

Each is a step row like any other, so the dispatcher sends it through every guard (opt-out,
send window, pause, a coach's hold, the footer). Its text is written at send time from what is
true then (`send_facts`, `render`): the interview as it now stands and the journal as it now
is, so words a person erased (FORGET) can never come back; nothing of theirs is kept in the
step. Someone with no plan running gets a small run of their own to carry the prep nudge.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from onward.engine import prep_texts
from onward.engine.excerpts import QUOTED_KINDS, Written, choose
from onward.engine.language import of_person
from onward.engine.numbers.outcome_events import INTERVIEW
from onward.engine.plan_store import add_plan
from onward.engine.prep_timing import PREP_LEAD
from onward.engine.replies_when import when_text
from onward.engine.schedule import NewStep, cancel_steps, insert_steps
from onward.engine.storage.models import (
    STEP_PENDING,
    WAITING_STEP_STATUSES,
    JournalEntry,
    PlanVersion,
    Recipient,
    Run,
    Step,
)
from onward.engine.storage.outcome_models import OutcomeEvent

INTERVIEW_PREP, APPLY_SLOT = "interview_prep", "apply_slot"
ONE_OFF_KEYS = frozenset({INTERVIEW_PREP, APPLY_SLOT})
ONE_OFF_SEQ = 1000  # after every plan step, in listings and in the numbers
PREP_PLAN = "interview-prep"
PREP_PLAN_SOURCE = """\
# Written by onward: the run that carries the prep nudge before an interview for someone with
# no plan running. Its step is never scheduled by itself; onward adds the nudge when told.
name: interview-prep
description: Carries the nudge the evening before an interview, for someone with no plan running.
steps:
  - id: prep
    kind: message
    due: 0m
    text: A few of your own words to prepare, the evening before your interview.
"""


def is_one_off(step_key: str) -> bool:
    return step_key in ONE_OFF_KEYS


@dataclass(frozen=True)
class _At:
    """A clock stopped at one instant: adding the prep plan dates it to this message."""

    instant: datetime

    def now(self) -> datetime:
        return self.instant


def prep_plan_version(session: Session, now: datetime) -> PlanVersion:
    """The plan of a run that carries only a prep nudge (stored once, the first time needed)."""
    return add_plan(session, PREP_PLAN_SOURCE, _At(now), PREP_PLAN)


def book_prep(
    session: Session, event: OutcomeEvent, run: Run | None, due: datetime | None, now: datetime
) -> None:
    """Book the prep nudge of `event` at `due` in `run` (none when `due` is None: too close to
    the interview); a nudge booked before for it is cancelled, the interview having moved."""
    if event.prep_step_id is not None:
        cancel_steps(session, [event.prep_step_id], "the interview moved", now)
        event.prep_step_id = None
    if due is not None and run is not None:
        event.prep_step_id = _add(session, run.id, INTERVIEW_PREP, due).id


def upcoming_interview(
    session: Session, person_id: int, company: str, now: datetime
) -> OutcomeEvent | None:
    """The interview with `company` still ahead, if the person told of one: a new date for it
    moves it rather than counting a second interview."""
    if not company:
        return None
    found = session.scalars(
        select(OutcomeEvent).where(
            OutcomeEvent.person_id == person_id,
            OutcomeEvent.kind == INTERVIEW,
            OutcomeEvent.scheduled_for > now,
        )
    )
    return next((e for e in found if e.company.casefold() == company.casefold()), None)


def book_slot(session: Session, run: Run, due: datetime, now: datetime) -> NewStep:
    """The nudge at the time the person chose to apply; a slot booked before in this run is
    replaced (the latest answer is their plan)."""
    waiting = session.scalars(
        select(Step.id).where(
            Step.run_id == run.id,
            Step.step_key == APPLY_SLOT,
            Step.status.in_(WAITING_STEP_STATUSES),
        )
    ).all()
    cancel_steps(session, list(waiting), "a new time was chosen", now)
    return _add(session, run.id, APPLY_SLOT, due)


def carry_over(session: Session, old_run_ids: Collection[int], new_run_id: int) -> None:
    """A newer rejection supersedes a run, not the interview: its waiting prep nudge moves to
    the new run (an application slot belongs to the old plan and ends with it)."""
    session.execute(
        update(Step)
        .where(
            Step.run_id.in_(old_run_ids),
            Step.step_key == INTERVIEW_PREP,
            Step.status.in_(WAITING_STEP_STATUSES),
        )
        .values(run_id=new_run_id),
        execution_options={"synchronize_session": False},
    )


def _add(session: Session, run_id: int, key: str, due: datetime) -> NewStep:
    [step] = insert_steps(
        session,
        [
            {
                "run_id": run_id,
                "step_key": key,
                "kind": "message",
                "seq": ONE_OFF_SEQ,
                "due_at": due,
                "status": STEP_PENDING,
                "sent_at": None,
                "attempts": 0,
            }
        ],
    )
    return step


# -- at send time ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OneOff:
    """What a one-off step's text is written from, read as it is sent."""

    key: str
    company: str = ""
    interview_at: datetime | None = None
    quoted: tuple[Written, ...] = ()


def send_facts(session: Session, steps: Iterable[tuple[int, str, int]]) -> dict[int, OneOff]:
    """For (step id, step key, person id) of a batch's one-off steps: each step's facts."""
    ours = [(step_id, key, person_id) for step_id, key, person_id in steps if is_one_off(key)]
    preps = {step_id: person_id for step_id, key, person_id in ours if key == INTERVIEW_PREP}
    facts = {step_id: OneOff(key) for step_id, key, _ in ours}
    if not preps:
        return facts
    people = set(preps.values())
    interviews = {
        row.prep_step_id: row
        for row in session.execute(
            select(OutcomeEvent.prep_step_id, OutcomeEvent.company, OutcomeEvent.scheduled_for)
            .where(OutcomeEvent.person_id.in_(people), OutcomeEvent.kind == INTERVIEW)
            .where(OutcomeEvent.prep_step_id.in_(list(preps)))
        )
    }
    written: dict[int, list[Written]] = {}
    for person_id, kind, at, text in session.execute(
        select(JournalEntry.person_id, Step.kind, JournalEntry.created_at, JournalEntry.text)
        .join(Step, Step.id == JournalEntry.step_id)
        .where(JournalEntry.person_id.in_(people), Step.kind.in_(QUOTED_KINDS))
    ):
        written.setdefault(person_id, []).append(Written(kind, at, text))
    for step_id, person_id in preps.items():
        interview = interviews.get(step_id)
        facts[step_id] = OneOff(
            INTERVIEW_PREP,
            company=interview.company if interview else "",
            interview_at=interview.scheduled_for if interview else None,
            quoted=tuple(choose(written.get(person_id, []))),
        )
    return facts


def unwanted(one_off: OneOff | None, now: datetime) -> str | None:
    """Why a one-off step is no longer worth sending, or None when it is."""
    if one_off is None:
        return "no longer known"
    if one_off.key != INTERVIEW_PREP:
        return None
    if one_off.interview_at is None:
        return "the interview is no longer known"
    if one_off.interview_at - now < PREP_LEAD:
        return "the interview is too close or over"
    return None


def render(one_off: OneOff, step_id: int, person: Recipient, now: datetime) -> tuple[str, str]:
    """The text and email subject of a one-off step, in the person's language."""
    lang = of_person(person.language, person.country)
    tz = ZoneInfo(person.timezone)
    if one_off.key == APPLY_SLOT:
        clock = now.astimezone(tz).strftime("%H:%M")
        return prep_texts.slot_nudge(lang, clock), prep_texts.slot_subject(lang)
    assert one_off.interview_at is not None
    when = when_text(lang, one_off.interview_at, now, tz)
    text = prep_texts.prep_nudge(lang, one_off.company, when, one_off.quoted, tz, tip=step_id)
    return text, prep_texts.prep_subject(lang)

"""Cohort enrolment: people a careers service enrols with their recorded consent.

Rows that name someone suppressed (erased earlier), opted out, or already known are refused,
each with its line; the rest are imported together, in the caller's one transaction. Each new
person gets one welcome message carrying the carriers' disclosures, as the only step of a
`welcome` run: the dispatcher sends it inside their send window, through every guard, and
nothing else follows until they report a rejection themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from onward.engine import consent_ledger, run_start
from onward.engine.clock import Clock
from onward.engine.language import DEFAULT, SUPPORTED
from onward.engine.people import ACTIVE, OPTED_OUT, UNCONFIRMED, find_person, new_link_key
from onward.engine.phones import region_for_phone, timezone_for_phone
from onward.engine.plan_store import add_plan, default_version, parsed
from onward.engine.records.cohort_csv import CohortRow, Refusal
from onward.engine.replies_consent import welcome
from onward.engine.storage.models import Person, PlanVersion
from onward.engine.suppression import is_suppressed
from onward.plans import SendWindow
from onward.plans.disclosures import frequency, welcome_plan_source


@dataclass(frozen=True)
class Enrolled:
    line: int
    person_id: int
    address: str
    welcome_due: datetime


def refusal_for(session: Session, row: CohortRow) -> Refusal | None:
    """Why this row may not be imported, judged against what onward holds, or None."""
    for medium, address in (("sms", row.phone), ("email", row.email)):
        if address is None:
            continue
        if is_suppressed(session, address):
            return Refusal(
                row.line,
                f"suppressed: this {_noun(medium)} was erased (FORGET or retention); "
                "only a message from it can enrol it again",
            )
        known = find_person(session, medium, address)
        if known is None:
            continue
        status = known.sms_status if medium == "sms" else known.email_status
        if status == OPTED_OUT:
            return Refusal(
                row.line, f"opted out: this {_noun(medium)} said STOP; never re-enrolled"
            )
        return Refusal(row.line, f"already known to onward (person {known.id}); left as they are")
    return None


def _noun(medium: str) -> str:
    return "number" if medium == "sms" else "address"


def welcome_version(session: Session, program: str, clock: Clock) -> PlanVersion:
    """The welcome plan for today's wording (frequency from the default plan): stored once."""
    how_often = frequency(parsed(default_version(session)))
    # In every language onward speaks: each person reads it in theirs (their number's country's).
    others = {lang: welcome(lang, program, how_often) for lang in SUPPORTED if lang != DEFAULT}
    return add_plan(session, welcome_plan_source(program, how_often, others), clock, "welcome")


def enrol(
    session: Session,
    row: CohortRow,
    source_label: str,
    welcome: PlanVersion,
    now: datetime,
    default_window: SendWindow,
) -> Enrolled:
    """One new person from a checked row, with their consent on the ledger and their welcome
    queued; `source_label` names the file the consent came in."""
    phone, email = row.phone, row.email
    person = Person(
        phone=phone,
        email=email,
        name=row.name,
        timezone=row.timezone or (timezone_for_phone(phone) if phone else "UTC"),
        timezone_source="user" if row.timezone else ("phone" if phone else "default"),
        country=region_for_phone(phone) if phone else None,
        # Consent recorded by the operator covers each medium given (an email too: the
        # institution vouches for it, as the person's own message would).
        sms_status=ACTIVE,
        email_status=ACTIVE if email else UNCONFIRMED,
        preferred_medium="sms" if phone else "email",
        link_key=new_link_key(),
        created_at=now,
        updated_at=now,
    )
    session.add(person)
    session.flush()
    how = consent_ledger.by_import(
        f"{row.consent_source} (imported from {source_label}, line {row.line})",
        row.consent_given_at,
    )
    consent_ledger.opened(person, now, how)
    [step] = run_start.start_welcome(session, person, welcome, now, default_window).steps
    address = phone or email
    assert address is not None
    return Enrolled(row.line, person.id, address, step.due_at)

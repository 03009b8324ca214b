"""`onward people`: who onward knows, one person in detail, and erasing someone entirely."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from onward.engine import language
from onward.engine import people as people_ops
from onward.engine.cli.confirm import YES_HELP, confirm_destructive
from onward.engine.cli.output import print_json, print_table, stdout
from onward.engine.cli.runs import RUN_TABLE, run_rows
from onward.engine.cli.state import state
from onward.engine.storage.models import (
    OPEN_RUN_STATUSES,
    Delivery,
    InboundMessage,
    JournalEntry,
    Person,
    Run,
)

app = typer.Typer(help="People onward is helping.", no_args_is_help=True)

# Addresses are shown in full: this is the operator's own data on their own terminal, and
# scripts match on the exact E.164 number.
PERSON_TABLE = ["id", "who", "timezone", "language", "sms", "email_status", "open_runs"]
WHO_HELP = "A phone number in any common format, or an email address."


def person_row(person: Person, open_runs: int) -> dict[str, Any]:
    return {
        "id": person.id,
        "phone": person.phone,
        "email": person.email,
        "timezone": person.timezone,
        # What everything is sent in: their LANG, else their country's (onward.engine.language).
        "language": language.of_person(person.language, person.country),
        "sms": person.sms_status,
        "email_status": person.email_status,
        "preferred_medium": person.preferred_medium,
        "send_window": person.send_window,
        "created_at": person.created_at,
        "open_runs": open_runs,
    }


def people_rows(session: Session, *where: ColumnElement[bool]) -> list[dict[str, Any]]:
    """People with their count of open runs, oldest first, in one query."""
    open_counts = (
        select(Run.person_id, func.count().label("open_runs"))
        .where(Run.status.in_(OPEN_RUN_STATUSES))
        .group_by(Run.person_id)
        .subquery()
    )
    query = (
        select(Person, func.coalesce(open_counts.c.open_runs, 0))
        .outerjoin(open_counts, open_counts.c.person_id == Person.id)
        .where(*where)
        .order_by(Person.created_at, Person.id)
    )
    return [person_row(person, count) for person, count in session.execute(query)]


def _count(session: Session, column: Any, *where: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count(column)).where(*where)) or 0


@app.command("list")
def list_command(json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Everyone onward knows, with their mediums' status and open runs."""
    with state.ready().sessions() as session:
        rows = people_rows(session)
    if json:
        print_json(rows)
    else:
        who = [{**row, "who": " ".join(filter(None, (row["phone"], row["email"])))} for row in rows]
        print_table(who, PERSON_TABLE, "people")


@app.command("show")
def show_command(
    who: str = typer.Argument(..., metavar="PHONE_OR_EMAIL", help=WHO_HELP),
    journal: bool = typer.Option(
        False, "--journal", help="Include their journal entries (their own words; private)."
    ),
    json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """One person: mediums, time zone, their runs, and how much they have journalled."""
    with state.ready().sessions() as session:
        person = people_ops.lookup(session, who)
        [row] = people_rows(session, Person.id == person.id)
        row["runs"] = run_rows(session, Run.person_id == person.id)
        row["journal_entries"] = _count(
            session, JournalEntry.id, JournalEntry.person_id == person.id
        )
        if journal:
            entries = session.scalars(
                select(JournalEntry)
                .where(JournalEntry.person_id == person.id)
                .order_by(JournalEntry.created_at, JournalEntry.id)
            )
            row["journal"] = [
                {"run": e.run_id, "step": e.step_key, "created_at": e.created_at, "text": e.text}
                for e in entries
            ]
    if json:
        print_json(row)
        return
    summary = {k: v for k, v in row.items() if k not in ("runs", "journal")}
    print_table(
        [{"field": k, "value": v} for k, v in summary.items()],
        ["field", "value"],
        f"person {row['id']}",
    )
    print_table(row["runs"], RUN_TABLE, "runs")
    if journal:
        print_table(row["journal"], ["created_at", "run", "step", "text"], "journal entries")


@app.command("forget")
def forget_command(
    who: str = typer.Argument(..., metavar="PHONE_OR_EMAIL", help=WHO_HELP),
    yes: bool = typer.Option(False, "--yes", "-y", help=YES_HELP),
) -> None:
    """Erase a person and everything about them: runs, steps, deliveries, journal, messages."""
    runtime = state.ready()
    with runtime.sessions() as session:
        person = people_ops.lookup(session, who)
        label = person.phone or person.email or f"person {person.id}"
        addresses = [a for a in (person.phone, person.email) if a]
        counts = {
            "runs": _count(session, Run.id, Run.person_id == person.id),
            "deliveries": _count(session, Delivery.id, Delivery.person_id == person.id),
            "journal entries": _count(
                session, JournalEntry.id, JournalEntry.person_id == person.id
            ),
            "messages": _count(
                session,
                InboundMessage.id,
                or_(InboundMessage.person_id == person.id, InboundMessage.sender.in_(addresses)),
            ),
        }
    what = ", ".join(f"{n} {name}" for name, n in counts.items())
    # Ask before opening the write transaction: no lock is held while a person decides.
    confirm_destructive(
        f"Erase {label} and everything about them ({what})? This cannot be undone.",
        verb="erase",
        yes=yes,
    )
    with runtime.sessions.begin() as session:
        people_ops.forget(session, people_ops.lookup(session, who))
    stdout.print(f"erased {label}: {what}", highlight=False)

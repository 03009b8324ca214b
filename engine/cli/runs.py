"""`onward runs`: list and show runs of a plan, and pause, resume or cancel one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import typer
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from onward.engine import runs as run_ops
from onward.engine.cli.confirm import YES_HELP, confirm_destructive
from onward.engine.cli.deliveries import delivery_rows
from onward.engine.cli.output import print_json, print_table, short_time, stdout
from onward.engine.cli.state import state
from onward.engine.errors import UsageError
from onward.engine.inbound.commands import DEFAULT_PAUSE
from onward.engine.numbers import experiments
from onward.engine.storage.models import (
    OPEN_RUN_STATUSES,
    WAITING_STEP_STATUSES,
    Delivery,
    Person,
    PlanVersion,
    Rejection,
    Run,
    Step,
)
from onward.plans import parse_due

app = typer.Typer(help="Runs: one person's plan after one rejection.", no_args_is_help=True)

# What a table shows in 80 columns; --json has every key.
RUN_TABLE = ["id", "person", "plan", "company", "status", "next_due"]
STEP_COLUMNS = ["id", "step", "kind", "due_at", "status", "attempts", "last_error"]
MAX_PAUSE = timedelta(days=365)


def run_rows(session: Session, *where: ColumnElement[bool]) -> list[dict[str, Any]]:
    """Runs as the listings show them, newest first, in one query (no query per run)."""
    # next_due: the earliest waiting step of each run; reminders only re-ask, so they don't count.
    # Looked up run by run through the steps' run index: no index holds every step by status.
    next_due = (
        select(func.min(Step.due_at))
        .where(
            Step.run_id == Run.id,
            Step.status.in_(WAITING_STEP_STATUSES),
            Step.reminder_of.is_(None),
        )
        .correlate(Run)
        .scalar_subquery()
    )
    query = (
        select(
            Run,
            Person.phone,
            Person.email,
            PlanVersion.name,
            PlanVersion.version,
            Rejection.company,
            Rejection.role,
            next_due,
        )
        .join(Person, Person.id == Run.person_id)
        .join(PlanVersion, PlanVersion.id == Run.plan_version_id)
        .outerjoin(Rejection, Rejection.id == Run.rejection_id)  # welcome runs have none
        .where(*where)
        .order_by(Run.started_at.desc(), Run.id.desc())
    )
    return [
        {
            "id": run.id,
            "person": phone or email,
            "plan": plan,
            "version": version,
            "company": company,
            "role": role,
            "status": run.status,
            "started_at": run.started_at,
            "next_due": due,
            "paused_until": run.paused_until,
            "applied": run.applied_count,
        }
        for run, phone, email, plan, version, company, role, due in session.execute(query)
    ]


def step_row(step: Step) -> dict[str, Any]:
    return {
        "id": step.id,
        "step": step.step_key,
        "kind": step.kind,
        "reminder_of": step.reminder_of,
        "due_at": step.due_at,
        "status": step.status,
        "sent_at": step.sent_at,
        "attempts": step.attempts,
        "last_error": step.last_error,
    }


def parse_pause(text: str) -> timedelta:
    """`--for` as a plan offset without `at` (3d, 1w, 12h, 1d12h); bad usage when unreadable."""
    try:
        due = parse_due(text)
    except ValueError as exc:
        raise UsageError(f"--for: {exc}") from None
    if due.at is not None:
        raise UsageError(f"--for: {text!r} is a moment, not a length of time; try 3d, 1w or 12h")
    if not timedelta(0) < due.offset <= MAX_PAUSE:
        raise UsageError(f"--for: {text!r} must be more than nothing and at most 365d")
    return due.offset


def _when(value: datetime | None) -> str:
    """A time in a sentence: short and local, with its zone."""
    return "-" if value is None else f"{short_time(value)} {value.astimezone().tzname()}"


@app.command("list")
def list_command(
    active: bool = typer.Option(False, "--active", help="Only running runs (active or paused)."),
    json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Every run, newest first, with the time its next nudge is due."""
    where = [Run.status.in_(OPEN_RUN_STATUSES)] if active else []
    with state.ready().sessions() as session:
        rows = run_rows(session, *where)
    if json:
        print_json(rows)
    else:
        print_table(rows, RUN_TABLE, "active runs" if active else "runs")


@app.command("show")
def show_command(
    run_id: int = typer.Argument(..., metavar="ID"),
    json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """One run: its steps in due order and every delivery made for it."""
    with state.ready().sessions() as session:
        run = run_ops.get_run(session, run_id)
        [row] = run_rows(session, Run.id == run.id)
        row |= {"ended_at": run.ended_at, "pause_reason": run.pause_reason}
        row["arm"] = experiments.arm_of_run(session, run.id)
        steps = session.scalars(
            select(Step).where(Step.run_id == run.id).order_by(Step.due_at, Step.seq, Step.id)
        )
        row["steps"] = [step_row(step) for step in steps]
        row["deliveries"] = delivery_rows(session, Delivery.run_id == run.id)
    if json:
        print_json(row)
        return
    summary = {key: value for key, value in row.items() if key not in ("steps", "deliveries")}
    print_table(
        [{"field": k, "value": v} for k, v in summary.items()], ["field", "value"], f"run {run_id}"
    )
    print_table(row["steps"], STEP_COLUMNS, "steps")
    print_table(
        row["deliveries"], ["id", "step", "channel", "address", "status", "error"], "deliveries"
    )


@app.command("pause")
def pause_command(
    run_id: int = typer.Argument(..., metavar="ID"),
    duration: str | None = typer.Option(
        None,
        "--for",
        metavar="DURATION",
        help=f"How long, e.g. 3d, 1w, 12h (default: {DEFAULT_PAUSE.days}d, as the PAUSE text).",
    ),
) -> None:
    """Hold a run: nothing is sent until it is resumed or --for runs out."""
    length = parse_pause(duration) if duration is not None else DEFAULT_PAUSE
    runtime = state.ready()
    now = runtime.clock.now()
    until = now + length
    with runtime.sessions.begin() as session:
        run_ops.pause(session, run_ops.get_run(session, run_id), now, until, "operator")
    stdout.print(f"paused run {run_id} until {_when(until)}", highlight=False)


@app.command("resume")
def resume_command(run_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Carry on a paused run; its waiting steps move later by the time it was held."""
    runtime = state.ready()
    with runtime.sessions.begin() as session:
        run = run_ops.get_run(session, run_id)
        run_ops.resume(session, run, runtime.clock.now(), runtime.settings.send_window)
        [row] = run_rows(session, Run.id == run.id)
    stdout.print(f"resumed run {run_id}; next nudge due {_when(row['next_due'])}", highlight=False)


@app.command("cancel")
def cancel_command(
    run_id: int = typer.Argument(..., metavar="ID"),
    yes: bool = typer.Option(False, "--yes", "-y", help=YES_HELP),
) -> None:
    """End a run for good: its waiting nudges are cancelled (the person is not told)."""
    runtime = state.ready()
    with runtime.sessions() as session:
        run = run_ops.get_run(session, run_id)
        if run.status not in OPEN_RUN_STATUSES:
            raise UsageError(f"run {run_id} is already {run.status}")
        [row] = run_rows(session, Run.id == run.id)
    confirm_destructive(
        f"Cancel run {run_id} ({row['plan']} for {row['person']}, "
        f"{row['company'] or 'no company'})? Its waiting nudges will not be sent.",
        verb=f"cancel run {run_id}",
        yes=yes,
    )
    with runtime.sessions.begin() as session:
        run_ops.cancel(session, run_ops.get_run(session, run_id), runtime.clock.now())
    stdout.print(f"cancelled run {run_id}; nothing more will be sent for it", highlight=False)

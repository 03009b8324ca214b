"""`onward plans`: list, show, validate, add, preview and choose the default plan."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from onward.engine import plan_store
from onward.engine.cli.output import print_json, print_table, stdout, warning_line
from onward.engine.cli.state import state
from onward.engine.db import database_exists
from onward.engine.errors import NotFound, UsageError
from onward.engine.migrate import require_current, schema_is_current
from onward.engine.preview import preview
from onward.plans import (
    Plan,
    PlanError,
    PlanIssue,
    load_plan,
    shipped_plan_names,
    shipped_plan_source,
    validate_plan,
)

app = typer.Typer(help="Recovery plans written in YAML.", no_args_is_help=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}") from None


def _print_issues(errors: list[PlanIssue], warnings: list[PlanIssue]) -> None:
    # Errors exactly as FILE:LINE: field: message, one a line, for editors and scripts.
    for issue in errors:
        typer.echo(str(issue), err=True)
    for issue in warnings:
        warning_line(str(issue))


@app.command("validate")
def validate_command(file: Path = typer.Argument(..., help="The plan's YAML file.")) -> None:
    """Check a plan: every error as FILE:LINE: field: message (exit 1), warnings too."""
    report = validate_plan(_read(file), str(file))
    _print_issues(report.errors, report.warnings)
    if report.errors:
        raise typer.Exit(1)
    assert report.plan is not None
    typer.echo(f"{file}: plan {report.plan.name!r} is valid ({len(report.plan.steps)} steps)")


@app.command("add")
def add_command(file: Path = typer.Argument(..., help="The plan's YAML file.")) -> None:
    """Store a plan as a new immutable version (running plans keep theirs)."""
    source = _read(file)
    report = validate_plan(source, str(file))
    _print_issues(report.errors, report.warnings)
    if report.errors:
        raise typer.Exit(1)
    runtime = state.ready()
    with runtime.sessions.begin() as session:
        before = plan_store.latest_version(session, report.plan.name if report.plan else "")
        version = plan_store.add_plan(session, source, runtime.clock, str(file))
        unchanged = before is not None and before.id == version.id
    if unchanged:
        typer.echo(f"plan {version.name} v{version.version} already has this text; nothing added")
    else:
        typer.echo(f"added plan {version.name} v{version.version}")


@app.command("list")
def list_command(json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The stored plans, their latest version and which one REJECTED starts."""
    runtime = state.ready()
    with runtime.sessions() as session:
        rows = [
            {
                "name": s.name,
                "version": s.version,
                "versions": s.versions,
                "default": s.is_default,
                "keywords": list(s.keywords),
                # A keyword is live when texting it starts this plan (REJECTED and its kin
                # start the default plan; another plan may have claimed a keyword first).
                "live_keywords": [
                    k for k in s.keywords if plan_store.plan_for_keyword(session, k).name == s.name
                ],
                "steps": s.steps,
            }
            for s in plan_store.list_plans(session)
        ]
    if json:
        print_json(rows)
    else:
        print_table(
            [{**row, "keywords": _keywords_cell(row)} for row in rows],
            ["name", "version", "versions", "default", "keywords", "steps"],
            "plans",
        )


def _keywords_cell(row: dict[str, Any]) -> str:
    return " ".join(
        word if word in row["live_keywords"] else f"{word} (not live)" for word in row["keywords"]
    )


@app.command("show")
def show_command(
    name: str,
    version: int | None = typer.Option(None, "--version", help="A version other than the latest."),
    json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Print a stored plan's YAML source (the latest version unless --version)."""
    runtime = state.ready()
    with runtime.sessions() as session:
        latest = plan_store.require_latest(session, name)
        chosen = plan_store.get_version(session, name, version) if version else latest
    if json:
        print_json(
            {
                "name": chosen.name,
                "version": chosen.version,
                "checksum": chosen.checksum,
                "created_at": chosen.created_at,
                "source": chosen.source,
            }
        )
    else:
        stdout.print(
            f"# {chosen.name} v{chosen.version} (latest v{latest.version})", highlight=False
        )
        typer.echo(chosen.source.rstrip("\n"))


@app.command("set-default")
def set_default_command(name: str) -> None:
    """Choose the plan that REJECTED (and REJECT, REJECTION) starts."""
    runtime = state.ready()
    with runtime.sessions.begin() as session:
        version = plan_store.set_default(session, name)
    typer.echo(f"REJECTED now starts plan {version.name} (v{version.version} and later)")


def _resolve(name: str) -> Plan:
    """A plan file, a stored plan, or (with no database yet) a shipped plan."""
    path = Path(name)
    if name.endswith((".yaml", ".yml")) and path.exists():
        return load_plan(_read(path), name)
    runtime = state.runtime()
    # Preview works before any database exists: fall back to the plans onward ships.
    if not database_exists(runtime.settings.database_url) or not schema_is_current(runtime.engine):
        if name in shipped_plan_names():
            return load_plan(shipped_plan_source(name), f"{name}.yaml")
        require_current(runtime.engine)
    with runtime.sessions() as session:
        return plan_store.parsed(plan_store.require_latest(session, name))


@app.command("preview")
def preview_command(
    name: str = typer.Argument(..., help="A stored plan's name, or a YAML file."),
    at: str | None = typer.Option(
        None, "--at", help="When the rejection is reported (ISO-8601; default now)."
    ),
    tz: str = typer.Option("UTC", "--tz", help="The person's IANA time zone."),
    json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """When each nudge would reach a person in zone TZ, for a rejection reported --at."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"--tz: unknown time zone {tz!r} (use an IANA name like Europe/London)"
        ) from None
    anchor = _parse_at(at, tz) if at else state.runtime().clock.now()
    try:
        plan = _resolve(name)
    except PlanError as exc:
        raise UsageError(str(exc.issues[0]) if exc.issues else str(exc)) from None
    settings = state.runtime().settings
    rows = preview(plan, anchor, tz, settings.send_window, org=settings.org_name)
    if json:
        print_json([row.as_json() for row in rows])
        return
    print_table(
        [
            {
                **row.as_json(),
                "due_utc": row.due_utc.strftime("%d %b %H:%M"),
                "due_local": row.due_local.strftime("%a %d %b %H:%M"),
                "moved_by_window": row.moved_by_window,
            }
            for row in rows
        ],
        ["step", "kind", "due_utc", "due_local", "moved_by_window", "text"],
        f"plan {plan.name} for a rejection at {anchor.isoformat()} ({tz})",
    )


def _parse_at(text: str, zone: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--at: not an ISO-8601 time: {text!r}") from None
    if value.tzinfo is None:  # a wall time in the person's own zone
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(UTC)

"""`onward plans`: list, show, validate, add and order the stored plans, and choose the default.

(`onward plans preview` is plan_preview.py's, added to this group by the CLI's wiring.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from sqlalchemy.orm import Session

from onward.engine import plan_choice, plan_store
from onward.engine.cli.output import print_json, print_table, stdout, warning_line
from onward.engine.cli.state import state
from onward.engine.errors import NotFound, UsageError
from onward.engine.inbound.commands import parse_command
from onward.engine.inbound.intents import Rejected
from onward.plans import PlanIssue, validate_plan
from onward.plans.rules import When

app = typer.Typer(help="Recovery plans written in YAML.", no_args_is_help=True)


def read_file_argument(path: Path) -> str:
    """A file named on the command line; a missing or unreadable one is a one-line error."""
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
    report = validate_plan(read_file_argument(file), str(file))
    _print_issues(report.errors, report.warnings)
    if report.errors:
        raise typer.Exit(1)
    assert report.plan is not None
    typer.echo(f"{file}: plan {report.plan.name!r} is valid ({len(report.plan.steps)} steps)")


@app.command("add")
def add_command(file: Path = typer.Argument(..., help="The plan's YAML file.")) -> None:
    """Store a plan as a new immutable version (running plans keep theirs)."""
    source = read_file_argument(file)
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
    """The stored plans, their latest version, which one REJECTED starts and what starts each."""
    runtime = state.ready()
    with runtime.sessions() as session:
        summaries = plan_store.list_plans(session)
        triggers = plan_store.trigger_keywords(session)
        live = {
            s.name: [w for w in s.keywords if _starts(session, w, s.name, triggers)]
            for s in summaries
        }
        rules = {s.name: _rules_of(session, s.name) for s in summaries}
        order = plan_choice.plan_order(session)
    rows: list[dict[str, Any]] = [
        {
            "name": s.name,
            "version": s.version,
            "versions": s.versions,
            "default": s.is_default,
            "keywords": list(s.keywords),
            "live_keywords": live[s.name],
            "steps": s.steps,
            "order": order.index(s.name) + 1 if s.name in order else None,
            "when": _when_json(rules[s.name]),
        }
        for s in summaries
    ]
    if json:
        print_json(rows)
        return
    print_table(
        [
            {
                "name": f"{s.name} *" if s.is_default else s.name,
                "version": s.version,
                "versions": s.versions,
                "starts on": _keywords_cell(list(s.keywords), live[s.name], s.is_default),
                "steps": s.steps,
                "when": _when_cell(rules[s.name], order, s.name),
            }
            for s in summaries
        ],
        ["name", "version", "versions", "starts on", "steps", "when"],
        "plans",
        caption="* the default plan; (WORD): taken first by another plan or a command\n"
        "when: REJECTED checks these rules in the order numbered (onward plans order)",
    )


def _rules_of(session: Session, name: str) -> When | None:
    return plan_store.parsed(plan_store.require_latest(session, name)).when


def _when_json(when: When | None) -> dict[str, Any] | None:
    return None if when is None else when.model_dump(exclude_none=True)


def _when_cell(when: When | None, order: list[str], name: str) -> str | None:
    if when is None:
        return None
    # Words, not field names, so a narrow column wraps between them.
    rules = "; ".join(rule.replace("_", " ") for rule in when.describe())
    if name not in order:
        return f"{rules} (not in the order)"
    return f"{order.index(name) + 1}. {rules}"


def _starts(session: Session, keyword: str, plan: str, triggers: frozenset[str]) -> bool:
    """Does a person texting the bare keyword start this plan? Not when a text command reads
    the word first (TIMEZONE) or another plan claims it before this one."""
    read_as = parse_command(keyword, triggers)
    if not isinstance(read_as, Rejected):
        return False
    return plan_store.plan_for_keyword(session, read_as.keyword).name == plan


def _keywords_cell(keywords: list[str], live: list[str], is_default: bool) -> str:
    words = [] if not is_default or "REJECTED" in keywords else ["REJECTED"]
    words += [word if word in live else f"({word})" for word in keywords]
    return " ".join(words) or "-"


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


@app.command("order")
def order_command(
    names: list[str] | None = typer.Argument(
        None, help="Plans with when: rules, in the order REJECTED checks them."
    ),
    clear: bool = typer.Option(False, "--clear", help="Check no plan's rules: always the default."),
) -> None:
    """Which plans REJECTED checks, in turn, before the default: the first whose when: rules
    all hold starts. With no names, print the order."""
    if names and clear:
        raise UsageError("--clear: give plan names or --clear, not both")
    runtime = state.ready()
    with runtime.sessions.begin() as session:
        if names or clear:
            plan_choice.set_plan_order(session, names or [])
        order = [(name, _rules_of(session, name)) for name in plan_choice.plan_order(session)]
        default = plan_store.default_plan_name(session)
    if not order:
        typer.echo(f"REJECTED checks no plan's rules: it starts the default plan, {default}")
        return
    typer.echo("REJECTED checks, in turn:")
    for position, (name, when) in enumerate(order, 1):
        rules = ", ".join(when.describe()) if when else "no when: rules, passed over"
        typer.echo(f"  {position}. {name} ({rules})")
    typer.echo(f"and when none matches, the default plan: {default}")

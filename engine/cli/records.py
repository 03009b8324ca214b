"""`onward people export` (a subject access request) and `onward people import` (a cohort who
consented); registered on the `people` group by the CLI's root."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from onward.engine import people as people_ops
from onward.engine.cli.output import json_text, print_json, stdout, warning_line
from onward.engine.cli.state import state
from onward.engine.errors import NotFound, OnwardError, UsageError
from onward.engine.records import cohort
from onward.engine.records.cohort_csv import CohortFileError, Refusal, read_cohort
from onward.engine.records.subject_export import collect
from onward.engine.records.subject_page import to_html

WHO_HELP = "A phone number in any common format, or an email address."


def export_command(
    who: str = typer.Argument(..., metavar="PHONE_OR_EMAIL", help=WHO_HELP),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Write the JSON to FILE and a readable page beside it (FILE with .html); "
        "both readable by you only. Without it the JSON is printed.",
    ),
) -> None:
    """Everything held about one person (profile, consent, runs, messages, journal), for a
    subject access request."""
    runtime = state.ready()
    with runtime.sessions() as session:
        person = people_ops.lookup(session, who)
        data = collect(session, person, runtime.clock.now())
    if out is None:
        print_json(data)
        return
    page = out.with_suffix(".html")
    if page == out:
        raise UsageError("--out: name the JSON file (the page is written beside it as .html)")
    _write_private(out, json_text(data))
    lang = data["profile"]["language"]  # the page is for the person: in their language
    _write_private(page, to_html(data, runtime.settings.org_name, lang))
    stdout.print(f"wrote {out} and {page}", highlight=False)


def _write_private(path: Path, text: str) -> None:
    """A person's data: created readable by the operator only (0600), replacing any old file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise OnwardError(f"{path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")


def import_command(
    file: Path = typer.Argument(..., metavar="FILE.csv", help="The cohort: see the README."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row; import nothing."),
    json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Enrol a cohort who consented: one welcome message each, nothing else until they report a
    rejection. Refused rows are listed with their line; the rest are imported together."""
    text = _read(file)
    runtime = state.ready()
    now = runtime.clock.now()
    try:
        rows, refused = read_cohort(text, now.date())
    except CohortFileError as exc:
        raise UsageError(f"{file}: {exc}") from None
    enrolled: list[cohort.Enrolled] = []
    # One transaction: what is checked is what is written, and all of it or none goes in.
    with runtime.sessions.begin() as session:
        accepted = []
        for row in rows:
            refusal = cohort.refusal_for(session, row)
            if refusal is None:
                accepted.append(row)
            else:
                refused.append(refusal)
        if accepted and not dry_run:
            welcome = cohort.welcome_version(session, runtime.settings.org_name, runtime.clock)
            enrolled = [
                cohort.enrol(session, row, file.name, welcome, now, runtime.settings.send_window)
                for row in accepted
            ]
    refused.sort(key=lambda r: r.line)
    _report(file, enrolled, len(accepted), refused, dry_run, json)
    if refused:
        raise typer.Exit(1)


def _report(
    file: Path,
    enrolled: list[cohort.Enrolled],
    accepted: int,
    refused: list[Refusal],
    dry_run: bool,
    json: bool,
) -> None:
    if json:
        data: dict[str, Any] = {
            "dry_run": dry_run,
            "imported": [
                {
                    "line": e.line,
                    "person": e.person_id,
                    "address": e.address,
                    "welcome_due": e.welcome_due,
                }
                for e in enrolled
            ],
            "would_import": accepted if dry_run else len(enrolled),
            "refused": [{"line": r.line, "reason": r.reason} for r in refused],
        }
        print_json(data)
        return
    for refusal in refused:
        warning_line(f"{file}:{refusal.line}: {refusal.reason}")
    verb = "would import" if dry_run else "imported"
    count = accepted if dry_run else len(enrolled)
    stdout.print(
        f"{verb} {count} {'person' if count == 1 else 'people'}, refused {len(refused)} "
        f"row{'s' if len(refused) != 1 else ''}",
        highlight=False,
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotFound(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text (save the sheet as CSV UTF-8)") from None
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}") from None

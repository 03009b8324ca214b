"""Destructive commands: ask on a terminal, take --yes, refuse when nobody can answer."""

from __future__ import annotations

import sys

import typer

from onward.engine.errors import UsageError

YES_HELP = "Do it without asking (needed when not on a terminal)."


def on_terminal() -> bool:
    """Whether a person can answer a question: standard input is an interactive terminal."""
    stream = sys.stdin
    # Closed or missing stdin (a service, `< /dev/null`, pythonw) cannot answer either.
    if stream is None or stream.closed:
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def confirm_destructive(question: str, *, verb: str, yes: bool) -> None:
    """Return when the operator agreed (or passed --yes); otherwise stop the command.

    Without a terminal and without --yes this is bad usage (exit 2): a script that forgot
    --yes must not erase anything, and must not hang on a question nobody will answer.
    Declining the question aborts (exit 1) with nothing changed.
    """
    if yes:
        return
    if not on_terminal():
        raise UsageError(f"refusing to {verb} without --yes when not on a terminal")
    if not typer.confirm(question, default=False):
        raise typer.Abort()

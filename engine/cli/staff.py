"""`onward staff`: the coaches and admins who sign in to the console."""

from __future__ import annotations

import sys

import typer

from onward.engine.cli.confirm import on_terminal
from onward.engine.cli.output import print_json, print_table, stdout
from onward.engine.cli.state import state
from onward.engine.coaches import staff as staff_ops
from onward.engine.errors import UsageError

app = typer.Typer(
    help="Staff who sign in to the console (coaches and admins).", no_args_is_help=True
)
COLUMNS = ["email", "name", "role", "status", "created_at"]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif on_terminal():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        raise UsageError("no terminal to ask for a password: pass --password-stdin")
    if not password:
        raise UsageError("the password is empty")
    return password


@app.command("add")
def add_command(
    email: str = typer.Argument(..., help="Their email address: what they sign in with."),
    role: str = typer.Option(
        ..., "--role", help="coach, or admin (a coach who also manages staff and plans)."
    ),
    name: str = typer.Option(
        "", "--name", help="How coaches and people see them (default: the address's name)."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of standard input."
    ),
) -> None:
    """Add a coach or an admin. Asks for the password on a terminal."""
    runtime = state.ready()
    password = _password(password_stdin)
    with runtime.sessions.begin() as session:
        member = staff_ops.add_staff(session, email, role, name, password, runtime.clock.now())
        stdout.print(f"added {member.email} as {member.role}", highlight=False, markup=False)


@app.command("list")
def list_command(json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Everyone on the staff, active or disabled."""
    runtime = state.ready()
    with runtime.sessions() as session:
        rows = [
            {
                "email": m.email,
                "name": m.name,
                "role": m.role,
                "status": "active" if m.active else "disabled",
                "created_at": m.created_at,
                "disabled_at": m.disabled_at,
            }
            for m in staff_ops.list_staff(session)
        ]
    if json:
        print_json(rows)
    else:
        print_table(rows, COLUMNS, title="staff")


@app.command("disable")
def disable_command(email: str = typer.Argument(..., help="Their email address.")) -> None:
    """Stop someone signing in; their open console sessions end at their next click."""
    runtime = state.ready()
    with runtime.sessions.begin() as session:
        member = staff_ops.disable_staff(session, email, runtime.clock.now())
        stdout.print(f"disabled {member.email}", highlight=False, markup=False)

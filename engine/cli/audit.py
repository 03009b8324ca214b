"""`onward audit`: who in the staff saw or did what about whom, latest first."""

from __future__ import annotations

import typer

from onward.engine import audit as audit_ops
from onward.engine.cli.output import print_json, print_table
from onward.engine.cli.state import state

app = typer.Typer(help="The audit log of staff access and actions.", no_args_is_help=True)
COLUMNS = ["at", "staff", "action", "person", "detail"]


@app.command("list")
def list_command(
    json: bool = typer.Option(False, "--json", help="Print JSON."),
    limit: int = typer.Option(500, "--limit", min=1, help="How many entries, latest first."),
) -> None:
    """Every view of a person's page or journal, every reply, every take and hand-back."""
    runtime = state.ready()
    with runtime.sessions() as session:
        rows = [row.as_json() for row in audit_ops.entries(session, limit)]
    if json:
        print_json(rows)
    else:
        print_table(rows, COLUMNS, title="audit entries")

"""`onward consent`: one person's consent ledger, and revocations that reached an operator."""

from __future__ import annotations

import typer

from onward.engine import consent_ledger, runs
from onward.engine import people as people_ops
from onward.engine.cli.output import print_json, print_table, stdout
from onward.engine.cli.state import state
from onward.engine.errors import UsageError

app = typer.Typer(help="Who consented, when and how; every revocation.", no_args_is_help=True)
WHO_HELP = "A phone number in any common format, or an email address."
COLUMNS = ["recorded_at", "medium", "event", "status", "how", "detail", "said", "given_at"]


@app.command("list")
def list_command(
    who: str = typer.Argument(..., metavar="PHONE_OR_EMAIL", help=WHO_HELP),
    json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Every opt-in, opt-out, revocation and re-subscription of one person, oldest first."""
    with state.ready().sessions() as session:
        person = people_ops.lookup(session, who)
        rows = consent_ledger.ledger_rows(session, person.id)
    if json:
        print_json(rows)
    else:
        print_table(rows, COLUMNS, f"consent of person {person.id}")


@app.command("revoke")
def revoke_command(
    who: str = typer.Argument(..., metavar="PHONE_OR_EMAIL", help=WHO_HELP),
    medium: str = typer.Option(
        "all", "--medium", help="sms, email, or all (every medium they have)."
    ),
    reason: str = typer.Option(
        ..., "--reason", help="How they asked (a call, a letter...): kept on the ledger."
    ),
) -> None:
    """Record a revocation that reached a person on the staff (by any reasonable means): nothing
    more is sent on that medium. There is no operator opt-in: only the person can opt back in."""
    if medium not in ("sms", "email", "all"):
        raise UsageError("--medium: use sms, email or all")
    runtime = state.ready()
    with runtime.sessions.begin() as session:
        person = people_ops.lookup(session, who)
        mediums = [
            m for m in ("sms", "email") if medium in (m, "all") and people_ops.address_on(person, m)
        ]
        if not mediums:
            raise UsageError(f"person {person.id} has no {medium} address")
        how = consent_ledger.by_operator(f"onward consent revoke: {reason}")
        for m in mediums:
            runs.opt_out(session, person, m, runtime.clock.now(), how)
        label = person.phone or person.email
    stdout.print(f"{label}: opted out of {', '.join(mediums)}", highlight=False)

"""`onward deliveries`: what was handed to a provider and what became of it; retry a failed one."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from onward.engine import deliveries as delivery_ops
from onward.engine.cli.output import print_json, print_table, stdout
from onward.engine.cli.state import state
from onward.engine.deliveries import IN_REPLY
from onward.engine.errors import UsageError
from onward.engine.storage.models import Delivery, Step, status_is

app = typer.Typer(help="Deliveries: each message handed to a provider.", no_args_is_help=True)

FAILED_STATUSES = ("failed", "undelivered")
UNKNOWN_HINT = (
    "Each of these may or may not have reached the person: the sender stopped before the "
    "provider answered. Where the provider lists what it sent (Twilio), the daemon settles them "
    "itself; for the others, look the message up with the provider, and only if it never left, "
    "send it again with the retry command shown."
)
LIST_COLUMNS = [
    "id",
    "run",
    "step",
    "channel",
    "address",
    "status",
    "provider_id",
    "error",
    "note",
    "attempts",
    "updated_at",
]
# What a table shows in 80 columns; --json has every key.
LIST_TABLE = ["id", "step", "channel", "address", "status", "error", "note", "updated_at"]


def delivery_rows(
    session: Session, *where: ColumnElement[bool], limit: int | None = None
) -> list[dict[str, Any]]:
    """Deliveries as the listings show them, newest first, each with its plan step's id."""
    # Immediate replies have no step: an outer join keeps them, with step null.
    query = (
        select(Delivery, Step.step_key)
        .outerjoin(Step, Step.id == Delivery.step_id)
        .where(*where)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .limit(limit)
    )
    return [
        {
            "id": delivery.id,
            "run": delivery.run_id,
            "step": step_key,
            "channel": delivery.channel,
            "medium": delivery.medium,
            "address": delivery.address,
            "status": delivery.status,
            "provider_id": delivery.provider_id,
            "error": None if delivery.error == IN_REPLY else delivery.error,
            "note": IN_REPLY if delivery.error == IN_REPLY else None,
            "error_code": delivery.error_code,
            "attempts": delivery.attempts,
            "created_at": delivery.created_at,
            "updated_at": delivery.updated_at,
        }
        for delivery, step_key in session.execute(query)
    ]


@app.command("list")
def list_command(
    failed: bool = typer.Option(False, "--failed", help="Only failed or undelivered ones."),
    unknown: bool = typer.Option(
        False, "--unknown", help="Only sends in doubt: the provider may or may not have them."
    ),
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many, newest first."),
    json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Deliveries, newest first: channel, address, provider id and status."""
    if failed and unknown:
        raise UsageError("--failed and --unknown list different deliveries: give one of them")
    runtime = state.ready()
    where: list[ColumnElement[bool]] = []
    if failed:
        where.append(Delivery.status.in_(FAILED_STATUSES))
    if unknown:
        where.append(status_is(Delivery.status, "unknown"))
    with runtime.sessions() as session:
        rows = delivery_rows(session, *where, limit=limit)
    if unknown:
        for row in rows:
            row["retry"] = f"onward deliveries retry {row['id']}"
    if json:
        print_json(rows)
        return
    title = "failed deliveries" if failed else "sends in doubt" if unknown else "deliveries"
    print_table(rows, [*LIST_TABLE, "retry"] if unknown else LIST_TABLE, title)
    if unknown and rows:
        stdout.print(UNKNOWN_HINT, highlight=False)


@app.command("retry")
def retry_command(delivery_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Queue a failed delivery's step again, due now; quiet hours and opt-outs still apply."""
    runtime = state.ready()
    with runtime.sessions.begin() as session:
        delivery = delivery_ops.retry(session, delivery_id, runtime.clock.now())
        step = session.get(Step, delivery.step_id) if delivery.step_id is not None else None
        if step is None:  # retry() checked it exists; this keeps the types honest
            raise UsageError(f"delivery {delivery_id} has no step to send again")
        step_key, run_id, address = step.step_key, step.run_id, delivery.address
    stdout.print(
        f"delivery {delivery_id}: step {step_key!r} of run {run_id} is queued again for "
        f"{address}; the daemon sends it at its next tick (quiet hours and opt-outs still apply)",
        highlight=False,
    )

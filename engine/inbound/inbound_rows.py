"""The stored inbound message's row: its values, the plain statements that write it and what
acting on it did, and the reads housekeeping makes of the rows. Plain (Core) statements, built
once: the ORM's unit of work costs more than these do."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.orm import Session

from onward.channels import InboundMessage
from onward.engine.inbound.context import Incoming, Outcome
from onward.engine.journal.links import redacted
from onward.engine.storage.bulk_rows import insert_one, update_one
from onward.engine.storage.db import READ_ONLY
from onward.engine.storage.models import InboundMessage as InboundRow

MAX_HANDLING_ATTEMPTS = 5

TABLE = cast(Table, InboundRow.__table__)
# Each routing attempt counts one; its parameters set what it gave (the outcome, or the error).
ATTEMPT = (
    update(TABLE).where(TABLE.c.id == bindparam("row_id")).values(attempts=TABLE.c.attempts + 1)
)


def row_values(message: InboundMessage, now: datetime) -> dict[str, object]:
    return {
        "channel": message.channel,
        "provider_message_id": message.provider_message_id,
        "medium": message.medium,
        "sender": message.sender,
        "recipient": message.recipient or "",
        # PostgreSQL text cannot hold NUL: a stray one must not cost the whole message.
        "subject": printable(message.subject or ""),
        "body": printable(message.body),
        "received_at": message.received_at or now,
        "attempts": 0,
    }


def store(plain: Connection, values: dict[str, object]) -> int:
    """The message's row written (IntegrityError when its channel and provider id are taken);
    returns its id."""
    row = insert_one(plain, TABLE, values)
    assert row is not None
    return int(row[0])


def incoming(row_id: int, message: InboundMessage, live: bool) -> Incoming:
    return Incoming(
        row_id,
        message.channel,
        message.medium,
        message.sender,
        printable(message.body),
        live,
        subject=printable(message.subject or ""),
        extra=dict(message.extra),
        provider_answered=message.provider_answered,
        attachments=message.attachments,
    )


def write_outcome(
    plain: Connection,
    msg: Incoming,
    outcome: Outcome,
    now: datetime,
    replies_inline: bool,
    attempts: int,
) -> None:
    """What acting on a message did, written on its row with the count of `attempts` made (this
    one included): the driver's own UPDATE (bulk_rows.update_one), as the row was inserted."""
    if outcome.erased:
        return  # FORGET took the row with everything else
    update_one(
        plain,
        TABLE,
        msg.id,
        {
            "attempts": attempts,
            "person_id": outcome.person_id,
            "command": outcome.command,
            "reply": redacted(outcome.reply),  # a one-time link is not kept
            "handled_at": now,
            "error": None,
            # A reply that cannot ride in the answer to the provider's open request is owed:
            # the Replier sends it (or housekeeping, if nobody else will).
            "reply_owed": True if outcome.reply and not (msg.live and replies_inline) else None,
        },
    )


def owed_replies(
    session: Session, received_since: datetime, handled_before: datetime
) -> list[tuple[int, str]]:
    session.connection(execution_options=READ_ONLY)
    rows = session.execute(
        select(InboundRow.id, InboundRow.reply)
        .where(
            InboundRow.received_at >= received_since,
            InboundRow.reply_owed.is_(True),
            InboundRow.handled_at <= handled_before,
        )
        .order_by(InboundRow.id)
        .limit(100)
    ).all()
    return [(row_id, reply) for row_id, reply in rows if reply]


def unhandled_ids(session: Session, received_before: datetime) -> list[int]:
    return list(
        session.scalars(
            select(InboundRow.id)
            .where(
                InboundRow.handled_at.is_(None),
                InboundRow.attempts < MAX_HANDLING_ATTEMPTS,
                InboundRow.received_at <= received_before,
            )
            .order_by(InboundRow.id)
            .limit(100)
        )
    )


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def printable(text: str) -> str:
    return text.replace("\x00", "")

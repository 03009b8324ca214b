"""One-off sends whose sender stopped mid-call: a journal copy or a coach's reply left `sending`.

Both are taken (`sending`) and given a delivery in one transaction, the provider is called with
none open, and the answer is recorded in a second. A process killed in between left them
`sending` for ever: the person's copy or the coach's words neither sent again nor shown as in
doubt. Housekeeping now treats them as the dispatcher treats a nudge whose sender lost its lease
(in_doubt.mark_in_doubt): once no call can still be running, the delivery becomes `unknown`, is
never sent twice on onward's own, and is settled by the provider where it can tell
(reconcile.py) or listed for an operator (`onward deliveries list --unknown`); the copy or the
reply says `unknown` too (the coach sees it on the person's page; the person can text JOURNAL
again). One whose delivery a status callback moved on meanwhile was sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onward.engine.deliveries import set_state
from onward.engine.logs import get_logger
from onward.engine.storage.console_models import CoachMessage
from onward.engine.storage.journal_models import (
    COPY_SENDING,
    COPY_SENT,
    COPY_UNKNOWN,
    JournalCopy,
)
from onward.engine.storage.models import Delivery

log = get_logger("onward.dispatch")

# Far longer than any provider call may take (the channels time out within a minute).
STALLED_AFTER = timedelta(minutes=10)
STALLED = "the sender stopped before recording the provider's answer; not re-sent"
# (the owner's table, its status when sent, when in doubt)
_OWNERS: tuple[tuple[Any, str, str], ...] = (
    (JournalCopy, COPY_SENT, COPY_UNKNOWN),
    (CoachMessage, "sent", "unknown"),
)


def settle_stalled(session: Session, now: datetime) -> int:
    """Journal copies and coach replies left `sending` by a sender that stopped: `unknown`,
    with their delivery, or `sent` where a callback says so. Returns how many."""
    settled = 0
    for owner, sent, in_doubt in _OWNERS:
        stalled = session.execute(
            select(owner, Delivery)
            .join(Delivery, Delivery.id == owner.delivery_id)
            .where(owner.status == COPY_SENDING, Delivery.updated_at < now - STALLED_AFTER)
            .with_for_update(of=owner, skip_locked=True)
        ).all()
        for row, delivery in stalled:
            if delivery.status == "sending" and delivery.provider_id is None:
                set_state(delivery, "unknown", now)
                delivery.error = STALLED
                row.status, row.error = in_doubt, STALLED
                log.warning("a one-off send is in doubt", table=owner.__tablename__, id=row.id)
            else:  # a status callback moved it on: the provider had it
                row.status, row.error = sent, None
            settled += 1
    return settled

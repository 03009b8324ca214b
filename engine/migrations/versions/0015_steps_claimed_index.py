"""steps: the index on (status, due_at) goes; a partial index holds the claimed steps

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 19:00:00.000000

Every step row had an entry in `ix_steps_status_due_at`, and every change of its status moved
that entry: a new run's ten steps wrote ten, and each step the dispatcher sends moved twice
(pending to claimed, claimed to sent). The dispatcher reads pending steps by due time through
`ix_steps_pending_due_at` (0003), which holds only the waiting ones; what it also needs is the
claimed steps whose lease ran out, a few at any moment: `ix_steps_claimed_lease_until` holds
those alone. Everything else that reads steps by status reads one run's or a few runs' steps
(by `ix_steps_run_id`); `onward runs list` now looks up each run's next due time so too.

A replica of the previous release beside this one still finds its claims indexed: on SQLite
the statement is prepared with the status bound and may use a partial index; on PostgreSQL its
look for expired leases may read the table until it is upgraded too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

CLAIMED = sa.text("status = 'claimed'")


def upgrade() -> None:
    op.create_index(
        "ix_steps_claimed_lease_until",
        "steps",
        ["lease_until"],
        unique=False,
        sqlite_where=CLAIMED,
        postgresql_where=CLAIMED,
    )
    op.drop_index("ix_steps_status_due_at", table_name="steps")


def downgrade() -> None:
    op.create_index("ix_steps_status_due_at", "steps", ["status", "due_at"], unique=False)
    op.drop_index("ix_steps_claimed_lease_until", table_name="steps")

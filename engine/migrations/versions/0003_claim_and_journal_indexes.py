"""claim and journal indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 19:45:00.000000

Indexes only (expand): replicas of the previous release run unchanged beside them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    # The claim reads pending steps in (due_at, id) order and stops after a batch: with this
    # index it never sorts, and its plan does not depend on fresh statistics.
    op.create_index(
        "ix_steps_pending_due_at",
        "steps",
        ["due_at", "id"],
        unique=False,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    # Each batch reads its runs' journal answers.
    op.create_index(op.f("ix_journal_entries_run_id"), "journal_entries", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_journal_entries_run_id"), table_name="journal_entries")
    op.drop_index("ix_steps_pending_due_at", table_name="steps")

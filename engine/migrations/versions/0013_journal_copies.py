"""journal copies

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 09:00:00.000000

Expand only: one new table, so replicas of the previous release run unchanged beside it.
`journal_copies` holds what JOURNAL asked for: an email of the journal waiting to be sent, or a
one-time link (kept as the digest of its token, with when it was used). FORGET erases the rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from onward.engine.storage.declarative import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journal_copies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=True),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_journal_copies_delivery_id_deliveries"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_journal_copies_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_copies")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_journal_copies_token_digest")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("journal_copies", schema=None) as batch_op:
        batch_op.create_index("ix_journal_copies_status_due_at", ["status", "due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_journal_copies_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("journal_copies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_copies_person_id"))
        batch_op.drop_index("ix_journal_copies_status_due_at")
    op.drop_table("journal_copies")

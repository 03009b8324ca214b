"""footer and escalations

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 01:34:17.791828

Expand only: a new table and two nullable columns, so replicas of the previous release run
unchanged beside them. `escalations` holds each alert to an on-call person until it is
delivered; `people.sms_footer_at` / `email_footer_at` remember when a message last told the
person how to stop (NULL: never, so their next message says it).

(The file is numbered 0005 to keep the sequence of this branch; its revision id is 0010.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from onward.engine.storage.declarative import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("person_address", sa.String(length=320), nullable=False),
        sa.Column("person_medium", sa.String(length=8), nullable=False),
        sa.Column("inbound_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("medium", sa.String(length=8), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("provider_id", sa.String(length=128), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["inbound_id"],
            ["inbound_messages.id"],
            name=op.f("fk_escalations_inbound_id_inbound_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_escalations_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index("ix_escalations_due", ["sent_at", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_escalations_person_id"), ["person_id"], unique=False)

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sms_footer_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column(
                "email_footer_at",
                UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("email_footer_at")
        batch_op.drop_column("sms_footer_at")

    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_person_id"))
        batch_op.drop_index("ix_escalations_due")

    op.drop_table("escalations")

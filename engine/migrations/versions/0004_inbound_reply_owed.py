"""inbound reply owed

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 22:50:00.000000

A nullable column and an index (expand): replicas of the previous release run unchanged
beside them. Rows they write leave the column NULL, which means "nothing owed": their replies
went out as before, so nothing is ever sent a second time because of this migration.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # True while a message's reply could not ride with the webhook's answer (email; or the
    # message was routed again by housekeeping) and has not been sent as a message of its own.
    with op.batch_alter_table("inbound_messages") as batch:
        batch.add_column(sa.Column("reply_owed", sa.Boolean(), nullable=True))
    # Housekeeping looks for owed replies among the last hour's messages.
    op.create_index(
        op.f("ix_inbound_messages_received_at"), "inbound_messages", ["received_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_inbound_messages_received_at"), table_name="inbound_messages")
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_column("reply_owed")

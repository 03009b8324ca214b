"""inbound replied_at

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 22:50:00.000000

A nullable column only (expand): replicas of the previous release run unchanged beside it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from onward.engine.db import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # When a message's immediate reply reached its provider (in the webhook's answer, or as a
    # message of its own): what is handled but unanswered gets its reply from housekeeping.
    with op.batch_alter_table("inbound_messages") as batch:
        batch.add_column(sa.Column("replied_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_column("replied_at")

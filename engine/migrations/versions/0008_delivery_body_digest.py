"""delivery body digest

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 02:00:00.000000

A nullable column (expand): replicas of the previous release run unchanged beside them and
leave it NULL; a send in doubt without it is listed for an operator instead of settled.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A digest of the text handed to the provider: a send in doubt (the sender died mid-call)
    # is settled by finding that text among the messages the provider lists for the address.
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("body_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("body_digest")

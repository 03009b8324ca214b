"""interview prep

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 09:00:00.000000

Expand only: two nullable columns. `people.open_question` remembers the one question onward
asked and waits for ("When is it?" after INTERVIEW with no readable date);
`outcome_events.prep_step_id` ties an interview to the step that brings its prep nudge.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("open_question", sa.String(length=40), nullable=True))
    with op.batch_alter_table("outcome_events") as batch:
        batch.add_column(sa.Column("prep_step_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outcome_events") as batch:
        batch.drop_column("prep_step_id")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("open_question")

"""outcome events, experiment arms, steps.done_at

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 01:50:00.000000

Expand only (new tables, one nullable column): replicas of the previous release run unchanged
beside them. Outcomes known before this release move into events: each run's APPLIED count
becomes one event at the time of the person's first APPLIED text in that run (the run's start
when that text is gone), and every HIRED text becomes a hired event at the time it arrived.
runs.applied_count stays: plan texts still read it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from onward.engine.storage.declarative import UTCDateTime

# Typed result columns: SQLite hands back stored text, which the column type reads as a time.
_TIME = UTCDateTime(timezone=True)

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experiment_arms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("experiment", sa.String(length=64), nullable=False),
        sa.Column("arm", sa.String(length=40), nullable=False),
        sa.Column("assigned_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_experiment_arms_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_experiment_arms_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_arms")),
        sa.UniqueConstraint("run_id", name=op.f("uq_experiment_arms_run_id")),
    )
    op.create_index(
        op.f("ix_experiment_arms_person_id"), "experiment_arms", ["person_id"], unique=False
    )
    events = op.create_table(
        "outcome_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("company", sa.String(length=120), nullable=False),
        sa.Column("scheduled_for", UTCDateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_outcome_events_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_outcome_events_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_events")),
    )
    op.create_index(
        "ix_outcome_events_person_kind",
        "outcome_events",
        ["person_id", "kind", "occurred_at"],
        unique=False,
    )
    op.create_index(op.f("ix_outcome_events_run_id"), "outcome_events", ["run_id"], unique=False)
    with op.batch_alter_table("steps") as batch:
        batch.add_column(sa.Column("done_at", UTCDateTime(timezone=True), nullable=True))
    assert events is not None
    _migrate_outcomes(events)


def _migrate_outcomes(events: sa.Table) -> None:
    conn = op.get_bind()
    applied = conn.execute(
        sa.text(
            "SELECT r.id, r.person_id, r.applied_count, r.started_at, "
            "  (SELECT MIN(m.received_at) FROM inbound_messages m"
            "   WHERE m.person_id = r.person_id AND m.command = 'applied'"
            "     AND m.received_at >= r.started_at"
            "     AND (r.ended_at IS NULL OR m.received_at <= r.ended_at)) AS first_at "
            "FROM runs r WHERE r.applied_count > 0"
        ).columns(
            sa.column("id", sa.Integer()),
            sa.column("person_id", sa.Integer()),
            sa.column("applied_count", sa.Integer()),
            sa.column("started_at", _TIME),
            sa.column("first_at", _TIME),
        )
    ).all()
    hired = conn.execute(
        sa.text(
            "SELECT person_id, received_at FROM inbound_messages "
            "WHERE command = 'hired' AND person_id IS NOT NULL"
        ).columns(sa.column("person_id", sa.Integer()), sa.column("received_at", _TIME))
    ).all()
    rows = [
        {
            "person_id": person_id,
            "run_id": run_id,
            "kind": "applied",
            "count": count,
            "company": "",
            "source": "migrated",
            "occurred_at": first_at or started_at,
        }
        for run_id, person_id, count, started_at, first_at in applied
    ] + [
        {
            "person_id": person_id,
            "run_id": None,
            "kind": "hired",
            "count": 1,
            "company": "",
            "source": "migrated",
            "occurred_at": received_at,
        }
        for person_id, received_at in hired
    ]
    if rows:
        op.bulk_insert(events, rows)


def downgrade() -> None:
    with op.batch_alter_table("steps") as batch:
        batch.drop_column("done_at")
    op.drop_index(op.f("ix_outcome_events_run_id"), table_name="outcome_events")
    op.drop_index("ix_outcome_events_person_kind", table_name="outcome_events")
    op.drop_table("outcome_events")
    op.drop_index(op.f("ix_experiment_arms_person_id"), table_name="experiment_arms")
    op.drop_table("experiment_arms")

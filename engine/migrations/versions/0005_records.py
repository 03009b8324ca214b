"""records: consent ledger, suppression list, people's names, welcome runs

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 01:40:00.000000

(File named 0005 so the sequence test holds on this branch; the lead re-chains at merge.)

Expand only: a new table, a nullable column, a NOT NULL relaxed; replicas of the previous
release run unchanged beside them. Everyone already known gets one `baseline` ledger row per
medium they have, so the ledger and the status columns agree from the first minute.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from onward.engine.storage.declarative import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_NO_UPDATE_SQLITE = """
CREATE TRIGGER consent_events_append_only BEFORE UPDATE ON consent_events
BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END
"""
_NO_UPDATE_FUNCTION_PG = """
CREATE OR REPLACE FUNCTION consent_events_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'the consent ledger is append-only'; END $$ LANGUAGE plpgsql
"""
_NO_UPDATE_TRIGGER_PG = """
CREATE TRIGGER consent_events_append_only BEFORE UPDATE ON consent_events
FOR EACH ROW EXECUTE FUNCTION consent_events_append_only()
"""


def upgrade() -> None:
    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("medium", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=True),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("previous_status", sa.String(length=16), nullable=True),
        sa.Column("how", sa.String(length=24), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("inbound_id", sa.Integer(), nullable=True),
        sa.Column("disclosure_version", sa.String(length=32), nullable=True),
        sa.Column("given_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_consent_events_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    op.create_index(
        "ix_consent_events_person_medium",
        "consent_events",
        ["person_id", "medium", "id"],
        unique=False,
    )
    op.create_table(
        "suppressions",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("medium", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_suppressions")),
    )
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("name", sa.String(length=120), nullable=True))
        batch.create_index(batch.f("ix_people_updated_at"), ["updated_at"], unique=False)
    with op.batch_alter_table("runs") as batch:
        batch.alter_column("rejection_id", existing_type=sa.Integer(), nullable=True)
    _baseline()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_NO_UPDATE_FUNCTION_PG)
        op.execute(_NO_UPDATE_TRIGGER_PG)
    else:
        op.execute(_NO_UPDATE_SQLITE)


def _baseline() -> None:
    """One row per medium of everyone known: what their status was when the ledger began."""
    for medium, address, status in (
        ("sms", "phone", "sms_status"),
        ("email", "email", "email_status"),
    ):
        op.execute(
            f"INSERT INTO consent_events (person_id, medium, address, event, status, how, "
            f"detail, recorded_at) SELECT id, '{medium}', {address}, 'baseline', {status}, "
            f"'migration', 'status when the ledger began', updated_at FROM people "
            f"WHERE {address} IS NOT NULL"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS consent_events_append_only ON consent_events")
        op.execute("DROP FUNCTION IF EXISTS consent_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS consent_events_append_only")
    # Welcome runs answer no rejection: they cannot survive the NOT NULL coming back.
    op.execute("DELETE FROM runs WHERE rejection_id IS NULL")
    with op.batch_alter_table("runs") as batch:
        batch.alter_column("rejection_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("people") as batch:
        batch.drop_index(batch.f("ix_people_updated_at"))
        batch.drop_column("name")
    op.drop_table("suppressions")
    op.drop_index("ix_consent_events_person_medium", table_name="consent_events")
    op.drop_table("consent_events")

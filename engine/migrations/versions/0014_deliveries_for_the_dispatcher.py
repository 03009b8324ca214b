"""deliveries check their person only; an index of the sends not yet answered

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 02:00:00.000000

A delivery row named three parents with a foreign key each (its step, its run, its person), so
every row the dispatcher inserted cost PostgreSQL three lookups of rows the same transaction had
just read and locked: about a third of the batch's INSERT. The step and run keys go; the
person's stays, with its cascade: it is what takes along a delivery written while FORGET erases
that person (engine/people.forget deletes deliveries by person and by step itself, and nothing
else deletes steps or runs).

`ix_deliveries_unanswered` holds only the deliveries of steps handed to a provider whose answer
is not recorded yet (a few per dispatcher at any moment): how a dispatcher finds the sends a
dead one left in doubt without reading the table (engine/dispatch/in_doubt.mark_in_doubt).

On SQLite the table's CREATE statement is changed in place (SQLite's documented way to drop a
constraint without touching the rows, as 0010 does): rebuilding a table with foreign keys on
would delete its children's rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

UNANSWERED = sa.text("status = 'sending' AND provider_id IS NULL AND step_id IS NOT NULL")
DROPPED = (
    ("fk_deliveries_step_id_steps", "step_id", "steps"),
    ("fk_deliveries_run_id_runs", "run_id", "runs"),
)


def _clause(name: str, column: str, parent: str) -> str:
    return f"CONSTRAINT {name} FOREIGN KEY({column}) REFERENCES {parent} (id) ON DELETE CASCADE"


def upgrade() -> None:
    op.create_index(
        "ix_deliveries_unanswered",
        "deliveries",
        ["updated_at"],
        unique=False,
        sqlite_where=UNANSWERED,
        postgresql_where=UNANSWERED,
    )
    if op.get_bind().dialect.name == "sqlite":
        _rewrite(_without_parents)
        return
    for name, _column, _parent in DROPPED:
        op.drop_constraint(name, "deliveries", type_="foreignkey")


def downgrade() -> None:
    op.drop_index("ix_deliveries_unanswered", table_name="deliveries")
    if op.get_bind().dialect.name == "sqlite":
        _rewrite(_with_parents)
        return
    for name, column, parent in DROPPED:
        op.create_foreign_key(name, "deliveries", parent, [column], ["id"], ondelete="CASCADE")


def _without_parents(sql: str) -> str:
    for name, column, parent in DROPPED:
        sql = re.sub(r",\s*" + re.escape(_clause(name, column, parent)), "", sql)
    return sql


def _with_parents(sql: str) -> str:
    if "fk_deliveries_step_id_steps" in sql:
        return sql
    added = "".join(f", \n\t{_clause(*dropped)}" for dropped in DROPPED)
    return sql[: sql.rindex(")")].rstrip() + added + "\n)"


def _rewrite(change: Callable[[str], str]) -> None:
    conn = op.get_bind()
    create = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'deliveries'"
    ).scalar_one()
    changed = change(create)
    if changed == create:
        return
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        conn.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'deliveries'",
            (changed,),
        )
        conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = conn.exec_driver_sql("PRAGMA integrity_check").scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"the rewritten schema does not check out: {problems[:3]}")

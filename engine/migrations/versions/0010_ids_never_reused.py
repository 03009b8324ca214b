"""ids never reused; a per-person random value for links

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 02:00:00.000000

SQLite gives the id of the highest deleted row to the next insert unless the table says
AUTOINCREMENT: after FORGET, a forgotten person's old unsubscribe link (and old log lines, and
a late status callback naming a delivery id) would point at the next person. Every table with
an integer id is rebuilt with AUTOINCREMENT, rows and ids kept. PostgreSQL's sequences never
give an id twice: nothing to do there.

`people.link_key` is a random value per person that every link onward sends carries (signed):
a link can then never act on anyone but the person it was made for. People from before this
migration keep NULL, and their links as they were (engine/unsubscribe.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = (
    "people",
    "plan_versions",
    "inbound_messages",
    "rejections",
    "runs",
    "steps",
    "deliveries",
    "journal_entries",
    "provider_events",
    "consent_events",
    "outcome_events",
    "experiment_arms",
    "escalations",
    "staff",
    "signin_attempts",
    "audit_entries",
    "help_requests",
    "coach_messages",
)
_TABLE_PK = re.compile(r",\s*CONSTRAINT (\w+) PRIMARY KEY \(id\)")
_INLINE_PK = re.compile(r"\bid INTEGER NOT NULL CONSTRAINT (\w+) PRIMARY KEY AUTOINCREMENT")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rewrite_tables(_with_autoincrement, autoincrement=True)
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("link_key", sa.String(length=32), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE people DROP COLUMN link_key")  # no rebuild: SQLite 3.35+
        _rewrite_tables(_without_autoincrement, autoincrement=False)
    else:
        op.drop_column("people", "link_key")


def _with_autoincrement(sql: str) -> str:
    found = _TABLE_PK.search(sql)
    if found is None or "AUTOINCREMENT" in sql:
        return sql
    inline = f"id INTEGER NOT NULL CONSTRAINT {found[1]} PRIMARY KEY AUTOINCREMENT"
    return re.sub(r"\bid INTEGER NOT NULL\b", inline, _TABLE_PK.sub("", sql, count=1), count=1)


def _without_autoincrement(sql: str) -> str:
    found = _INLINE_PK.search(sql)
    if found is None:
        return sql
    plain = _INLINE_PK.sub("id INTEGER NOT NULL", sql, count=1)
    return plain[: plain.rindex(")")].rstrip() + f", \n\tCONSTRAINT {found[1]} PRIMARY KEY (id)\n)"


def _rewrite_tables(change: Callable[[str], str], *, autoincrement: bool) -> None:
    """Change each table's CREATE statement in place, SQLite's documented way for a change that
    leaves the stored rows as they are (an INTEGER PRIMARY KEY is the row id either way;
    AUTOINCREMENT only makes SQLite remember the highest one in `sqlite_sequence`).

    Rebuilding the tables instead would need foreign keys off, which cannot change inside the
    migration's transaction, and dropping a parent table with them on would delete its rows'
    children.
    """
    conn = op.get_bind()
    # The first AUTOINCREMENT table creates sqlite_sequence; this one exists only for that.
    conn.exec_driver_sql("CREATE TABLE _onward_sequence (id INTEGER PRIMARY KEY AUTOINCREMENT)")
    conn.exec_driver_sql("DROP TABLE _onward_sequence")
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        for table in TABLES:
            create = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).scalar_one()
            conn.exec_driver_sql(
                "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                (change(create), table),
            )
        conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    conn.exec_driver_sql("DELETE FROM sqlite_sequence")
    for table in TABLES if autoincrement else ():  # the highest id given so far
        conn.exec_driver_sql(
            "INSERT INTO sqlite_sequence (name, seq) "
            f'SELECT ?, COALESCE(MAX(id), 0) FROM "{table}"',
            (table,),
        )
    problems = conn.exec_driver_sql("PRAGMA integrity_check").scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"the rewritten schema does not check out: {problems[:3]}")

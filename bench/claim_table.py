"""The storage-limit baselines' table and claim statement: a bare `steps`-like table and the
batched claim a scheduler built on it would issue, in SQLAlchemy Core."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Update,
    select,
    text,
    update,
)

from onward.engine.clock import SystemClock

metadata = MetaData()
jobs = Table(
    "bench_claim",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("due_at", DateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("claimed_by", String(64)),
    Column("lease_until", DateTime),
)
Index("ix_bench_claim_status_due_at", jobs.c.status, jobs.c.due_at)
BATCH = 100


def fill(engine: Engine, rows: int) -> None:
    """(Re)create the table with `rows` pending rows, all due, due times spread over an hour."""
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text(
                    "INSERT INTO bench_claim (due_at, status) SELECT "
                    "now() AT TIME ZONE 'UTC' - (n % 3600) * interval '1 second', 'pending' "
                    "FROM generate_series(1, :rows) AS n"
                ),
                {"rows": rows},
            )
            conn.execute(text("ANALYZE bench_claim"))
        else:
            conn.execute(
                text(
                    "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq "
                    "WHERE n < :rows) INSERT INTO bench_claim (due_at, status) SELECT "
                    "strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || (n % 3600) || ' seconds'), "
                    "'pending' FROM seq"
                ),
                {"rows": rows},
            )


def claim_statement(worker: str, skip_locked: bool) -> Update:
    """UPDATE ... WHERE id IN (SELECT id ... ORDER BY due_at LIMIT 100) RETURNING id."""
    now = SystemClock().now().replace(tzinfo=None)  # the bare table stores naive UTC
    due = (
        select(jobs.c.id)
        .where(jobs.c.status == "pending", jobs.c.due_at <= now)
        .order_by(jobs.c.due_at)
        .limit(BATCH)
    )
    if skip_locked:
        due = due.with_for_update(skip_locked=True)
    return (
        update(jobs)
        .where(jobs.c.id.in_(due.scalar_subquery()))
        .values(status="claimed", claimed_by=worker, lease_until=now + timedelta(minutes=2))
        .returning(jobs.c.id)
    )


def claim_all(engine: Engine, worker: str) -> int:
    """Claim batches, one transaction (one commit) each, until a claim comes back empty."""
    claimed = 0
    skip_locked = engine.dialect.name == "postgresql"
    while True:
        with engine.begin() as conn:
            ids = conn.execute(claim_statement(worker, skip_locked)).scalars().all()
        if not ids:
            return claimed
        claimed += len(ids)

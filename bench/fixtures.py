"""Benchmark databases: real runs started through onward's own API, far-future filler rows copied
from them in bulk, steps made due at once, and SQLite files copied for each repetition.

    python bench/fixtures.py sqlite PATH --runs 1430 [--filler 990000]
    python bench/fixtures.py pg NAME --runs 1430 [--copies 9]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import emit, now_s, pg_url
from sqlalchemy import Connection, Engine, func, inspect, or_, select, text, update

from onward.engine.clock import SystemClock
from onward.engine.people import create_person
from onward.engine.plan_store import install_shipped_plans, parsed, require_latest
from onward.engine.run_start import start_run
from onward.engine.storage.db import create_db_engine, session_factory
from onward.engine.storage.migrate import upgrade
from onward.engine.storage.models import Person, PlanVersion, Run, Step
from onward.plans import SendWindow

ALWAYS_OPEN = "00:00-24:00"  # so the send window never moves a step the benchmark made due
RUN_CHUNK = 500


def phone(area: str, n: int) -> str:
    """A valid North American number, distinct for each n below 8,000,000."""
    return f"+1{area}{2_000_000 + n:07d}"


def build_runs(engine: Engine, runs: int, area: str = "415", first: int = 0) -> None:
    """Migrate, install the shipped plans and start `runs` runs of `standard`, one person each."""
    upgrade(engine)
    sessions = session_factory(engine)
    clock = SystemClock()
    with sessions.begin() as session:
        install_shipped_plans(session, clock)
    for start in range(first, first + runs, RUN_CHUNK):
        with sessions.begin() as session:
            version = require_latest(session, "standard")
            now = clock.now()
            for n in range(start, min(start + RUN_CHUNK, first + runs)):
                person = create_person(session, "sms", phone(area, n), now)
                person.send_window = ALWAYS_OPEN
                start_run(session, person, version, f"Company {n}", "Engineer", now, SendWindow.ANY)


def postpone_all(engine: Engine, days: int = 30) -> int:
    """Push every waiting step far out, so nothing falls due until a benchmark says so."""
    later = SystemClock().now() + timedelta(days=days)
    with engine.begin() as conn:
        waiting = update(Step).where(Step.status == "pending").values(due_at=later)
        return conn.execute(waiting).rowcount


def make_due(engine: Engine, limit: int | None = None, at: datetime | None = None) -> list[int]:
    """Make the first `limit` pending plan steps (not reminders) of active runs due now (or at
    `at`); returns their ids. Steps made due before, and not sent yet, are not chosen again.

    Steps counted in business days (`research` in the standard plan) are left out: on a
    weekend or a holiday the guards rightly move them to the next business day, and a burst
    must be the same whatever day the benchmark runs (6 steps a run, not 7)."""
    now = SystemClock().now()
    chosen = (
        select(Step.id)
        .join(Run, Run.id == Step.run_id)
        .where(Step.status == "pending", Step.reminder_of.is_(None), Run.status == "active")
        .where(Step.due_at > now + timedelta(days=1))
        .where(Step.step_key.not_in(business_day_keys(engine)))
        .order_by(Step.id)
    )
    if limit is not None:
        chosen = chosen.limit(limit)
    with engine.begin() as conn:
        # Only the people who still have a window (G4's new people): rewriting every row would
        # leave the drain a WAL of the whole table to checkpoint, a cost of the set-up, not of it.
        keeps_window = or_(Person.send_window.is_(None), Person.send_window != ALWAYS_OPEN)
        conn.execute(update(Person).where(keeps_window).values(send_window=ALWAYS_OPEN))
        ids = list(conn.scalars(chosen))
        for start in range(0, len(ids), 5000):
            part = ids[start : start + 5000]
            conn.execute(update(Step).where(Step.id.in_(part)).values(due_at=at or now))
    return ids


def business_day_keys(engine: Engine) -> list[str]:
    """The keys of the steps counted in business days, in every plan version stored."""
    sessions = session_factory(engine)
    with sessions() as session:
        plans = [parsed(version) for version in session.scalars(select(PlanVersion))]
    return sorted({step.id for plan in plans for step in plan.steps if step.business_days})


def count_pending(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(select(func.count()).select_from(Step).where(Step.status == "pending")) or 0
        )


def add_filler(engine: Engine, steps: int, days: int = 60) -> None:
    """Add `steps` pending, not-yet-due plan steps in runs of their own (SQLite, in bulk).

    Every row is a copy of a real row onward wrote (a person, a rejection, a run, its plan
    steps), with new ids, phone numbers and due times spread over the next `days` days: the
    indexes see what a database with that many people waiting would hold.
    """
    with engine.begin() as conn:
        template = conn.execute(
            select(Run.id, Run.person_id, Run.rejection_id).order_by(Run.id).limit(1)
        ).one()
        plan_rows = int(
            conn.scalar(
                select(func.count())
                .select_from(Step)
                .where(Step.run_id == template.id, Step.reminder_of.is_(None))
            )
            or 0
        )
        runs = -(-steps // plan_rows)
        bases = {
            table: int(conn.scalar(text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")))
            for table in ("people", "rejections", "runs")
        }
        params = {"last": runs - 1, "run": template.id, "person": bases["people"]}
        params |= {"rejection": bases["rejections"], "new_run": bases["runs"]}
        seq = "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < :last) "
        copies = {
            "people": (
                template.person_id,
                {"id": ":person + n", "phone": "printf('+1212%07d', 2000000 + n)"},
            ),
            "rejections": (
                template.rejection_id,
                {"id": ":rejection + n", "person_id": ":person + n"},
            ),
            "runs": (
                template.id,
                {"id": ":new_run + n", "person_id": ":person + n"}
                | {"rejection_id": ":rejection + n"},
            ),
        }
        for table, (row_id, overrides) in copies.items():
            _copy_rows(conn, table, overrides, f"t.id = {int(row_id)}", seq, params)
        overrides = {
            "run_id": ":new_run + n",
            "status": "'pending'",
            # The stored form of a UTC instant on SQLite: wall time with six fraction digits.
            "due_at": (
                "strftime('%Y-%m-%d %H:%M:%S', 'now', '+1 day', "
                f"'+' || ((n * 7919 + t.seq * 104729) % {days * 86400}) || ' seconds')"
                " || '.000000'"
            ),
        }
        where = f"t.run_id = {int(template.id)} AND t.reminder_of IS NULL"
        _copy_rows(conn, "steps", overrides, where, seq, params)


def _copy_rows(
    conn: Connection, table: str, overrides: dict[str, str], where: str, seq: str, params: dict
) -> None:
    """INSERT ... SELECT one copy of the matching rows for each n, columns as the schema has them;
    a table's own id is left to SQLite unless overridden."""
    columns = [c["name"] for c in inspect(conn).get_columns(table)]
    columns = [c for c in columns if c != "id" or "id" in overrides]
    chosen = ", ".join(overrides.get(c, f"t.{c}") for c in columns)
    conn.execute(
        text(
            f"{seq}INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT {chosen} FROM seq, {table} t WHERE {where}"
        ),
        params,
    )


def copy_runs_pg(engine: Engine, copies: int) -> None:
    """Add `copies` copies of every run in the database (PostgreSQL, in bulk): its person,
    rejection, run and steps, reminders included, with new ids and phone numbers. What onward
    wrote for 1,430 runs in 14 s takes a second to copy ten times over."""
    with engine.begin() as conn:
        top = {
            table: int(conn.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}")))
            for table in ("people", "rejections", "runs", "steps")
        }
        shift = {table: f"t.{{column}} + c * {top[table]}" for table in top}
        copied = {
            "people": {
                "id": shift["people"].format(column="id"),
                "phone": f"'+1628' || lpad((2000000 + c * {top['people']} + t.id)::text, 7, '0')",
            },
            "rejections": {
                "id": shift["rejections"].format(column="id"),
                "person_id": shift["people"].format(column="person_id"),
            },
            "runs": {
                "id": shift["runs"].format(column="id"),
                "person_id": shift["people"].format(column="person_id"),
                "rejection_id": shift["rejections"].format(column="rejection_id"),
            },
            "steps": {
                "id": shift["steps"].format(column="id"),
                "run_id": shift["runs"].format(column="run_id"),
                "reminder_of": shift["steps"].format(column="reminder_of"),
            },
        }
        for table, overrides in copied.items():
            columns = [c["name"] for c in inspect(conn).get_columns(table)]
            chosen = ", ".join(overrides.get(c, f"t.{c}") for c in columns)
            conn.execute(
                text(
                    f"INSERT INTO {table} ({', '.join(columns)}) SELECT {chosen} "
                    f"FROM generate_series(1, :copies) AS c, {table} AS t "
                    f"WHERE t.id <= {top[table]}"
                ),
                {"copies": copies},
            )
            # Rows inserted with their ids leave the table's sequence behind: move it on.
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )
        conn.execute(text("ANALYZE"))


def checkpoint(path: Path) -> None:
    """Fold a SQLite database's WAL into its file, so the file alone is the whole database."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def copy_sqlite(source: Path, target: Path) -> None:
    """A self-contained copy of a SQLite database for one repetition."""
    checkpoint(source)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("backend", choices=("sqlite", "pg"))
    parser.add_argument("where", help="SQLite file path, or PostgreSQL database name")
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--filler", type=int, default=0, help="far-future steps to add")
    parser.add_argument("--copies", type=int, default=0, help="copies of the runs (PostgreSQL)")
    args = parser.parse_args()
    url = f"sqlite:///{args.where}" if args.backend == "sqlite" else pg_url(args.where)
    engine = create_db_engine(url)
    started = now_s()
    try:
        build_runs(engine, args.runs)
        postpone_all(engine)  # nothing is due until a benchmark makes it so
        built = now_s()
        if args.filler:
            add_filler(engine, args.filler)
        if args.copies:
            copy_runs_pg(engine, args.copies)
        emit(
            {
                "runs": args.runs,
                "pending": count_pending(engine),
                "build_s": round(built - started, 2),
                "filler_s": round(now_s() - built, 2),
            }
        )
    finally:
        engine.dispose()
    if args.backend == "sqlite":
        checkpoint(Path(args.where))


if __name__ == "__main__":
    main()

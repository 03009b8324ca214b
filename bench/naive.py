"""naive: what a quick implementation would do, measured. One APScheduler 3 `date` job per plan
step in a SQLAlchemyJobStore on a SQLite file in WAL mode, 10 executor threads; the time to add
N jobs, then to run them all once they fall due at the same moment.

    python bench/naive.py WORK.db --steps 10000 [--grace default]

`--grace none` (misfire_grace_time=None) runs every job however late; `--grace default` keeps
APScheduler's 1 s and counts the jobs it silently drops as "missed" in a burst.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from common import emit, now_s, peak_rss_mb
from sqlalchemy import create_engine, event

from onward.engine.clock import SystemClock

CALIBRATION = 200
STEP_KEYS = ("ack", "checkin", "reflect", "feedback", "research", "apply", "encourage")
SENT: list[str] = []
SENT_LOCK = threading.Lock()


def send_step(step_id: int, phone: str, step_key: str, company: str) -> None:
    """The job: format the nudge and hand it to a zero-latency 'provider'."""
    body = f"[{step_key}] About {company}: a short, kind nudge for step {step_id}."
    with SENT_LOCK:
        SENT.append(f"{phone}:{body}")


def wal_engine(path: str) -> Any:
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


class Tally:
    """Counts finished jobs (run or missed) and notes when the last one finished."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.executed = self.missed = self.errors = 0
        self.finished_at = 0.0
        self.done = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, job_event: Any) -> None:
        with self._lock:
            if job_event.code == EVENT_JOB_EXECUTED:
                self.executed += 1
            elif job_event.code == EVENT_JOB_MISSED:
                self.missed += 1
            else:
                self.errors += 1
            if self.executed + self.missed + self.errors >= self.expected:
                self.finished_at = now_s()
                self.done.set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("work")
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--grace", choices=("none", "default"), default="none")
    args = parser.parse_args()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.work}{suffix}").unlink(missing_ok=True)
    engine = wal_engine(args.work)
    clock = SystemClock()
    defaults = {"misfire_grace_time": None} if args.grace == "none" else {}
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine)},
        executors={"default": ThreadPoolExecutor(10)},
        job_defaults=defaults,
        timezone=UTC,
    )
    tally = Tally(args.steps)
    scheduler.add_listener(tally, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    scheduler.start(paused=True)

    def add(n: int, when: Any) -> None:
        step_key = STEP_KEYS[n % len(STEP_KEYS)]
        phone = f"+1415{2_000_000 + n // 7:07d}"
        scheduler.add_job(
            send_step, "date", run_date=when, args=(n, phone, step_key, f"Company {n // 7}")
        )

    # Every job must fall due at one instant just after the last is added, so that instant is
    # set from the rate of a first few adds (those are due a day later and never run).
    started = now_s()
    for n in range(CALIBRATION):
        add(args.steps + n, clock.now() + timedelta(days=1))
    rate = CALIBRATION / (now_s() - started)
    due_at = clock.now() + timedelta(seconds=1.3 * args.steps / rate + 0.3)
    for n in range(args.steps):
        add(n, due_at)
    add_seconds = now_s() - started
    # As onward's drain does (onward_dispatch.py): what setting up wrote is in the database
    # file before the clock starts, not left in the WAL for the run's first checkpoint.
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    wait = (due_at - clock.now()).total_seconds()
    if wait > 0:
        time.sleep(wait)
    run_started = now_s()
    scheduler.resume()
    if not tally.done.wait(timeout=600):
        raise SystemExit("the jobs did not all finish within 10 minutes")
    run_seconds = tally.finished_at - run_started
    scheduler.shutdown(wait=True)
    engine.dispose()
    emit(
        {
            "grace": args.grace,
            "steps": args.steps,
            "add_rate": round((args.steps + CALIBRATION) / add_seconds, 1),
            "run_seconds": round(run_seconds, 3),
            "run_rate": round(tally.executed / run_seconds, 1),
            "executed": tally.executed,
            "missed": tally.missed,
            "errors": tally.errors,
            "missed_pct": round(100.0 * tally.missed / args.steps, 1),
            "late_start_s": round(max(0.0, -wait), 3),
            "rss_mb": round(peak_rss_mb(), 1),
        }
    )


if __name__ == "__main__":
    main()

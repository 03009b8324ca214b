"""A real `onward serve`, idle: its memory with many steps waiting (G5) and how late a step goes
out after its due time when nothing else is happening (G7).

    python bench/onward_serve.py memory WORKDIR --copy-of TEMPLATE.db
    python bench/onward_serve.py punctuality WORKDIR --steps 40 --spread 15
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from common import emit, free_port, now_s, percentile, proc_status_mb, start_onward_serve, stop
from common import wait_http as wait_healthy
from fixtures import build_runs, copy_sqlite, count_pending, postpone_all
from sqlalchemy import select, update

from onward.engine.clock import SystemClock
from onward.engine.storage.db import READ_ONLY, create_db_engine
from onward.engine.storage.models import Step


def run_memory(args: argparse.Namespace) -> None:
    """Peak RSS of `onward serve` a few seconds after start, with the template's waiting steps."""
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    database = work / f"memory-{free_port()}.db"
    copy_sqlite(Path(args.copy_of), database)
    engine = create_db_engine(f"sqlite:///{database}")
    pending = count_pending(engine)
    engine.dispose()
    port = free_port()
    server = start_onward_serve(database, port, work)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(f"{base}/healthz", process=server)
        deadline = now_s() + args.settle
        while now_s() < deadline:
            for path in ("/readyz", "/metrics", "/healthz"):
                httpx.get(base + path, timeout=5)
            time.sleep(0.2)
        figures = {
            "pending": pending,
            "rss_mb": round(proc_status_mb(server.pid, "VmRSS"), 1),
            "peak_rss_mb": round(proc_status_mb(server.pid, "VmHWM"), 1),
        }
    finally:
        stop(server)
    emit(figures)


def run_punctuality(args: argparse.Namespace) -> None:
    """Steps due at scattered instants a few seconds after the daemon starts: how late each goes.

    The due times are in the database before the daemon starts, as steps set days earlier
    would be; one step of each run, spread at random over `spread` seconds.
    """
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    database = work / f"punctuality-{port}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    engine = create_db_engine(f"sqlite:///{database}")
    build_runs(engine, args.steps)
    postpone_all(engine)
    clock = SystemClock()
    start = clock.now() + timedelta(seconds=args.lead)
    chooser = random.Random(args.seed)
    with engine.begin() as conn:
        chosen = list(
            conn.scalars(
                select(Step.id).where(Step.step_key == "checkin", Step.reminder_of.is_(None))
            )
        )
        for step_id in chosen:
            due = start + timedelta(seconds=chooser.uniform(0, args.spread))
            conn.execute(update(Step).where(Step.id == step_id).values(due_at=due))
    server = start_onward_serve(database, port, work)
    delays: list[float] = []
    rows: list[Any] = []
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", process=server)
        if clock.now() >= start:
            # A step due before the daemon was up is late by its start, not by its timing.
            raise SystemExit(f"the daemon was not up {args.lead} s after the steps were set")
        deadline = now_s() + args.lead + args.spread + 15
        while now_s() < deadline:
            with engine.connect().execution_options(**READ_ONLY) as conn:  # not the write lock
                rows = conn.execute(
                    select(Step.due_at, Step.sent_at).where(
                        Step.id.in_(chosen), Step.sent_at.is_not(None)
                    )
                ).all()
            if len(rows) == len(chosen):
                break
            time.sleep(0.5)
        delays = [(sent - due).total_seconds() for due, sent in rows]
    finally:
        stop(server)
        engine.dispose()
    emit(
        {
            "steps": len(chosen),
            "sent": len(delays),
            "p50_s": round(percentile(delays, 50), 3) if delays else None,
            "p99_s": round(percentile(delays, 99), 3) if delays else None,
            "max_s": round(max(delays), 3) if delays else None,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("memory")
    p.add_argument("workdir")
    p.add_argument("--copy-of", required=True)
    # Long enough for the first tick, the wake-up job and a few requests: the daemon at rest.
    p.add_argument("--settle", type=float, default=4.0, help="seconds before RSS is read")
    p = sub.add_parser("punctuality")
    p.add_argument("workdir")
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--spread", type=float, default=15.0, help="seconds the due times span")
    # The daemon must be up by then: `make bench` starts this with its other background runs
    # while the fixtures are built, and 6 s was too little on a slow machine (stop 31: three
    # daemons starting together, each step due in their first 4 s sent late by that much).
    p.add_argument("--lead", type=float, default=15.0, help="seconds until the first may be due")
    p.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    {"memory": run_memory, "punctuality": run_punctuality}[args.mode](args)


if __name__ == "__main__":
    main()

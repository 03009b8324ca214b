"""onward's dispatcher, measured: drain a burst of due steps (G1, G6), keep a provider's pace (G2),
and drain with several processes on PostgreSQL (G3). Prints one JSON line of figures.

    python bench/onward_dispatch.py drain WORK.db [--copy-of TEMPLATE.db] [--due N] [--explain]
    python bench/onward_dispatch.py pace WORK.db --rate 3 --seconds 60
    python bench/onward_dispatch.py pg TEMPLATE_DB --procs 4
"""

from __future__ import annotations

import argparse
import gc
import itertools
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    PYTHON,
    backend_pids,
    create_pg_database,
    drop_pg_database,
    emit,
    now_s,
    peak_rss_mb,
    pg_url,
    process_cpu_seconds,
    run_together,
    wait_for_go,
)
from fixtures import build_runs, checkpoint, copy_sqlite, make_due, postpone_all
from null_channel import NullChannel
from sqlalchemy import Engine, event, select, text

from onward.engine.clock import SystemClock
from onward.engine.dispatch.dispatcher import DispatchConfig, Dispatcher
from onward.engine.storage.db import create_db_engine, session_factory
from onward.engine.storage.models import Delivery, Step
from onward.engine.storage.write_queue import InboundFirst

BATCH = 100
GRACE = timedelta(days=30)
# Drained before the clock starts, as a daemon that has been running would have: imports made
# on first use (a country's holiday calendar), plans parsed, templates and SQL compiled.
WARM_UP_STEPS = 105


def dispatcher(engine: Engine, channel: NullChannel, worker: str) -> Dispatcher:
    """A dispatcher set up as `onward serve` sets up its own (which then freezes what start-up
    loaded, so that the garbage collector stops scanning it)."""
    clock = SystemClock()
    # Like a daemon's: webhooks first, here another process's (G4 drains beside `onward serve`).
    first = InboundFirst.for_database(engine.url.render_as_string(hide_password=False))
    built = Dispatcher(
        session_factory(engine),
        clock,
        {"sms": ("bench", channel), "email": ("bench", channel)},
        DispatchConfig(worker_id=worker, batch=BATCH, grace=GRACE),
        sleep=time.sleep,
        before_batch=first.wait_turn,
        before_send=first.wait_send_turn,
    )
    built.warm_up()  # the plans of open runs parsed, as `onward serve` does at start
    gc.freeze()
    return built


def drain(worker: Dispatcher, seconds: float = 3600.0) -> Counter[str]:
    """Tick until nothing is due any more (what other processes hold is theirs to finish)."""
    outcomes: Counter[str] = Counter()
    deadline = now_s() + seconds
    while now_s() < deadline:
        outcomes.update(worker.tick())
        due = worker.earliest_due()
        if due is None or due > worker.clock.now():
            return outcomes
    raise TimeoutError(f"still draining after {seconds} s")


def delivery_check(engine: Engine, due_ids: list[int], channel_ids: list[int]) -> dict[str, Any]:
    """How many of the due steps were delivered exactly once, and how many more than once."""
    wanted = set(due_ids)
    with engine.connect() as conn:
        per_step = Counter(
            step
            for step in conn.scalars(select(Delivery.step_id).where(Delivery.status == "sent"))
            if step in wanted
        )
        sent_steps = sum(
            1
            for step in conn.scalars(select(Step.id).where(Step.status == "sent"))
            if step in wanted
        )
    duplicates = sum(1 for count in per_step.values() if count > 1)
    duplicates += len(channel_ids) - len(set(channel_ids))
    once = sum(1 for count in per_step.values() if count == 1)
    due = len(wanted)
    return {
        "due": due,
        "sent": len(channel_ids),
        "steps_sent": sent_steps,
        "exactly_once_pct": round(100.0 * once / due, 3) if due else 0.0,
        "duplicates": duplicates,
    }


def explain(engine: Engine, statements: list[tuple[str, Any]]) -> dict[str, list[str]]:
    """SQLite's query plan for each captured dispatcher query that reads waiting steps."""
    plans: dict[str, list[str]] = {}
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, params in statements:
            rows = cursor.execute(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
            plans[" ".join(statement.split())] = [str(row[-1]) for row in rows]
    finally:
        raw.close()
    return plans


def run_drain(args: argparse.Namespace) -> None:
    if args.copy_of:
        copy_sqlite(Path(args.copy_of), Path(args.work))
    engine = create_db_engine(f"sqlite:///{args.work}")
    # --already-due: the caller made the steps due and checks delivery itself (G4, where the
    # daemon under test drains alongside this process).
    channel = NullChannel()
    worker = dispatcher(engine, channel, "bench-1")
    if not args.already_due:
        make_due(engine, WARM_UP_STEPS)
        drain(worker)
        channel.delivery_ids.clear()
    due_ids = [] if args.already_due else make_due(engine, args.due)
    due = len(due_ids)
    if not args.already_due:
        # Making steps due rewrote their index entries all over the table: written back to the
        # database now, or the drain's first checkpoint would pay for the set-up (G6's 1M rows).
        checkpoint(Path(args.work))
    if args.wait_go:  # another benchmark starts its load first (G4: webhooks during a drain)
        worker.earliest_due()
        wait_for_go()
    captured: dict[str, Any] = {}
    if args.explain:

        @event.listens_for(engine, "before_cursor_execute")
        def _capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
            reads_steps = "FROM steps" in statement and statement.lstrip().startswith("SELECT")
            if reads_steps and ("LIMIT" in statement or "min(" in statement):
                captured.setdefault(statement, params)

    started, cpu_started = now_s(), time.process_time()
    outcomes = drain(worker)
    seconds = now_s() - started
    cpu = time.process_time() - cpu_started
    figures = {
        "steps": due,
        "seconds": round(seconds, 3),
        "rate": round(len(channel.delivery_ids) / seconds, 1),
        "us_per_step": round(1e6 * seconds / max(len(channel.delivery_ids), 1), 1),
        # This process's CPU time per step: steadier than the wall clock on a busy machine.
        "cpu_us_per_step": round(1e6 * cpu / max(len(channel.delivery_ids), 1), 1),
        "outcomes": dict(outcomes),
        "rss_mb": round(peak_rss_mb(), 1),
        **delivery_check(engine, due_ids, channel.delivery_ids),
    }
    if args.explain:
        event.remove(engine, "before_cursor_execute", _capture)
        figures["query_plans"] = explain(engine, list(captured.items()))
    engine.dispose()
    emit(figures)


def run_pace(args: argparse.Namespace) -> None:
    """Send rate*seconds+1 due steps through a channel limited to `rate`: slots 1/rate apart."""
    wanted = int(args.rate * args.seconds) + 1
    engine = create_db_engine(f"sqlite:///{args.work}")
    build_runs(engine, -(-wanted // 6) + 1)  # 6 steps a run are made due (fixtures.make_due)
    postpone_all(engine)
    due_ids = make_due(engine, wanted)
    channel = NullChannel(rate_per_sec=args.rate, limit_per_sec=args.rate)
    worker = dispatcher(engine, channel, "bench-pace")
    outcomes = drain(worker)
    sent = channel.sent_at
    span = sent[-1] - sent[0] if len(sent) > 1 else 0.0
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    emit(
        {
            "sent": len(sent),
            "refused": channel.refused,
            "span_s": round(span, 3),
            "rate": round((len(sent) - 1) / span, 4) if span else 0.0,
            "min_gap_ms": round(1000 * min(gaps), 1) if gaps else None,
            "max_gap_ms": round(1000 * max(gaps), 1) if gaps else None,
            "outcomes": dict(outcomes),
            **delivery_check(engine, due_ids, channel.delivery_ids),
        }
    )
    engine.dispose()


def run_worker(args: argparse.Namespace) -> None:
    """One of several dispatcher processes: get ready, wait for `go`, drain, report."""
    engine = create_db_engine(args.url)
    servers = backend_pids(engine)
    channel = NullChannel()
    worker = dispatcher(engine, channel, f"bench-{args.id}")
    worker.earliest_due()  # connect and warm up before the clock starts
    wait_for_go()
    started, cpu, server_cpu = now_s(), time.process_time(), process_cpu_seconds(servers)
    outcomes = drain(worker)
    emit(
        {
            "start": started,
            "end": now_s(),
            "cpu_s": time.process_time() - cpu,
            # PostgreSQL's work for this worker (its connections' server processes).
            "server_cpu_s": process_cpu_seconds(servers) - server_cpu,
            "sent": len(channel.delivery_ids),
            "ids": channel.delivery_ids,
            "outcomes": dict(outcomes),
        }
    )
    engine.dispose()


def run_pg(args: argparse.Namespace) -> None:
    name = create_pg_database("onward_bench_g3", template=args.template)
    url = pg_url(name)
    engine = create_db_engine(url)
    try:
        due_ids = make_due(engine)
        # Fresh statistics, as autovacuum keeps them in service (a minute or so after a burst
        # like this one); without them the claim's plan goes quadratic (see bench/README.md).
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        reports = run_together(
            [[PYTHON, __file__, "worker", url, "--id", str(n)] for n in range(args.procs)]
        )
        seconds = max(r["end"] for r in reports) - min(r["start"] for r in reports)
        ids = [i for r in reports for i in r["ids"]]
        emit(
            {
                "procs": args.procs,
                "steps": len(due_ids),
                "seconds": round(seconds, 3),
                "rate": round(len(ids) / seconds, 1),
                "per_process": [r["sent"] for r in reports],
                # CPU a step: the dispatchers' own, and PostgreSQL's for them.
                "client_cpu_us_per_step": round(
                    1e6 * sum(r["cpu_s"] for r in reports) / len(ids), 1
                ),
                "server_cpu_us_per_step": round(
                    1e6 * sum(r["server_cpu_s"] for r in reports) / len(ids), 1
                ),
                **delivery_check(engine, due_ids, ids),
            }
        )
    finally:
        engine.dispose()
        drop_pg_database(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("drain")
    p.add_argument("work")
    p.add_argument("--copy-of", help="start from a copy of this SQLite database")
    p.add_argument("--wait-go", action="store_true", help="say ready, start on a line of input")
    p.add_argument("--already-due", action="store_true", help="drain what is due, check nothing")
    p.add_argument("--due", type=int, default=None, help="how many steps to make due (all)")
    p.add_argument("--explain", action="store_true", help="add the claim's query plans")
    p = sub.add_parser("pace")
    p.add_argument("work")
    p.add_argument("--rate", type=float, default=3.0)
    p.add_argument("--seconds", type=float, default=60.0)
    p = sub.add_parser("pg")
    p.add_argument("template")
    p.add_argument("--procs", type=int, default=4)
    p = sub.add_parser("worker")
    p.add_argument("url")
    p.add_argument("--id", type=int, default=0)
    args = parser.parse_args()
    {"drain": run_drain, "pace": run_pace, "pg": run_pg, "worker": run_worker}[args.mode](args)


if __name__ == "__main__":
    main()

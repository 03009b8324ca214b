"""What one dispatcher asks of PostgreSQL per batch: every statement it sends while draining, timed
at the client (PostgreSQL's own time plus the loopback round trip), with the commits, the server
processes' CPU time and the rows it wrote (and how many updates PostgreSQL could make in place),
per batch of 100 steps.

    python bench/pg_statements.py [--runs 502]        # 3,012 due steps: 30 batches of 100

The database is made for the run (a copy of nothing: built through onward's API, as
fixtures.py builds G3's) and dropped afterwards. No extension is needed (pg_stat_statements
must be preloaded by the server, which a shared machine's PostgreSQL rarely is): the timing is
taken around each cursor call, in one process with nothing else running against the database.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import create_pg_database, drop_pg_database, emit, pg_url, process_cpu_seconds
from fixtures import build_runs, copy_runs_pg, make_due, postpone_all
from null_channel import NullChannel
from onward_dispatch import BATCH, WARM_UP_STEPS, dispatcher, drain
from sqlalchemy import Engine, event, text

from onward.engine.storage.db import create_db_engine


def label(statement: str) -> str:
    """A statement's text with its expanded parameter lists folded, as one line."""
    flat = " ".join(statement.split())
    flat = re.sub(r"%\(\w+\)s(, %\(\w+\)s)*", "?", flat)
    return re.sub(r"::[A-Z]+( WITH(OUT)? TIME ZONE)?(\[\])?", "", flat)


def short(statement: str) -> str:
    """What a reader needs to tell the statements apart: verb, table, what it sets or reads."""
    s = statement
    if s == "COMMIT" or s.startswith("SET LOCAL"):
        return s
    if s.startswith("SELECT min(steps.due_at)"):
        return "SELECT min(due_at) of pending steps (the wake-up time)"
    if s.startswith("SELECT steps.id") and "FOR UPDATE" in s:
        kind = "lease-expired" if "lease_until <" in s else "pending"
        return f"claim {kind} steps: SELECT steps+runs+rejections+people FOR UPDATE SKIP LOCKED"
    match = re.match(r"(UPDATE|INSERT INTO|DELETE FROM) (\w+)", s)
    if match:
        sets = re.search(r" SET (.*?) (FROM|WHERE)", s)
        what = ""
        if sets:
            names = re.findall(r"(\w+)=", sets.group(1))
            what = " SET " + ", ".join(dict.fromkeys(names))
        return f"{match.group(1)} {match.group(2)}{what}"
    tables = re.findall(r"FROM (\w+)", s)
    return f"SELECT from {', '.join(dict.fromkeys(tables))}: {s[7:70]}"


class Timer:
    """Client-side time of every statement and commit, by statement text."""

    def __init__(self, engine: Engine) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.on = False
        self._started: dict[int, float] = {}

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            self._started[id(cursor)] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            started = self._started.pop(id(cursor), None)
            if self.on and started is not None:
                self.times[label(statement)].append(time.perf_counter() - started)

        dialect = engine.dialect
        commit = dialect.do_commit

        def timed_commit(dbapi_connection: Any) -> None:
            started = time.perf_counter()
            commit(dbapi_connection)
            if self.on:
                self.times["COMMIT"].append(time.perf_counter() - started)

        dialect.do_commit = timed_commit  # type: ignore[method-assign]


def server_cpu(engine: Engine) -> float:
    """The summed CPU seconds of the server processes serving this database."""
    with engine.connect() as conn:
        query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return process_cpu_seconds(conn.scalars(query))


def row_writes(engine: Engine) -> dict[str, int]:
    """Rows inserted, updated and updated in place (HOT: no index touched) so far, by table.
    Read after the dispatcher's connections closed: a server process reports them then."""
    time.sleep(0.5)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                "WHERE relname IN ('steps', 'deliveries', 'people')"
            )
        ).all()
    counts = {}
    for table, inserted, updated, hot in rows:
        counts |= {f"{table}_inserts": inserted, f"{table}_updates": updated}
        counts[f"{table}_hot_updates"] = hot
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=502, help="runs of 6 due steps, plus warm-up")
    parser.add_argument("--copies", type=int, default=0, help="copies of the runs, as G3 makes")
    parser.add_argument("--due", type=int, default=None, help="steps made due (default all)")
    parser.add_argument("--sql", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--show", type=Path, help="print a saved result as a table, run nothing")
    args = parser.parse_args()
    if args.show:
        print(table(json.loads(args.show.read_text())))
        return
    name = create_pg_database("onward_bench_stmts")
    engine = create_db_engine(pg_url(name))
    try:
        build_runs(engine, args.runs + -(-WARM_UP_STEPS // 6))
        postpone_all(engine)
        if args.copies:
            copy_runs_pg(engine, args.copies)
        with engine.begin() as conn:
            for statement in args.sql:  # an experiment's change to the schema
                conn.execute(text(statement))
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        timer = Timer(engine)
        # A provider that takes a million a second: paced the same by the code before and after
        # this round (the dispatcher before it capped a channel declaring no pace at 1,000/s).
        channel = NullChannel(rate_per_sec=1_000_000.0)
        worker = dispatcher(engine, channel, "bench-stmts")
        make_due(engine, WARM_UP_STEPS)
        drain(worker)
        channel.delivery_ids.clear()
        due = make_due(engine, args.due)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        engine.dispose()
        before = row_writes(engine)
        worker.earliest_due()
        cpu0 = server_cpu(engine)
        timer.on = True
        started, client0 = time.perf_counter(), time.process_time()
        drain(worker)
        seconds, client = time.perf_counter() - started, time.process_time() - client0
        timer.on = False
        cpu1 = server_cpu(engine)
        engine.dispose()
        writes = {k: v - before[k] for k, v in row_writes(engine).items()}
        sent = len(channel.delivery_ids)
        if sent != len(due):
            raise SystemExit(f"sent {sent} of {len(due)} due steps")
        batches = sent / BATCH
        grouped: dict[str, list[float]] = defaultdict(list)
        for statement, times in timer.times.items():
            grouped[short(statement)] += times  # the same statement with longer or shorter lists
        statements = [
            {
                "statement": statement,
                "calls_per_batch": round(len(times) / batches, 2),
                "ms_per_batch": round(1000 * sum(times) / batches, 3),
            }
            for statement, times in sorted(grouped.items(), key=lambda pair: -sum(pair[1]))
        ]
        emit(
            {
                "steps": sent,
                "rate": round(sent / seconds, 1),
                "wall_ms_per_batch": round(1000 * seconds / batches, 2),
                "sql_ms_per_batch": round(sum(s["ms_per_batch"] for s in statements), 2),
                "server_cpu_us_per_step": round(1e6 * (cpu1 - cpu0) / sent, 1),
                "client_cpu_us_per_step": round(1e6 * client / sent, 1),
                "rows_written_per_step": {k: round(v / sent, 2) for k, v in writes.items()},
                "statements": statements,
            }
        )
    finally:
        engine.dispose()
        drop_pg_database(name)


def table(figures: dict[str, Any]) -> str:
    """The figures as bench/README.md shows them."""
    lines = ["| statement | calls | ms per batch of 100 |", "| --- | --- | --- |"]
    for s in figures["statements"]:
        lines.append(f"| {s['statement']} | {s['calls_per_batch']:g} | {s['ms_per_batch']:.2f} |")
    keys = ("rate", "wall_ms_per_batch", "sql_ms_per_batch", "client_cpu_us_per_step")
    keys += ("server_cpu_us_per_step", "rows_written_per_step")
    lines += ["", *(f"- {key}: {figures[key]}" for key in keys)]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

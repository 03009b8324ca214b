"""pg-limit: how fast rows can be claimed at all on PostgreSQL with FOR UPDATE SKIP LOCKED, 100 a
transaction, by 1 and by several processes at once, in a database made for the run.

    python bench/pg_limit.py --rows 100000 --procs 1 4
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from claim_table import claim_all, fill
from common import (
    PYTHON,
    create_pg_database,
    drop_pg_database,
    emit,
    now_s,
    pg_url,
    run_together,
    wait_for_go,
)
from sqlalchemy import create_engine


def worker(url: str, name: str) -> None:
    engine = create_engine(url)
    with engine.connect():
        pass  # connected before the clock starts
    wait_for_go()
    started = now_s()
    claimed = claim_all(engine, name)
    emit({"start": started, "end": now_s(), "claimed": claimed})
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--procs", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--worker", nargs=2, metavar=("URL", "NAME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    name = create_pg_database("onward_bench_pglimit")
    url = pg_url(name)
    figures: dict[str, float] = {"rows": args.rows}
    try:
        engine = create_engine(url)
        for procs in args.procs:
            fill(engine, args.rows)
            reports = run_together(
                [[PYTHON, __file__, "--worker", url, f"w{n}"] for n in range(procs)]
            )
            claimed = sum(r["claimed"] for r in reports)
            if claimed != args.rows:
                raise SystemExit(f"{procs} processes claimed {claimed} of {args.rows} rows")
            seconds = max(r["end"] for r in reports) - min(r["start"] for r in reports)
            figures[f"rate_{procs}"] = round(claimed / seconds, 1)
        engine.dispose()
    finally:
        drop_pg_database(name)
    emit(figures)


if __name__ == "__main__":
    main()

"""sqlite-limit: how fast rows can be claimed at all on SQLite, in batches of 100 with one commit
each, with onward's own SQLite settings (WAL, synchronous=NORMAL, BEGIN IMMEDIATE).

    python bench/sqlite_limit.py WORK.db --rows 100000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from claim_table import claim_all, fill
from common import emit, now_s

from onward.engine.storage.db import create_db_engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("work")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.work}{suffix}").unlink(missing_ok=True)
    # The same engine onward builds: its pragmas and BEGIN IMMEDIATE, nothing of its schema.
    engine = create_db_engine(f"sqlite:///{args.work}")
    try:
        fill(engine, args.rows)
        started = now_s()
        claimed = claim_all(engine, "bench-1")
        seconds = now_s() - started
    finally:
        engine.dispose()
    if claimed != args.rows:
        raise SystemExit(f"claimed {claimed} of {args.rows} rows")
    emit({"rows": claimed, "seconds": round(seconds, 3), "rate": round(claimed / seconds, 1)})


if __name__ == "__main__":
    main()

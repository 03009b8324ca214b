"""G1 through the real daemon: `onward serve` on SQLite, its channels the zero-latency plugin
(bench/zero_channel, found through the `onward.channels` entry point as any third party's
channel is), with bursts of due steps set long before, due at one instant each.

    python bench/serve_drain.py WORKDIR --copy-of TEMPLATE.db --sizes 3000 10010

Each burst is timed from its due instant to the last of its deliveries recorded, as the daemon
wrote it: the wake-up at the earliest due time, the claim loop, the sends and the records all
count. Before the first burst, 105 steps are already due when the daemon starts (drained by its
first tick), as a daemon that has been running would have warmed up. Prints one JSON line:
rate_small and rate_large (steps a second) and their sizes and seconds, and the duplicates.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import emit, free_port, now_s, start_onward_serve, stop, wait_http
from fixtures import checkpoint, copy_sqlite, make_due
from sqlalchemy import Engine, func, select

from onward.engine.clock import SystemClock
from onward.engine.storage.db import READ_ONLY, create_db_engine
from onward.engine.storage.models import Delivery

ZERO = Path(__file__).resolve().parent / "zero_channel"
WARM_UP_STEPS = 105
FINAL = ("sent", "delivered")


def install_plugin(target: Path) -> Path:
    """The zero channel as an installed distribution would leave it: its module and a
    `.dist-info` with its entry points, in a folder put on the daemon's PYTHONPATH, where
    importlib.metadata finds it. Nothing is added to the virtual environment."""
    import tomllib

    project = tomllib.loads((ZERO / "pyproject.toml").read_text())["project"]
    name, version = project["name"].replace("-", "_"), project["version"]
    info = target / f"{name}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    for module in ZERO.glob("*.py"):
        (target / module.name).write_text(module.read_text())
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {version}\n"
    )
    (info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{key} = {value}\n" for key, value in entries.items())
            for group, entries in project["entry-points"].items()
        )
    )
    return target


def set_bursts(engine: Engine, sizes: list[int], first_at: datetime, gap: float) -> list[Any]:
    """The warm-up due now; then each burst due at its own instant, `gap` seconds apart.
    Returns (size, due instant, step ids) for each burst."""
    make_due(engine, WARM_UP_STEPS)
    bursts = []
    for n, size in enumerate(sizes):
        at = first_at + timedelta(seconds=n * gap)
        ids = make_due(engine, size, at=at)
        if len(ids) != size:  # a template too small for the sizes: say so, never a false rate
            raise SystemExit(f"only {len(ids)} steps could be made due for a burst of {size}")
        bursts.append((size, at, ids))
    return bursts


def recorded(engine: Engine, step_ids: list[int]) -> tuple[int, datetime | None, int]:
    """Of these steps: how many have a delivery recorded as taken, when the last one was
    recorded, and how many have more than one delivery."""
    wanted = set(step_ids)
    # A plain read: the write lock is the daemon's, not the onlooker's.
    with engine.connect().execution_options(**READ_ONLY) as conn:
        rows = conn.execute(
            select(Delivery.step_id, Delivery.status, Delivery.updated_at).where(
                Delivery.step_id >= min(wanted), Delivery.step_id <= max(wanted)
            )
        ).all()
    per_step = Counter(row.step_id for row in rows if row.step_id in wanted)
    done = [row for row in rows if row.step_id in wanted and row.status in FINAL]
    last = max((row.updated_at for row in done), default=None)
    return len({row.step_id for row in done}), last, sum(1 for n in per_step.values() if n > 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workdir")
    parser.add_argument("--copy-of", required=True)
    parser.add_argument("--sizes", type=int, nargs=2, default=[3000, 10010], help="small, large")
    # From the bursts being set (13,010 steps made due) to the first one: the daemon must be up
    # by then. 4 s was too little on a slow machine (4.6 s, stop 31); waiting is not measured.
    parser.add_argument("--lead", type=float, default=10.0, help="seconds to the first burst")
    parser.add_argument("--gap", type=float, default=2.5, help="seconds between bursts")
    parser.add_argument(
        "--setting", action="append", default=[], help="NAME=VALUE for the daemon (repeatable)"
    )
    args = parser.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    database = work / f"serve-drain-{port}.db"
    copy_sqlite(Path(args.copy_of), database)
    engine = create_db_engine(f"sqlite:///{database}")
    clock = SystemClock()
    launched = clock.now()
    bursts = set_bursts(engine, args.sizes, launched + timedelta(seconds=args.lead), args.gap)
    engine.dispose()
    checkpoint(database)  # what setting the bursts up wrote is not the daemon's to write back
    plugin = install_plugin(work / f"plugin-{port}")
    server = start_onward_serve(
        database,
        port,
        work,
        ONWARD_SMS_CHANNEL="zero",
        ONWARD_EMAIL_CHANNEL="zero",
        PYTHONPATH=str(plugin),
        **dict(setting.split("=", 1) for setting in args.setting),
    )
    figures: dict[str, Any] = {}
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", process=server)
        healthy = clock.now()
        if healthy >= bursts[0][1]:
            raise SystemExit(f"the daemon took {healthy - launched} to start: raise --lead")
        duplicates = 0
        for label, (size, at, ids) in zip(("small", "large"), bursts, strict=True):
            deadline = now_s() + max(0.0, (at - clock.now()).total_seconds()) + 120
            while True:
                done, last, doubled = recorded(engine, ids)
                if done == len(ids) or now_s() > deadline:
                    break
                time.sleep(0.2)
            if done != len(ids) or last is None:
                raise SystemExit(f"{len(ids) - done} of {len(ids)} steps never recorded")
            seconds = (last - at).total_seconds()
            figures[f"steps_{label}"] = size
            figures[f"seconds_{label}"] = round(seconds, 3)
            figures[f"rate_{label}"] = round(size / seconds, 1)
            duplicates += doubled
        figures["duplicates"] = duplicates
        figures["start_s"] = round((healthy - launched).total_seconds(), 2)
        with engine.connect() as conn:
            channels = set(conn.scalars(select(Delivery.channel).distinct()))
            figures["deliveries"] = conn.scalar(select(func.count()).select_from(Delivery))
        if channels != {"zero"}:
            raise SystemExit(f"sent through {sorted(channels)}, not the zero channel plugin")
    finally:
        stop(server)
        engine.dispose()
    emit(figures)


if __name__ == "__main__":
    main()

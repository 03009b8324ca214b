"""`make bench`: every benchmark as its own process, repeated; medians, goals, a table, and
bench/results.json.

    python bench/run.py            # the full run (under 10 minutes on 2 cores)
    python bench/run.py --quick    # tiny sizes, one repetition: a smoke test of the machinery

Baselines and onward are interleaved round by round (naive, limits, bare and quick webhooks,
then onward), so a noisy neighbour slows both sides of a ratio alike. The two benchmarks that
mostly wait (the 60 s pacing run and the idle daemon's punctuality) run in the background
meanwhile.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BENCH_DIR,
    PYTHON,
    create_pg_database,
    drop_pg_database,
    machine_info,
    now_s,
)
from goals import evaluate, markdown, operator_view, print_table, summarise


@dataclass(frozen=True)
class Sizes:
    reps: int = 3
    naive_steps: int = 10_000
    claim_rows: int = 100_000
    wrk_seconds: float = 5.0
    # A run's burst is its 6 plan steps sent on any day (fixtures.make_due leaves out the one
    # counted in business days).
    g1_runs: int = 1_686  # 105 to warm up, then 10,011 due steps
    g3_runs: int = 1_669  # started through onward, then copied 9 times in SQL:
    g3_copies: int = 9  # 16,690 runs, 100,140 due steps on PostgreSQL
    pace_seconds: float = 60.0
    g4_drain_steps: int = 10_010
    g5_runs: int = 100  # 10 waiting rows a run (7 steps, 3 reminders): 1,000
    g5_filler: int = 99_000
    g6_runs: int = 1_000  # 10,000 waiting rows
    g6_filler: int = 990_000
    g6_due: int = 2_000
    g7_steps: int = 40
    g7_spread: float = 15.0
    g5_settle: float = 4.0
    serve_runs: int = 2_186  # 105 to warm up, then bursts of 3,000 and 10,010 due steps
    serve_sizes: tuple[int, int] = (3_000, 10_010)


QUICK = Sizes(
    reps=1,
    naive_steps=300,
    claim_rows=2_000,
    wrk_seconds=1.0,
    g1_runs=45,
    g3_runs=20,
    g3_copies=1,
    pace_seconds=3.0,
    g4_drain_steps=200,
    g5_runs=10,
    g5_filler=990,
    g6_runs=100,
    g6_filler=9_000,
    g6_due=100,
    g7_steps=5,
    g7_spread=3.0,
    g5_settle=1.0,
    serve_runs=93,
    serve_sizes=(150, 300),
)


@dataclass
class Runner:
    work: Path
    log: Path
    results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    only: frozenset[str] = frozenset()
    background: list[tuple[str, subprocess.Popen[str], Any]] = field(default_factory=list)

    def script(self, name: str, *args: object) -> list[str]:
        return [PYTHON, str(BENCH_DIR / name), *map(str, args)]

    def run(self, name: str, command: list[str], timeout: float = 900) -> dict[str, Any] | None:
        """Run one benchmark process; keep its figures under `name` (or its error)."""
        if self.skipped(name):
            return None
        started = now_s()
        with (self.log / f"{name}.log").open("a") as log:
            try:
                done = subprocess.run(
                    command, stdout=subprocess.PIPE, stderr=log, text=True, timeout=timeout
                )
            except subprocess.TimeoutExpired:
                self.errors[name] = f"timed out after {timeout} s"
                return None
        print(f"  {name:<28} {now_s() - started:6.1f} s", flush=True)
        return self._keep(name, done.returncode, done.stdout)

    def skipped(self, name: str) -> bool:
        return bool(self.only) and not name.startswith("build_") and name not in self.only

    def start(self, name: str, command: list[str]) -> None:
        if self.skipped(name):
            return
        log = (self.log / f"{name}.log").open("a")
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
        self.background.append((name, proc, log))

    def finish_background(self) -> None:
        for name, proc, log in self.background:
            out, _ = proc.communicate(timeout=900)
            log.close()
            self._keep(name, proc.returncode, out)

    def _keep(self, name: str, returncode: int, out: str) -> dict[str, Any] | None:
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if returncode or not lines:
            tail = (self.log / f"{name}.log").read_text().strip().splitlines()[-3:]
            self.errors[name] = f"exit {returncode}: " + " | ".join(tail)
            print(f"  {name}: FAILED ({self.errors[name]})", flush=True)
            return None
        figures: dict[str, Any] = json.loads(lines[-1])
        self.results.setdefault(name, []).append(figures)
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repetition")
    parser.add_argument("--reps", type=int, help="repetitions (default 3; 1 with --quick)")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    parser.add_argument(
        "--only", default="", help="comma-separated benchmark names (e.g. onward_webhook)"
    )
    parser.add_argument(
        "--markdown", type=Path, help="print the README's results from a results.json, run nothing"
    )
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text())))
        return
    sizes = QUICK if args.quick else Sizes()
    reps = args.reps or sizes.reps
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `apt-get install wrk` (make bench does it)")
    started = now_s()
    work = Path(tempfile.mkdtemp(prefix="onward-bench-"))
    (work / "logs").mkdir()
    runner = Runner(work, work / "logs", only=frozenset(filter(None, args.only.split(","))))
    pg_template = None
    print(f"onward benchmarks: {reps} repetition(s), working in {work}", flush=True)
    try:
        background(runner, sizes, reps)
        pg_template = build_fixtures(runner, sizes)
        for rep in range(reps):
            print(f"round {rep + 1} of {reps}", flush=True)
            one_round(runner, sizes, rep, pg_template)
        print("waiting for the background benchmarks", flush=True)
        runner.finish_background()
    finally:
        if pg_template:
            drop_pg_database(pg_template)
        for _name, proc, _log in runner.background:
            if proc.poll() is None:
                proc.kill()
    figures = summarise(runner.results)
    goals = evaluate(figures)
    wall = now_s() - started
    report = {
        "goals": goals,
        "figures": figures,
        "operator": operator_view(figures),
        "errors": runner.errors,
        "machine": machine_info(),
        "sizes": {**sizes.__dict__, "reps": reps},
        "wall_seconds": round(wall, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print_table(report)
    print(f"\nwrote {args.out} after {wall:.0f} s")
    if args.keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def background(runner: Runner, sizes: Sizes, reps: int) -> None:
    """The waiting benchmarks, started first: they sleep far more than they compute."""
    for rep in range(reps):
        runner.start(
            "onward_pace",
            runner.script(
                "onward_dispatch.py",
                *("pace", runner.work / f"pace{rep}.db", "--rate", 3),
                *("--seconds", sizes.pace_seconds),
            ),
        )
        runner.start(
            "punctuality",
            runner.script(
                "onward_serve.py",
                *("punctuality", runner.work / f"punct{rep}"),
                *("--steps", sizes.g7_steps, "--spread", sizes.g7_spread),
            ),
        )


def build_fixtures(runner: Runner, sizes: Sizes) -> str | None:
    """The databases the onward benchmarks copy for each repetition, built once."""
    print("building the benchmark databases", flush=True)
    w = runner.work
    builds = {
        "g1.db": (sizes.g1_runs, 0),
        "g5_small.db": (sizes.g5_runs, 0),
        "g5_big.db": (sizes.g5_runs, sizes.g5_filler),
        "g6_small.db": (sizes.g6_runs, 0),
        "g6_big.db": (sizes.g6_runs, sizes.g6_filler),
        "serve.db": (sizes.serve_runs, 0),
    }
    for name, (runs, filler) in builds.items():
        runner.run(
            f"build_{name}",
            runner.script("fixtures.py", "sqlite", w / name, "--runs", runs, "--filler", filler),
        )
    try:
        template = create_pg_database("onward_bench_tmpl")
    except Exception as exc:
        runner.errors["build_pg"] = f"PostgreSQL unavailable: {exc}"
        return None
    runner.run(
        "build_pg",
        runner.script(
            "fixtures.py", "pg", template, "--runs", sizes.g3_runs, "--copies", sizes.g3_copies
        ),
    )
    return template


def one_round(runner: Runner, sizes: Sizes, rep: int, pg_template: str | None) -> None:
    w, s = runner.work, runner.script
    for grace in ("none", "default"):
        runner.run(
            f"naive_{grace}",
            s("naive.py", w / "naive.db", "--steps", sizes.naive_steps, "--grace", grace),
        )
    runner.run("sqlite_limit", s("sqlite_limit.py", w / "limit.db", "--rows", sizes.claim_rows))
    runner.run("pg_limit", s("pg_limit.py", "--rows", sizes.claim_rows, "--procs", 1, 4))
    runner.run(
        "onward_drain",
        s("onward_dispatch.py", "drain", w / "drain.db", "--copy-of", w / "g1.db")
        + (["--explain"] if rep == 0 else []),
    )
    runner.run(
        "serve_drain",
        s(
            "serve_drain.py",
            w / "serve",
            "--copy-of",
            w / "serve.db",
            "--sizes",
            *sizes.serve_sizes,
        ),
    )
    if pg_template:
        for procs in (1, 4):
            runner.run(
                f"onward_pg_{procs}",
                s("onward_dispatch.py", "pg", pg_template, "--procs", procs),
            )
    # The webhook's baselines just before it, the bare one last: G4's ratios compare runs
    # seconds apart, not minutes (a busy neighbour can come and go in between).
    runner.run("quick_webhook", s("quick_webhook.py", w / "quick", "--seconds", sizes.wrk_seconds))
    runner.run("bare_webhook", s("bare_webhook.py", w / "bare", "--seconds", sizes.wrk_seconds))
    runner.run(
        "onward_webhook",
        s(
            "onward_webhook.py",
            *(w / "webhook", "--template", w / "g1.db", "--seconds", sizes.wrk_seconds),
            *("--drain-steps", sizes.g4_drain_steps),
        ),
    )
    for size in ("small", "big"):
        runner.run(
            f"serve_memory_{size}",
            s(
                "onward_serve.py",
                *("memory", w / "memory", "--copy-of", w / f"g5_{size}.db"),
                *("--settle", sizes.g5_settle),
            ),
        )
    for size in ("small", "big"):
        runner.run(
            f"drain_pending_{size}",
            s("onward_dispatch.py", "drain", w / "growth.db", "--copy-of", w / f"g6_{size}.db")
            + ["--due", str(sizes.g6_due)]
            + (["--explain"] if rep == 0 else []),
        )


if __name__ == "__main__":
    main()

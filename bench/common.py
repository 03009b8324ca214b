"""Shared benchmark helpers: the machine, timing, medians, RSS, ports, PostgreSQL databases,
processes started together, and a real `onward serve` in a process of its own."""

from __future__ import annotations

import json
import os
import platform
import resource
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
PYTHON = sys.executable
PG_ADMIN_URL = os.environ.get(
    "ONWARD_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def emit(figures: dict[str, Any]) -> None:
    """A benchmark's result: one JSON line on standard output, read by bench/run.py."""
    print(json.dumps(figures, sort_keys=True), flush=True)


def median(values: Iterable[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        raise ValueError("median of nothing")
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: Iterable[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `pct`% of values at or below."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of nothing")
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def now_s() -> float:
    """A monotonic instant in seconds; CLOCK_MONOTONIC, so comparable across processes."""
    return time.monotonic()


def peak_rss_mb() -> float:
    """This process's peak resident set size."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def proc_status_mb(pid: int, field: str) -> float:
    """A memory line of /proc/<pid>/status (VmRSS now, VmHWM the peak), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"{field} not in /proc/{pid}/status")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, seconds: float = 30.0, process: Any = None) -> None:
    """Poll a loopback URL until it answers 200; fail early if the server process died."""
    import httpx

    deadline = now_s() + seconds
    while now_s() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"nothing answered {url} within {seconds} s")


def machine_info() -> dict[str, Any]:
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_gb = 0.0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        memory_gb = int(meminfo.read_text().split()[1]) / 1024 / 1024
    import sqlalchemy

    return {
        "cpu": model,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(memory_gb, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "postgresql": postgres_version(),
    }


# -- PostgreSQL --------------------------------------------------------------------------------


def _admin_engine() -> Any:
    from sqlalchemy import create_engine

    return create_engine(
        PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )


def postgres_version() -> str | None:
    from sqlalchemy import text

    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            return str(conn.scalar(text("show server_version")))
    except Exception:
        return None
    finally:
        engine.dispose()


def process_cpu_seconds(pids: Iterable[int]) -> float:
    """The CPU time (user and system) used so far by these processes, as /proc shows it: how
    PostgreSQL's server processes are charged for a benchmark (PostgreSQL runs on this machine).
    A process that has ended counts nothing."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def backend_pids(engine: Any) -> list[int]:
    """The server process of every connection `engine` opens from now on (and keeps)."""
    from sqlalchemy import event

    pids: list[int] = []

    @event.listens_for(engine, "connect")
    def _remember(dbapi_connection: Any, _record: Any) -> None:
        pids.append(int(dbapi_connection.info.backend_pid))

    return pids


def pg_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def create_pg_database(prefix: str, template: str | None = None) -> str:
    """A fresh database (optionally a copy of `template`); returns its name."""
    from sqlalchemy import text

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            suffix = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    finally:
        engine.dispose()
    return name


def drop_pg_database(name: str) -> None:
    from sqlalchemy import text

    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


# -- several processes started together ----------------------------------------------------------


def run_together(commands: list[list[str]], timeout: float = 3600.0) -> list[dict[str, Any]]:
    """Start every command, wait until each prints `ready`, send them all `go` at once, and
    return the JSON line each prints last (see `wait_for_go`)."""
    procs = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for command in commands
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"a worker did not get ready: {line!r}")
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        reports = []
        for proc in procs:
            out, _ = proc.communicate(timeout=timeout)
            if proc.returncode:
                raise RuntimeError(f"a worker failed with exit status {proc.returncode}")
            reports.append(json.loads(out.strip().splitlines()[-1]))
        return reports
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def wait_for_go() -> None:
    """A worker's side of `run_together`: say ready, then block until told to go."""
    print("ready", flush=True)
    sys.stdin.readline()


# -- a real `onward serve` -------------------------------------------------------------------


def start_onward_serve(
    database: Path, port: int, workdir: Path, **settings: str
) -> subprocess.Popen[bytes]:
    """`onward serve` on `database`, in its own process, its log in WORKDIR/serve-PORT.log.

    Run from `workdir` with every ONWARD_/TWILIO_/SENDGRID_ variable of ours left out, so no
    stray .env or setting of the caller changes what is measured; `settings` add to that.
    """
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ONWARD_", "TWILIO_", "SENDGRID_"))
    }
    env.update(
        ONWARD_DATABASE_URL=f"sqlite:///{database}",
        ONWARD_PORT=str(port),
        ONWARD_PUBLIC_URL=f"http://127.0.0.1:{port}",
        PYTHONUNBUFFERED="1",
    )
    env.update(settings)
    log = (workdir / f"serve-{port}.log").open("wb")
    return subprocess.Popen(
        [PYTHON, "-m", "onward.engine.cli", "serve"],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

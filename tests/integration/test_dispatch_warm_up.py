"""A dispatcher warms up before its first claim: the plans its open runs follow are parsed by a
read, not by the claim while it holds the write lock (on SQLite every webhook waits for that
claim: about 100 ms a plan on a slow machine, the slowest 1% of G4's webhooks during a drain)."""

from __future__ import annotations

from onward.engine.plan_store import PARSED, latest_version
from onward.engine.runs import cancel, get_run
from tests.integration.dispatch_helpers import Harness


def _checksum(world: Harness, name: str) -> str:
    with world.sessions() as session:
        version = latest_version(session, name)
        assert version is not None
        return version.checksum


def test_warm_up_parses_the_plans_of_open_runs_and_no_others(world: Harness) -> None:
    world.start_run(plan="standard")
    ended = world.start_run(phone="+14155550177", plan="gentle")
    with world.sessions.begin() as session:
        cancel(session, get_run(session, ended), world.clock.now())
    PARSED.clear()  # as in a process just started
    assert world.dispatcher().warm_up() == 1
    assert _checksum(world, "standard") in PARSED
    assert _checksum(world, "gentle") not in PARSED


def test_warm_up_reads_while_another_connection_holds_the_write_lock(world: Harness) -> None:
    world.start_run()
    PARSED.clear()
    with world.engine.connect() as other:
        other.begin()  # on SQLite, BEGIN IMMEDIATE: the write lock, held until the rollback
        other.exec_driver_sql("UPDATE people SET updated_at = updated_at")
        # A warm-up that asked for the lock would wait out the busy timeout, then fail.
        assert world.dispatcher().warm_up() == 1
        other.rollback()
    assert _checksum(world, "standard") in PARSED

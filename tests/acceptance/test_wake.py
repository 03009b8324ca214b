"""The daemon wakes at the earliest due time, not only at its periodic tick (which here is set
far away): a step due in a second is sent long before the next tick."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from onward.channels import ChannelContext
from onward.channels.console import ConsoleChannel
from onward.engine.channel_set import ChannelSet
from onward.engine.clock import SystemClock
from onward.engine.daemon import Daemon
from onward.engine.people import create_person
from onward.engine.plan_store import PARSED, install_shipped_plans, require_latest
from onward.engine.run_start import start_run
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from onward.engine.storage.migrate import upgrade
from onward.engine.storage.models import Person, Step
from onward.plans import SendWindow

pytestmark = pytest.mark.slow


def _runtime_with_a_run(tmp_path: Path, clock: SystemClock, printed: io.StringIO) -> Runtime:
    """A daemon's runtime on a SQLite file, one standard run in it, its steps days away."""
    settings = load_settings(
        {"ONWARD_DATABASE_URL": f"sqlite:///{tmp_path}/wake.db", "ONWARD_TICK_SECONDS": "600"}
    )
    console = ConsoleChannel(ChannelContext(output=printed))
    channels = ChannelSet({"sms": ("console", console), "email": ("console", console)})
    runtime = Runtime(settings, clock, channels=channels)
    upgrade(runtime.engine)
    with runtime.sessions.begin() as session:
        install_shipped_plans(session, clock)
        person = create_person(session, "sms", "+14155550100", clock.now())
        person.send_window = "00:00-24:00"
        start_run(
            session,
            person,
            require_latest(session, "standard"),
            "Acme",
            "",
            clock.now(),
            SendWindow.ANY,
        )
        session.execute(update(Step).values(due_at=clock.now() + timedelta(days=3)))
    return runtime


def test_a_step_due_soon_is_sent_by_the_wake_up_not_the_periodic_tick(tmp_path: Path) -> None:
    clock, printed = SystemClock(), io.StringIO()
    runtime = _runtime_with_a_run(tmp_path, clock, printed)
    daemon = Daemon(runtime)
    daemon.start_scheduler()  # the first tick runs at once and schedules the wake-up
    try:
        time.sleep(0.5)
        with runtime.sessions.begin() as session:
            checkin = session.scalars(select(Step).where(Step.step_key == "checkin")).one()
            checkin.due_at = clock.now() + timedelta(seconds=1)
        daemon.tick()  # what an inbound message's change does: the wake-up is moved earlier
        deadline = time.monotonic() + 20
        while "Just checking in" not in printed.getvalue():
            assert time.monotonic() < deadline, "not woken: it would have waited for the 600 s tick"
            time.sleep(0.05)
    finally:
        daemon.stop_scheduler()
        runtime.close()
    with runtime.sessions() as session:
        assert session.scalars(select(Person.sms_status)).one() == "active"


def test_the_daemon_parses_the_plans_of_open_runs_before_its_first_claim(tmp_path: Path) -> None:
    """Nothing is due, so no claim parses the plan: the start's warm-up did, by a read."""
    clock = SystemClock()
    runtime = _runtime_with_a_run(tmp_path, clock, io.StringIO())
    with runtime.sessions() as session:
        digest = require_latest(session, "standard").checksum
    PARSED.clear()  # as in a process just started
    daemon = Daemon(runtime)
    daemon.start_scheduler()
    try:
        assert digest in PARSED
    finally:
        daemon.stop_scheduler()
        runtime.close()

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
from onward.engine.plan_store import install_shipped_plans, require_latest
from onward.engine.run_start import start_run
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from onward.engine.storage.migrate import upgrade
from onward.engine.storage.models import Person, Step
from onward.plans import SendWindow

pytestmark = pytest.mark.slow


def test_a_step_due_soon_is_sent_by_the_wake_up_not_the_periodic_tick(tmp_path: Path) -> None:
    clock = SystemClock()
    settings = load_settings(
        {"ONWARD_DATABASE_URL": f"sqlite:///{tmp_path}/wake.db", "ONWARD_TICK_SECONDS": "600"}
    )
    printed = io.StringIO()
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

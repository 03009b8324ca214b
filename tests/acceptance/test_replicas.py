"""Several real `onward serve` replicas on one PostgreSQL database: every step is delivered
exactly once, whichever replica claims it, even when one is killed or frozen past its lease."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, delete, func, select, update

from onward.engine.clock import SystemClock
from onward.engine.people import create_person
from onward.engine.plan_store import install_shipped_plans, parsed, require_latest
from onward.engine.run_start import start_run
from onward.engine.storage.db import create_db_engine, session_factory
from onward.engine.storage.models import Delivery, Person, PlanVersion, Run, Step
from tests.conftest import drop_postgres_database, fresh_postgres_url
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, running_fake

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
ONWARD = [sys.executable, "-m", "onward.engine.cli"]
FRAME = re.compile(r"· delivery (\d+) ─")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Replica:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.log = log
        self._out = log.open("w")
        self.process = subprocess.Popen(
            [*ONWARD, "serve"],
            env={**env, "ONWARD_PORT": str(self.port)},
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{self.port}"

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                assert self.process.poll() is None, self.log.read_text()
            time.sleep(0.1)
        raise AssertionError("replica never became healthy")

    def text(self, sender: str, body: str, message_id: str) -> httpx.Response:
        return httpx.post(
            f"{self.base}/webhooks/console/sms",
            json={"from": sender, "body": body},
            headers={"X-Console-Message-Id": message_id},
            timeout=15,
        )

    def sent_delivery_ids(self) -> list[int]:
        return [int(m) for m in FRAME.findall(self.log.read_text())]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._out.close()


@pytest.fixture
def database(postgres_admin: Engine) -> Iterator[str]:
    url = fresh_postgres_url(postgres_admin)
    try:
        yield url
    finally:
        drop_postgres_database(postgres_admin, url)


@pytest.fixture
def replicas(database: str, tmp_path: Path) -> Iterator[list[Replica]]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ONWARD_", "TWILIO_", "SENDGRID_"))
    }
    env.update(
        ONWARD_DATABASE_URL=database,
        ONWARD_TICK_SECONDS="0.2",
        ONWARD_LEASE_SECONDS="5",
        ONWARD_CLAIM_BATCH="10",
        PYTHONUNBUFFERED="1",
    )
    upgraded = subprocess.run([*ONWARD, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert upgraded.returncode == 0, upgraded.stderr
    started = [Replica(env, tmp_path / f"replica{n}.log") for n in range(3)]
    try:
        for replica in started:
            replica.wait_healthy()
        yield started
    finally:
        for replica in started:
            replica.stop()


def _report_rejections(replicas: list[Replica], people: int) -> None:
    for n in range(people):
        replica = replicas[n % len(replicas)]
        response = replica.text(f"+1415555{n:04d}", f"REJECTED Company{n}", f"m-{n}")
        assert response.status_code == 200, response.text
    # The same messages again through other replicas: provider retries change nothing.
    for n in range(0, people, 5):
        assert (
            replicas[(n + 1) % len(replicas)]
            .text(f"+1415555{n:04d}", f"REJECTED Company{n}", f"m-{n}")
            .status_code
            == 200
        )


def _make_everything_due(engine: Engine, lead: timedelta = timedelta(0)) -> int:
    """Every plan step due now (or `lead` from now), but those counted in business days, which
    are removed: on a Saturday, a Sunday or a holiday the guards rightly move them to the next
    business day, and this test runs on any day (real replicas, real clock)."""
    now = SystemClock().now() + lead
    with session_factory(engine)() as session:
        plans = [parsed(version) for version in session.scalars(select(PlanVersion))]
    business = {step.id for plan in plans for step in plan.steps if step.business_days}
    with engine.begin() as conn:
        conn.execute(update(Person).values(send_window="00:00-24:00"))
        conn.execute(delete(Step).where(Step.step_key.in_(business)))
        return conn.execute(
            update(Step)
            .where(Step.status == "pending", Step.reminder_of.is_(None))
            .values(due_at=now)
        ).rowcount


def _wait_until_drained(engine: Engine, expected: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            pending = conn.scalar(
                select(func.count())
                .select_from(Step)
                .where(Step.status.in_(("pending", "claimed")), Step.reminder_of.is_(None))
            )
        if pending == 0:
            return
        time.sleep(0.3)
    raise AssertionError(f"{pending} of {expected} steps still waiting")


def _assert_exactly_once(engine: Engine, replicas: list[Replica], people: int) -> None:
    with engine.connect() as conn:
        per_step = Counter(
            conn.scalars(select(Delivery.step_id).where(Delivery.status != "failed")).all()
        )
        runs = conn.scalar(select(func.count()).select_from(Run))
        steps = conn.scalar(
            select(func.count()).select_from(Step).where(Step.reminder_of.is_(None))
        )
    assert runs == people  # the retried REJECTED messages started nothing new
    assert len(per_step) == steps, "a step was never delivered"
    assert set(per_step.values()) == {1}, "a step was delivered twice"
    printed = Counter(d for r in replicas for d in r.sent_delivery_ids())
    assert all(count == 1 for count in printed.values()), "a nudge was printed twice"


def test_three_replicas_deliver_every_step_exactly_once(
    replicas: list[Replica], database: str
) -> None:
    engine = create_db_engine(database)
    try:
        _report_rejections(replicas, people=30)
        # Due a moment ahead: each replica's next tick (every 0.2 s) sets its wake-up for that
        # instant, so all three claim at once. Due at once, the first to tick could drain them
        # all (about 200 steps) before another ticked: it did in 6 runs of 14 on a fast machine.
        due = _make_everything_due(engine, lead=timedelta(seconds=1.5))
        _wait_until_drained(engine, due)
        _assert_exactly_once(engine, replicas, people=30)
        assert sum(1 for r in replicas if r.sent_delivery_ids()) >= 2, "only one replica worked"
    finally:
        engine.dispose()


def test_a_replica_killed_or_frozen_loses_and_doubles_nothing(
    replicas: list[Replica], database: str
) -> None:
    engine = create_db_engine(database)
    try:
        _report_rejections(replicas, people=30)
        due = _make_everything_due(engine)
        frozen, killed = replicas[0], replicas[1]
        frozen.process.send_signal(signal.SIGSTOP)
        time.sleep(0.4)
        killed.process.send_signal(signal.SIGKILL)
        time.sleep(6)  # past the 5 s lease: the survivor takes over what they held
        frozen.process.send_signal(signal.SIGCONT)  # its late results must not double a send
        _wait_until_drained(engine, due)
        time.sleep(1)
        _assert_exactly_once(engine, replicas, people=30)
    finally:
        engine.dispose()


def test_races_between_replicas_end_in_one_consistent_state(
    replicas: list[Replica], database: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    engine = create_db_engine(database)
    try:
        # The same person reports two rejections at the same moment through two replicas.
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(
                pool.map(
                    lambda n: replicas[n % 2].text(
                        "+14155550177", f"REJECTED Company{n}", f"race-{n}"
                    ),
                    range(4),
                )
            )
        assert all(a.status_code == 200 for a in answers)
        with engine.connect() as conn:
            statuses = Counter(conn.scalars(select(Run.status)).all())
        assert statuses == {"active": 1, "superseded": 3}  # one stream, never two

        # STOP races a step falling due: whichever wins, nothing is sent after the STOP.
        _make_everything_due(engine)
        stop = replicas[2].text("+14155550177", "STOP", "race-stop")
        assert stop.status_code == 200 and "unsubscribed" in stop.text
        stopped_at = SystemClock().now()
        time.sleep(1.5)
        with engine.connect() as conn:
            late = conn.scalars(select(Delivery.id).where(Delivery.created_at > stopped_at)).all()
            opted_out = conn.scalar(select(Person.sms_status).where(Person.phone == "+14155550177"))
        assert late == [] and opted_out == "opted_out"
    finally:
        engine.dispose()


# -- a replica killed mid-drain, with Twilio: nothing lost, nothing doubled ----------------------


def _due_nudges(database: str, people: int) -> int:
    """`people` runs of the standard plan, each with its first nudge due now and the rest a
    month away: that many nudges due at once."""
    engine = create_db_engine(database)
    sessions = session_factory(engine)
    clock = SystemClock()
    try:
        with sessions.begin() as session:
            install_shipped_plans(session, clock)
            version = require_latest(session, "standard")
            for n in range(people):
                person = create_person(session, "sms", f"+1415555{n:04d}", clock.now())
                person.send_window = "00:00-24:00"
                start_run(
                    session, person, version, f"Company{n}", "Engineer", clock.now(), "09:00-20:00"
                )
        with engine.begin() as conn:
            now = clock.now()
            conn.execute(update(Step).values(due_at=now + timedelta(days=30)))
            return conn.execute(
                update(Step).where(Step.step_key == "ack").values(due_at=now)
            ).rowcount
    finally:
        engine.dispose()


def _held_by(engine: Engine, replica: Replica) -> int:
    with engine.connect() as conn:
        return (
            conn.scalar(
                select(func.count())
                .select_from(Step)
                .where(
                    Step.status == "claimed", Step.claimed_by.endswith(f":{replica.process.pid}")
                )
            )
            or 0
        )


def _settled(engine: Engine) -> tuple[int, int]:
    """Steps still waiting to go, and deliveries still in doubt."""
    with engine.connect() as conn:
        waiting = (
            conn.scalar(
                select(func.count())
                .select_from(Step)
                .where(Step.status.in_(("pending", "claimed")))
                .where(Step.step_key == "ack")
            )
            or 0
        )
        in_doubt = (
            conn.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status.in_(("unknown", "queued")))
            )
            or 0
        )
    return waiting, in_doubt


def test_a_replica_killed_mid_drain_loses_and_doubles_nothing_with_twilio(
    postgres_admin: Engine, tmp_path: Path
) -> None:
    """Three replicas drain 150 nudges through Twilio at 10 messages a second each; one is
    killed with SIGKILL while it holds a batch, and a replacement starts. Every nudge reaches
    Twilio exactly once: what the dead replica had not handed over is sent by the others, and
    what it may have sent is looked up in Twilio's list of messages."""
    database = fresh_postgres_url(postgres_admin)
    started: list[Replica] = []
    try:
        with running_fake(clock=SystemClock().now) as twilio:
            env = {
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("ONWARD_", "TWILIO_", "SENDGRID_"))
            }
            env.update(
                ONWARD_DATABASE_URL=database,
                ONWARD_TICK_SECONDS="0.2",
                ONWARD_LEASE_SECONDS="5",
                TWILIO_ACCOUNT_SID=ACCOUNT_SID,
                TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                ONWARD_TWILIO_FROM="+15005550006",
                ONWARD_TWILIO_API_BASE=twilio.base_url,
                ONWARD_TWILIO_RATE_PER_SEC="10",
                PYTHONUNBUFFERED="1",
            )
            upgraded = subprocess.run(
                [*ONWARD, "db", "upgrade"], env=env, capture_output=True, text=True
            )
            assert upgraded.returncode == 0, upgraded.stderr
            due = _due_nudges(database, people=150)
            assert due == 150
            engine = create_db_engine(database)
            try:
                started += [Replica(env, tmp_path / f"replica{n}.log") for n in range(3)]
                for replica in started:
                    replica.wait_healthy()
                doomed = started[0]
                deadline = time.monotonic() + 30
                while _held_by(engine, doomed) == 0 or sum(twilio.received().values()) < 20:
                    assert time.monotonic() < deadline, "the drain never got going"
                    time.sleep(0.05)
                doomed.process.send_signal(signal.SIGKILL)
                doomed.process.wait()
                reached_before = sum(twilio.received().values())
                assert reached_before < due, "the drain was over before the kill"
                replacement = Replica(env, tmp_path / "replacement.log")
                started.append(replacement)
                replacement.wait_healthy()

                deadline = time.monotonic() + 120
                while _settled(engine) != (0, 0):
                    assert time.monotonic() < deadline, f"still not settled: {_settled(engine)}"
                    time.sleep(0.5)
                received = twilio.received()
                assert len(received) == due, f"{due - len(received)} nudges never reached Twilio"
                doubled = {key: n for key, n in received.items() if n > 1}
                assert not doubled, f"{len(doubled)} nudges reached Twilio twice"
                with engine.connect() as conn:
                    per_step = Counter(
                        conn.scalars(
                            select(Delivery.step_id).where(Delivery.status.in_(("sending", "sent")))
                        ).all()
                    )
                assert len(per_step) == due and set(per_step.values()) == {1}
                with engine.connect() as conn:
                    taken_over = conn.scalar(
                        select(func.count()).select_from(Delivery).where(Delivery.attempts > 1)
                    )
                assert taken_over, "the killed replica held nothing the others had to take over"
            finally:
                engine.dispose()
    finally:
        for replica in started:
            replica.stop()
        drop_postgres_database(postgres_admin, database)

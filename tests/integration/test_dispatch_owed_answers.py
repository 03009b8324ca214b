"""A full batch's answers, all accepted, are written by the next claim's transaction: one
transaction a batch instead of two. Whatever stops the next claim, they are still written."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine, event

from onward.channels import TransientSendError
from onward.engine.clock import FakeClock
from tests.integration.dispatch_helpers import FlakyChannel, Harness


@pytest.fixture
def world(db_engine: Engine, clock: FakeClock) -> Harness:
    return Harness(db_engine, clock)


def _five_due(world: Harness) -> None:
    """Five people whose first message is due now."""
    runs = [world.start_run(phone=f"+1415555{n:04d}") for n in range(5)]
    world.clock.set(world.step(runs[0], "ack").due_at)


def _counted(engine: Engine) -> Counter[str]:
    counted: Counter[str] = Counter()

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        flat = " ".join(sql.replace('"', "").split())
        for kind in ("UPDATE deliveries", "INSERT INTO deliveries"):
            counted[kind] += flat.startswith(kind)

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", lambda _conn: counted.update(["commit"]))
    return counted


def test_a_full_batchs_answers_ride_with_the_next_claim(db_engine: Engine, world: Harness) -> None:
    _five_due(world)
    dispatcher = world.dispatcher(batch=2)
    counted = _counted(db_engine)
    assert dispatcher.tick() == {"sent": 5}
    # Batches of 2, 2 and 1: three claims, the first two carrying the answers before them,
    # and the last (not full: nothing more is due) recording its own at once.
    assert counted == {"commit": 4, "INSERT INTO deliveries": 3, "UPDATE deliveries": 3}
    assert dispatcher.owed == []
    # (the console channel answers `delivered` at once)
    assert {(d.status, d.provider_id is not None) for d in world.deliveries()} == {
        ("delivered", True)
    }


def test_answers_owed_to_a_claim_that_fails_are_written_on_their_own(world: Harness) -> None:
    _five_due(world)
    dispatcher = world.dispatcher(batch=2)
    calls: list[int] = []

    def second_claim_fails() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database went away")

    dispatcher.before_batch = second_claim_fails
    with pytest.raises(RuntimeError):
        dispatcher.tick()
    answered = [d for d in world.deliveries() if d.status == "delivered"]
    assert len(answered) == 2 and len(world.deliveries()) == 2
    assert dispatcher.owed == []
    # The rest is sent by the next tick, each step once.
    assert dispatcher.tick() == {"sent": 3}
    assert sorted(d.status for d in world.deliveries()) == ["delivered"] * 5


def test_a_dispatcher_stopping_after_a_full_batch_writes_its_answers(
    db_engine: Engine, clock: FakeClock
) -> None:
    flaky = FlakyChannel()
    world = Harness(db_engine, clock, sms=flaky)
    _five_due(world)
    dispatcher = world.dispatcher(batch=2)
    sends: list[int] = []

    def stop_at_the_second_send(_message: object) -> None:
        sends.append(1)
        dispatcher.stopping = len(sends) == 2  # the daemon is told to stop

    flaky.during_send = stop_at_the_second_send
    assert dispatcher.tick() == {"sent": 2}
    assert [d.status for d in world.deliveries()] == ["sent"] * 2


def test_answers_not_all_accepted_are_recorded_at_once(db_engine: Engine, clock: FakeClock) -> None:
    """A failed send goes through its rules in its batch's own record, not a batch later."""
    world = Harness(db_engine, clock, sms=FlakyChannel(TransientSendError("busy")))
    _five_due(world)
    dispatcher = world.dispatcher(batch=2)
    counted = _counted(db_engine)
    assert dispatcher.tick() == {"retried": 1, "sent": 4}
    # The first batch's record on its own, then two claims carrying the answers before them.
    assert counted["commit"] == 5
    # (the retry waits in `queued`)
    assert sorted(d.status for d in world.deliveries()) == ["queued"] + ["sent"] * 4

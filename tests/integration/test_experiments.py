"""Experiments end to end: arms given once and kept, the arm's text in the reply and at send
time, a lighter control, and `stats experiment` finding a real difference and not a false one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from onward.engine.clock import FakeClock
from onward.engine.dispatch.dispatcher import DispatchConfig, Dispatcher
from onward.engine.numbers.stats_experiment import experiment_report
from onward.engine.plan_store import add_plan, parsed, require_latest, set_default
from onward.engine.storage.db import create_db_engine, session_factory
from onward.engine.storage.migrate import upgrade
from onward.engine.storage.models import Step
from onward.engine.storage.outcome_models import ExperimentArm
from onward.plans import CONTROL_ARM, SendWindow, assign_arm
from tests.integration.dispatch_helpers import FlakyChannel
from tests.integration.inbound_helpers import Talk

START = datetime(2026, 11, 2, tzinfo=UTC)
BASE_ACK = "I'm sorry about the news. Reply PAUSE for a break, STOP to end."
WARM_ACK = "That hurts, and it says nothing about your worth. Reply PAUSE for a break, STOP to end."
TRIAL = f"""
name: trial
description: Does a warmer first message bring more replies?
window: "00:00-24:00"
holdout: 0.5
steps:
  - id: ack
    kind: message
    due: 0m
    text: {BASE_ACK}
    variants:
      - name: warm
        text: {WARM_ACK}
  - id: reflect
    kind: reflect
    due: 1d
    text: How did it go? Reply PAUSE for a break, STOP to end.
    variants:
      - name: warm
        text: When you feel ready, how did it go? Reply PAUSE for a break, STOP to end.
"""


@pytest.fixture
def trial(talk: Talk) -> Talk:
    return with_trial(talk)


@pytest.fixture
def large_trial(tmp_path: Path, clock: FakeClock) -> Iterator[Talk]:
    """Hundreds of people: played on SQLite only (the figures' SQL is the same on both)."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'trial.db'}")
    upgrade(engine)
    yield with_trial(Talk(engine, clock))
    engine.dispose()


def with_trial(talk: Talk) -> Talk:
    talk.clock.set(START)
    with talk.sessions.begin() as session:
        add_plan(session, TRIAL, talk.clock)
        set_default(session, "trial")
    return talk


def phone(i: int) -> str:
    return f"+1415556{1000 + i:04d}"


def arm_of(talk: Talk, i: int) -> str:
    with talk.sessions() as session:
        plan = parsed(require_latest(session, "trial"))
    return str(assign_arm(plan, talk.me(phone(i)).id))


def enrol(talk: Talk, people: int, replies: dict[str, float]) -> None:
    """`people` report a rejection an hour apart; a share of each arm writes back an hour later
    (`replies[arm]`, spread evenly over the people of that arm), and one in 25 stops."""
    seen: dict[str, int] = {}
    for i in range(people):
        talk.clock.set(START + timedelta(hours=i))
        talk.say("REJECTED Acme", phone(i))
        arm = arm_of(talk, i)
        k = seen[arm] = seen.get(arm, 0) + 1
        share = replies[arm]
        if int(k * share) != int((k - 1) * share):
            talk.clock.advance(timedelta(minutes=30))
            talk.say("thank you, that helps", phone(i))
        if i % 25 == 0:
            talk.clock.advance(timedelta(minutes=10))
            talk.say("STOP", phone(i))


def report(talk: Talk) -> dict[str, Any]:
    with talk.sessions() as session:
        return experiment_report(session, "trial", START + timedelta(days=60))


def test_each_arm_gets_its_own_text_in_the_reply_and_keeps_its_arm(trial: Talk) -> None:
    texts = {}
    for i in range(12):
        reply = trial.say("REJECTED Acme", phone(i))
        assert reply is not None
        texts[arm_of(trial, i)] = reply
        [row] = trial.rows(ExperimentArm, ExperimentArm.person_id == trial.me(phone(i)).id)
        assert (row.arm, row.experiment) == (arm_of(trial, i), "trial")
    assert set(texts) == {CONTROL_ARM, "warm"}
    assert BASE_ACK in texts[CONTROL_ARM] and WARM_ACK not in texts[CONTROL_ARM]
    assert WARM_ACK in texts["warm"]
    # A new rejection starts a new run: same person, same experiment, same arm.
    trial.later(days=1)
    trial.say("REJECTED Globex", phone(0))
    arms = trial.rows(ExperimentArm, ExperimentArm.person_id == trial.me(phone(0)).id)
    assert len(arms) == 2 and arms[0].arm == arms[1].arm


def test_the_sender_uses_the_arm_and_a_lighter_control_skips_what_it_leaves_out(
    talk: Talk, engine: Engine
) -> None:
    lighter = TRIAL.replace("holdout: 0.5", "holdout: {share: 0.5, skip: [reflect]}")
    talk.clock.set(START)
    with talk.sessions.begin() as session:
        add_plan(session, lighter, talk.clock)
        set_default(session, "trial")
    for i in range(10):
        talk.say("REJECTED Acme", phone(i))
    channel = FlakyChannel()
    dispatcher = Dispatcher(
        session_factory(engine),
        talk.clock,
        {"sms": (channel.name, channel), "email": (channel.name, channel)},
        DispatchConfig(worker_id="t", default_window=SendWindow.ANY),
    )
    talk.later(days=1)
    dispatcher.tick()
    sent = {message.to: message.body for message in channel.outbox}
    for i in range(10):
        [reflect] = talk.rows(
            Step, Step.run_id == talk.run(phone(i)).id, Step.step_key == "reflect"
        )
        if arm_of(talk, i) == CONTROL_ARM:
            assert phone(i) not in sent
            assert reflect.status == "skipped" and "control arm" in (reflect.last_error or "")
        else:
            assert sent[phone(i)].startswith("When you feel ready")
            assert reflect.status == "sent"


def test_too_few_people_says_how_many_more(trial: Talk) -> None:
    enrol(trial, 40, {CONTROL_ARM: 0.3, "warm": 0.6})
    found = report(trial)
    assert found["enough_data"] is False and found["difference_found"] is False
    needed = found["needed_per_arm"]
    people = {arm["arm"]: arm["people"] for arm in found["arms"]}
    assert set(people) == {CONTROL_ARM, "warm"}
    fewest = min(trial.count(ExperimentArm, ExperimentArm.arm == arm) for arm in people)
    assert found["message"] == (
        f"too few people to tell: about {needed - fewest} more per arm for a 10-point difference"
    )


def test_a_real_difference_is_found(large_trial: Talk) -> None:
    trial = large_trial
    enrol(trial, 900, {CONTROL_ARM: 0.3, "warm": 0.6})
    found = report(trial)
    control, warm = found["arms"]
    assert (control["arm"], warm["arm"]) == (CONTROL_ARM, "warm")
    assert found["reference_arm"] == CONTROL_ARM and found["holdout"] == 0.5
    n_control = trial.count(ExperimentArm, ExperimentArm.arm == CONTROL_ARM)
    n_warm = 900 - n_control
    assert (control["people"], warm["people"]) == (n_control, n_warm)
    assert control["replied"] == int(n_control * 0.3)
    assert warm["replied"] == int(n_warm * 0.6)
    assert control["reply_rate"] == round(int(n_control * 0.3) / n_control, 4)
    lo, hi = warm["reply_rate_ci"]
    assert lo < warm["reply_rate"] < hi
    stopped = dict.fromkeys((CONTROL_ARM, "warm"), 0)
    for i in range(0, 900, 25):
        stopped[arm_of(trial, i)] += 1
    assert control["opted_out"] == (stopped[CONTROL_ARM] if stopped[CONTROL_ARM] >= 5 else None)
    assert warm["vs_reference"]["reply_p"] < 0.001
    assert warm["vs_reference"]["reply_test"] == "chi-square"
    assert found["enough_data"] is True and found["difference_found"] is True
    assert found["message"].startswith("enough people to tell a 10-point difference, and the")


def test_no_difference_is_not_claimed(large_trial: Talk) -> None:
    trial = large_trial
    enrol(trial, 900, {CONTROL_ARM: 0.4, "warm": 0.4})
    found = report(trial)
    _, warm = found["arms"]
    assert found["enough_data"] is True
    assert warm["vs_reference"]["reply_p"] > 0.05
    assert found["difference_found"] is False
    assert "none was found" in found["message"]


def test_a_plan_without_an_experiment_says_so(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    with talk.sessions() as session:
        found = experiment_report(session, "standard", START)
    assert found["arms"] == [] and found["enough_data"] is False
    assert "runs no experiment" in found["message"]
    assert talk.count(ExperimentArm) == 0


def test_an_unknown_plan_is_an_error(talk: Talk) -> None:
    from onward.engine.errors import NotFound

    with talk.sessions() as session, pytest.raises(NotFound):
        experiment_report(session, "nope", START)


def test_no_arm_row_for_plans_without_experiments(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    with talk.sessions() as session:
        assert session.scalars(select(ExperimentArm)).all() == []

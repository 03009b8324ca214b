"""`onward stats` and `onward stats experiment` through `main()`: JSON shape, tables, charts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from onward.engine.cli.state import state
from onward.engine.clock import FakeClock
from onward.engine.numbers.stats import numbers_page
from onward.engine.plan_store import add_plan, set_default
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from onward.engine.storage.migrate import upgrade
from tests.integration.inbound_helpers import Talk
from tests.integration.test_cli_listings import onward
from tests.integration.test_experiments import TRIAL

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
STEP_KEYS = {"step", "sent", "replied", "done", "opted_out_after", "paused_after"}


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    clock = FakeClock(START)
    runtime = Runtime(
        load_settings({"ONWARD_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}), clock=clock
    )
    upgrade(runtime.engine)
    state.use(runtime)
    yield runtime
    state.use(None)


@pytest.fixture
def talk(runtime: Runtime) -> Talk:
    assert isinstance(runtime.clock, FakeClock)
    return Talk(runtime.engine, runtime.clock)


def populate(talk: Talk, people: int = 8) -> None:
    for i in range(people):
        phone = f"+1415555{2000 + i}"
        talk.say("REJECTED Acme", phone)
        talk.later(hours=2)
        talk.say("thanks", phone)
        if i < 6:
            talk.say("APPLIED 2", phone)
        if i < 3:
            talk.say("HIRED", phone)
        talk.later(hours=3)


def test_stats_json_has_the_contracts_shape(talk: Talk) -> None:
    populate(talk)
    result = onward("stats", "--plan", "standard", "--json")
    assert result.code == 0, result.err
    shown = result.json()
    assert shown["plan"] == "standard" and shown["people"] == 8
    assert {"plan", "people", "steps", "outcomes"} <= set(shown)
    for row in shown["steps"]:
        assert set(row) >= STEP_KEYS
    ack = shown["steps"][0]
    assert (ack["step"], ack["sent"], ack["replied"]) == ("ack", 8, 8)
    assert ack["opted_out_after"] is None  # none: under 5 is null
    outcomes = shown["outcomes"]
    assert {"applied", "interview", "offer", "hired", "median_days_to_first_applied"} <= set(
        outcomes
    )
    assert outcomes["applied"] == 6 and outcomes["hired"] is None  # 3 hired: suppressed
    assert outcomes["median_days_to_first_applied"] == pytest.approx(2 / 24, abs=0.01)


def test_stats_table_shows_small_counts_as_under_five(talk: Talk) -> None:
    populate(talk)
    result = onward("stats", "--plan", "standard")
    assert result.code == 0, result.err
    assert "<5" in result.out and "ack" in result.out and "people: 8" in result.out


@pytest.mark.parametrize(("name", "magic"), [("chart.png", b"\x89PNG"), ("chart.svg", b"<?xml")])
def test_stats_chart(talk: Talk, tmp_path: Path, name: str, magic: bytes) -> None:
    populate(talk)
    out = tmp_path / name
    result = onward("stats", "--json", "--chart", str(out))
    assert result.code == 0, result.err
    assert out.read_bytes().startswith(magic)
    assert json.loads(result.out)["plan"] is None
    again = tmp_path / f"again-{name}"
    assert onward("stats", "--chart", str(again)).code == 0
    assert again.read_bytes() == out.read_bytes()  # no timestamp inside: same figures, same file


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "last week"], "--since 'last week' is not a date"),
        (["--chart", "chart.pdf"], "name a .png or .svg file"),
    ],
)
def test_bad_options_are_usage_errors(runtime: Runtime, args: list[str], message: str) -> None:
    result = onward("stats", *args)
    assert result.code == 2 and message in result.err


def test_since_keeps_later_rejections(talk: Talk) -> None:
    populate(talk, 6)
    talk.later(days=8)
    populate(talk, 5)
    since = (START + timedelta(days=8)).date().isoformat()
    shown = onward("stats", "--since", since, "--json").json()
    assert shown["people"] == 5 and shown["since"] == f"{since}T00:00:00Z"


def test_stats_experiment(talk: Talk) -> None:
    with talk.sessions.begin() as session:
        add_plan(session, TRIAL, talk.clock)
        set_default(session, "trial")
    populate(talk, 30)
    result = onward("stats", "experiment", "trial", "--json")
    assert result.code == 0, result.err
    shown = result.json()
    assert {"plan", "arms", "enough_data"} <= set(shown) and shown["enough_data"] is False
    for arm in shown["arms"]:
        assert {"arm", "people", "reply_rate", "reply_rate_ci", "opt_out_rate"} <= set(arm)
    table = onward("stats", "experiment", "trial")
    assert table.code == 0 and "too few people to tell" in table.out
    run_id = talk.run("+14155552000").id
    arm = onward("runs", "show", str(run_id), "--json").json()["arm"]
    assert arm in {"control", "warm"}


def test_stats_experiment_of_an_unknown_plan(runtime: Runtime) -> None:
    result = onward("stats", "experiment", "nope")
    assert result.code == 1 and "no plan named 'nope'" in result.err


def test_numbers_page_for_the_console(talk: Talk) -> None:
    populate(talk)
    with talk.sessions() as session:
        page = numbers_page(session, talk.clock.now(), plan="standard")
    assert page.figures["people"] == 8
    assert page.chart_png.startswith(b"\x89PNG")
    json.dumps(page.figures)  # JSON-able as it is

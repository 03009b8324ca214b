"""`onward plans order`, the order and rules in `plans list`, and `plans preview --phone
--rejections`: which plan a person would get, and why, as a table and as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
from typer.testing import CliRunner

from onward.engine.cli import app, main
from onward.engine.cli.state import state
from onward.engine.clock import FakeClock
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from tests.integration.inbound_helpers import Talk

runner = CliRunner()
UK_MOBILE = "+447400123456"
US_MOBILE = "+14155550100"
ENGINEERS = dedent(
    """\
    name: engineers
    description: For engineers and developers in Britain.
    when:
      role_matches: "engineer|developer"
      country: [GB]
    steps:
      - id: ack
        kind: message
        due: 0m
        text: Sorry about {{ company or "the job" }}.
    """
)


@pytest.fixture
def runtime(tmp_path: Path, clock: FakeClock) -> Iterator[Runtime]:
    runtime = Runtime(load_settings({"ONWARD_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}), clock)
    state.use(runtime)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    path = tmp_path / "engineers.yaml"
    path.write_text(ENGINEERS, encoding="utf-8")
    assert runner.invoke(app, ["plans", "add", str(path)]).exit_code == 0
    yield runtime
    state.use(None)


def invoke(*args: str) -> Any:
    result = runner.invoke(app, list(args), env={"COLUMNS": "160"})
    return result


def listed() -> dict[str, dict[str, Any]]:
    result = invoke("plans", "list", "--json")
    assert result.exit_code == 0, result.output
    return {row["name"]: row for row in json.loads(result.stdout)}


def test_the_shipped_order_puts_gentle_first_and_list_shows_it(runtime: Runtime) -> None:
    plans = listed()
    assert plans["gentle"]["order"] == 1
    assert plans["gentle"]["when"] == {"rejections_in_30_days": ">= 3"}
    assert (plans["standard"]["order"], plans["standard"]["when"]) == (None, None)
    assert plans["engineers"]["order"] is None
    assert plans["engineers"]["when"] == {"role_matches": "engineer|developer", "country": ["GB"]}
    table = invoke("plans", "list")
    assert "rejections in 30 days >= 3" in table.stdout
    assert "not in the order" in table.stdout  # engineers has rules but is never checked


def test_order_sets_which_plans_rejected_checks_in_turn(runtime: Runtime) -> None:
    done = invoke("plans", "order", "engineers", "gentle")
    assert done.exit_code == 0, done.output
    assert "1. engineers" in done.stdout and "2. gentle" in done.stdout
    assert "standard" in done.stdout  # the fallback is named
    plans = listed()
    assert (plans["engineers"]["order"], plans["gentle"]["order"]) == (1, 2)
    shown = invoke("plans", "order")
    assert shown.exit_code == 0 and "1. engineers" in shown.stdout
    cleared = invoke("plans", "order", "--clear")
    assert cleared.exit_code == 0
    assert listed()["gentle"]["order"] is None


@pytest.mark.parametrize(
    ("names", "needle", "status"),
    [
        (["nosuch"], "no plan named 'nosuch'", 1),
        (["standard"], "no when: rules", 2),
        (["gentle", "gentle"], "twice", 2),
    ],
)
def test_order_refuses_what_could_never_work(
    runtime: Runtime, capsys: pytest.CaptureFixture[str], names: list[str], needle: str, status: int
) -> None:
    assert main(["plans", "order", *names]) == status
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert listed()["gentle"]["order"] == 1  # unchanged


def choice(*options: str) -> dict[str, Any]:
    result = invoke("plans", "preview", "--json", *options)
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def test_preview_says_which_plan_a_person_would_get_and_why(runtime: Runtime) -> None:
    invoke("plans", "order", "engineers", "gentle")
    engineer = choice("--phone", UK_MOBILE, "--rejections", "1", "--role", "Backend Developer")
    assert engineer["plan"] == "engineers"
    assert engineer["because"] == [
        "engineers: role 'Backend Developer' matches 'engineer|developer'",
        "engineers: country GB in GB",
    ]
    third = choice("--phone", US_MOBILE, "--rejections", "3", "--role", "Backend Developer")
    assert third == {
        "plan": "gentle",
        "because": ["gentle: 3 rejections in 30 days (>= 3)"],
        "checked": [
            {
                "plan": "engineers",
                "matched": False,
                "rules": [
                    {
                        "rule": "role_matches",
                        "value": "engineer|developer",
                        "actual": "Backend Developer",
                        "ok": True,
                    },
                    {"rule": "country", "value": ["GB"], "actual": "US", "ok": False},
                ],
            },
            {
                "plan": "gentle",
                "matched": True,
                "rules": [
                    {"rule": "rejections_in_30_days", "value": ">= 3", "actual": 3, "ok": True}
                ],
            },
        ],
    }
    first = choice("--phone", US_MOBILE, "--rejections", "1")
    assert first["plan"] == "standard"
    assert first["because"] == ["no plan in the order matched", "standard is the default plan"]


def test_preview_counts_a_known_person_s_rejections_with_a_new_one(
    runtime: Runtime, clock: FakeClock
) -> None:
    talk = Talk(runtime.engine, clock)
    talk.say("REJECTED Acme", UK_MOBILE)
    talk.say("REJECTED Globex", UK_MOBILE)
    predicted = choice("--phone", UK_MOBILE)
    assert predicted["plan"] == "gentle"  # two stored, and the one being previewed
    assert predicted["checked"][0]["rules"][0]["actual"] == 3
    stranger = choice("--phone", "+1 415 555 0111")  # nobody yet: their first rejection
    assert stranger["plan"] == "standard"
    assert stranger["checked"][0]["rules"][0]["actual"] == 1


def test_preview_as_a_table_shows_each_rule_and_the_verdict(runtime: Runtime) -> None:
    invoke("plans", "order", "engineers", "gentle")
    result = invoke("plans", "preview", "--phone", US_MOBILE, "--rejections", "3", "--role", "QA")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for needle in ("engineers", "role_matches", "engineer|developer", "'QA'", "gentle", ">= 3"):
        assert needle in out, (needle, out)
    assert "REJECTED would start plan gentle" in out
    assert "3 rejections in 30 days (>= 3)" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--rejections", "3"], "--phone"),
        (["--phone", US_MOBILE, "--rejections", "-1"], "--rejections"),
        (["standard", "--rejections", "3"], "without a plan name"),
        (["--phone", "not a number", "--rejections", "2"], "--phone"),
    ],
)
def test_preview_of_a_choice_refuses_bad_usage(
    runtime: Runtime, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    assert main(["plans", "preview", *args]) == 2
    assert needle in capsys.readouterr().err

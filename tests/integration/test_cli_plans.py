"""The plans and db commands through Typer's runner: exact error lines, versions, preview JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onward.engine.cli import app, main
from onward.engine.cli.state import state
from onward.engine.clock import FakeClock
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from onward.plans import shipped_plan_source

runner = CliRunner()

BROKEN = """\
name: broken
steps:
  - id: ack
    kind: message
    due: 0m
    text: Hello {{ compnay }}. Reply STOP to end.
  - id: ack
    kind: party
    due: 3x
    text: Hi. Reply STOP to end.
  - id: later
    kind: reflect
    due: 1d
    goal: 4
    text: How was it? Reply STOP to end.
window: 20:00-09:00
"""


@pytest.fixture
def runtime(tmp_path: Path, clock: FakeClock) -> Iterator[Runtime]:
    runtime = Runtime(load_settings({"ONWARD_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}), clock)
    state.use(runtime)
    yield runtime
    state.use(None)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_reports_every_error_with_file_line_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.yaml", BROKEN)
    result = runner.invoke(app, ["plans", "validate", str(path)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    expected = [
        (6, "steps[0].text"),
        (7, "steps[1].id"),
        (8, "steps[1].kind"),
        (9, "steps[1].due"),
        (14, "steps[2].goal"),
        (16, "window"),
    ]
    for line, field in expected:
        assert any(entry.startswith(f"{path}:{line}: {field}: ") for entry in lines), (
            line,
            field,
            lines,
        )
    assert "Traceback" not in result.output
    assert main(["plans", "validate", str(path)]) == 1  # the console script's own exit status


@pytest.mark.parametrize(
    ("text", "needle"),
    [("", "empty"), ("name: [unclosed\n", "not valid YAML"), ("- just\n- a list\n", "mapping")],
)
def test_validate_refuses_empty_and_unparsable_files(
    tmp_path: Path, text: str, needle: str
) -> None:
    path = _write(tmp_path, "bad.yaml", text)
    result = runner.invoke(app, ["plans", "validate", str(path)])
    assert result.exit_code == 1
    assert str(path) in result.stderr and needle in result.stderr


def test_validate_a_missing_file_is_one_line(tmp_path: Path) -> None:
    exit_code = main(["plans", "validate", str(tmp_path / "nope.yaml")])
    assert exit_code == 1


def test_validate_passes_a_shipped_plan_and_warns_on_length(tmp_path: Path) -> None:
    ok = runner.invoke(
        app, ["plans", "validate", str(_write(tmp_path, "s.yaml", shipped_plan_source("standard")))]
    )
    assert ok.exit_code == 0, ok.output
    long = shipped_plan_source("standard").replace(
        "text: |", "text: |\n      " + "Long words here. " * 40, 1
    )
    warned = runner.invoke(app, ["plans", "validate", str(_write(tmp_path, "l.yaml", long))])
    assert warned.exit_code == 0
    assert "segments" in warned.stderr or "SMS" in warned.stderr


def test_db_upgrade_installs_plans_and_add_makes_new_immutable_versions(
    runtime: Runtime, tmp_path: Path
) -> None:
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0  # safe to run again
    listed = json.loads(runner.invoke(app, ["plans", "list", "--json"]).stdout)
    assert {p["name"]: (p["version"], p["default"]) for p in listed} == {
        "gentle": (1, False),
        "standard": (1, True),
    }
    changed = shipped_plan_source("standard").replace(
        "Take a day or two", "Take a day or two, truly,"
    )
    path = _write(tmp_path, "standard.yaml", changed)
    added = runner.invoke(app, ["plans", "add", str(path)])
    assert added.exit_code == 0 and "v2" in added.stdout
    again = runner.invoke(app, ["plans", "add", str(path)])
    assert again.exit_code == 0 and "nothing added" in again.stdout
    shown = json.loads(
        runner.invoke(app, ["plans", "show", "standard", "--version", "1", "--json"]).stdout
    )
    assert shown["version"] == 1 and shown["source"] == shipped_plan_source("standard")
    assert runner.invoke(app, ["plans", "set-default", "gentle"]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["plans", "list", "--json"]).stdout)
    assert [p["name"] for p in listed if p["default"]] == ["gentle"]
    assert main(["plans", "set-default", "nosuch"]) == 1


def test_plans_add_refuses_an_invalid_plan_and_stores_nothing(
    runtime: Runtime, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["plans", "add", str(_write(tmp_path, "b.yaml", BROKEN))])
    assert result.exit_code == 1
    listed = json.loads(runner.invoke(app, ["plans", "list", "--json"]).stdout)
    assert "broken" not in {p["name"] for p in listed}


def test_commands_needing_the_schema_say_to_upgrade(runtime: Runtime) -> None:
    assert main(["plans", "list"]) == 1


def test_preview_prints_the_contract_json(runtime: Runtime) -> None:
    result = runner.invoke(
        app,
        [
            "plans",
            "preview",
            "standard",
            "--at",
            "2026-11-24T22:30:00Z",
            "--tz",
            "America/New_York",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[0]["step"] == "ack"
    for row in rows:
        assert set(row) == {"step", "kind", "due_utc", "due_local", "moved_by_window", "text"}
        assert row["due_utc"].endswith("Z")
        assert row["due_local"][-6:] in ("-05:00", "-04:00")
        local_hour = int(row["due_local"][11:13])
        assert 9 <= local_hour < 20, row
    assert [r["due_utc"] for r in rows] == sorted(r["due_utc"] for r in rows)
    # 22:30Z is 17:30 in New York: the ack goes at once, nothing is moved by the window.
    assert rows[0]["moved_by_window"] is False
    late = json.loads(
        runner.invoke(
            app,
            [
                "plans",
                "preview",
                "standard",
                "--at",
                "2026-11-24T23:30:00",
                "--tz",
                "America/New_York",
                "--json",
            ],
        ).stdout
    )
    assert late[0]["moved_by_window"] is True
    assert late[0]["due_local"].startswith("2026-11-25T09:00")


def test_preview_without_json_is_a_table(runtime: Runtime) -> None:
    result = runner.invoke(
        app, ["plans", "preview", "gentle", "--tz", "Europe/London"], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0
    assert "when (Europe/London)" in result.stdout
    assert "* moved into the send window" in result.stdout  # the table's note for moved steps


@pytest.mark.parametrize(
    "args",
    [
        ["plans", "preview", "standard", "--tz", "Mars/Olympus"],
        ["plans", "preview", "standard", "--at", "yesterday"],
        ["plans", "bogus"],
        ["--no-such-flag"],
    ],
)
def test_bad_usage_exits_2_with_one_line(
    runtime: Runtime, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err and "Traceback" not in err


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("onward ")

"""`onward plans preview --phone/--country`: business days skip that country's holidays, as the
daemon does for a person with that number."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from onward.engine.cli import app, main
from onward.engine.cli.state import state
from onward.engine.clock import FakeClock
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from tests.integration.dispatch_helpers import Harness

runner = CliRunner()
UK_MOBILE = "+447400123456"
# Tuesday 22 December 2026, 10:00 in London. Five business days later ("research") is
# Tue 29 Dec counting weekends only, Wed 30 Dec in the US (Christmas), Thu 31 Dec in the UK
# (Christmas, and Boxing Day's substitute on Monday 28).
AT = "2026-12-22T10:00:00Z"


@pytest.fixture
def runtime(tmp_path: Path, clock: FakeClock) -> Iterator[Runtime]:
    runtime = Runtime(load_settings({"ONWARD_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}), clock)
    state.use(runtime)
    yield runtime
    state.use(None)


def preview(*options: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["plans", "preview", "standard", "--at", AT, "--json", *options])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def research_day(rows: list[dict[str, Any]]) -> str:
    return str(next(row["due_local"][:10] for row in rows if row["step"] == "research"))


def test_business_days_skip_the_holidays_of_the_phone_s_country(runtime: Runtime) -> None:
    assert research_day(preview("--tz", "Europe/London")) == "2026-12-29"
    by_phone = preview("--phone", UK_MOBILE)
    assert research_day(by_phone) == "2026-12-31"
    assert all(row["due_local"].endswith("+00:00") for row in by_phone)  # London, from the number
    assert research_day(preview("--phone", "+1 (415) 555-0100")) == "2026-12-30"
    assert research_day(preview("--country", "gb", "--tz", "Europe/London")) == "2026-12-31"
    assert research_day(preview("--country", "US", "--tz", "Europe/London")) == "2026-12-30"


def test_the_preview_agrees_with_what_the_daemon_schedules(
    runtime: Runtime, db_engine: Engine
) -> None:
    clock = FakeClock(datetime(2026, 12, 22, 10, 0, tzinfo=UTC))
    world = Harness(db_engine, clock)
    run_id = world.start_run(UK_MOBILE, company="Acme")
    research = world.step(run_id, "research")
    assert research.due_at.astimezone(UTC).isoformat().replace("+00:00", "Z") == next(
        row["due_utc"] for row in preview("--phone", UK_MOBILE) if row["step"] == "research"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--phone", "12"], "--phone: not a valid phone number"),
        (["--country", "GBR"], "--country: 'GBR' is not a two-letter country code"),
        (["--phone", UK_MOBILE, "--country", "US"], "--phone and --country: give one"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    runtime: Runtime, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plans", "preview", "standard", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err and len(err.splitlines()) == 1

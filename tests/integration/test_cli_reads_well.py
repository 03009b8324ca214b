"""The operator's tables read well: short local times on one line, 80 columns, text as text."""

from __future__ import annotations

import json
import re
import sys

from typer.testing import CliRunner

from onward.engine.cli import main
from tests.integration.test_cli_listings import NOW, runtime, world  # noqa: F401  (fixtures)

SHORT_TIME = re.compile(r"\d\d [A-Z][a-z]{2} \d\d:\d\d")


def narrow(*args: str, columns: int = 80) -> str:
    """The command's table on an 80-column terminal, in UTC."""
    env = {"COLUMNS": str(columns), "TZ": "UTC"}
    with CliRunner().isolation(env=env) as (out, _err, _mixed):
        assert main(list(args)) == 0
        sys.stdout.flush()
        return str(out.getvalue().decode())


def test_tables_fit_80_columns_with_each_time_on_one_line(runtime, world) -> None:  # noqa: F811
    for command in (["runs", "list"], ["deliveries", "list"], ["people", "list"]):
        table = narrow(*command)
        assert max(len(line) for line in table.splitlines()) <= 80, command
        assert SHORT_TIME.search(table), command  # "24 Nov 15:00", never a folded ISO string
        assert "T15:00:00Z" not in table


def test_json_keeps_full_iso_times(runtime, world) -> None:  # noqa: F811
    assert "2026-11-24T15:00:00Z" in narrow("runs", "list", "--json")


def test_square_brackets_in_plan_texts_are_printed(runtime) -> None:  # noqa: F811
    table = narrow("plans", "preview", "standard", "--at", "2026-11-24T15:00:00Z", columns=400)
    assert "Thanks, [your name]" in table


def test_help_shows_json_as_a_flag() -> None:
    with CliRunner().isolation(env={"COLUMNS": "80"}) as (out, _err, _mixed):
        main(["people", "list", "--help"])
        sys.stdout.flush()
        text = out.getvalue().decode()
    assert re.search(r"^\s+--json\s+Print JSON\.$", text, re.MULTILINE), text
    assert "<bool>" not in text


def test_plans_list_says_which_keywords_are_live(runtime) -> None:  # noqa: F811
    rows = {row["name"]: row for row in json.loads(narrow("plans", "list", "--json"))}
    assert rows["standard"]["default"] and rows["standard"]["live_keywords"] == [
        "REJECTED", "REJECT", "REJECTION",
    ]  # fmt: skip
    assert main(["plans", "set-default", "gentle"]) == 0
    rows = {row["name"]: row for row in json.loads(narrow("plans", "list", "--json"))}
    assert rows["standard"]["live_keywords"] == [] and rows["gentle"]["default"]
    assert "REJECTED (not live)" in narrow("plans", "list", columns=200)


def test_a_step_sent_inside_the_reply_is_a_note_not_an_error(runtime) -> None:  # noqa: F811
    from onward.engine.models import Delivery, Person

    with runtime.sessions.begin() as session:
        person = Person(phone="+14155550100", timezone="UTC", created_at=NOW, updated_at=NOW)
        session.add(person)
        session.flush()
        session.add(
            Delivery(person_id=person.id, channel="console", medium="sms", address="+14155550100",
                     status="sent", status_rank=3, error="in the immediate reply", attempts=1,
                     created_at=NOW, updated_at=NOW)
        )  # fmt: skip
    [row] = json.loads(narrow("deliveries", "list", "--json"))
    assert row["error"] is None and row["note"] == "in the immediate reply"

"""The pure parts of records: cohort files, disclosures and their version, the compliance pack,
and the rule that only the consent ledger writes a person's status."""

from __future__ import annotations

import ast
import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from onward.engine.records.cohort_csv import CohortFileError, Refusal, read_cohort
from onward.engine.records.compliance import PackInputs, build, to_markdown
from onward.plans import (
    load_plan,
    parse_window,
    shipped_plan_source,
    sms_segments,
    validate_plan,
)
from onward.plans.disclosures import (
    DISCLOSURE_VERSION,
    Frequency,
    frequency,
    welcome_plan_source,
    welcome_text,
)

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 24)
HEADER = "phone,email,name,consent_source,consent_date\n"
# The disclosure wording at DISCLOSURE_VERSION, rendered with fixed inputs. Changing the wording
# means telling people something new: bump DISCLOSURE_VERSION, then this pair.
PINNED = ("2026-12-05.1", "1c33d235778644eecced34cfa823922f70e14980ec98715b0dc8c6cd61d9fc41")


def test_rows_are_read_with_their_line_numbers_even_across_quoted_newlines() -> None:
    text = (
        "\ufeff" + HEADER + '+14155550101,,"Ann\nLee",fair,2026-10-01\n'  # lines 2-3
        "\n"  # line 4: blank, skipped
        "+14155550102,,Bo,fair,2026-10-01T09:30:00+02:00\n"  # line 5
        "+14155550103,,Cy,fair,2026-13-01\n"  # line 6
    )
    rows, refused = read_cohort(text, TODAY)
    assert [(r.line, r.name) for r in rows] == [(2, "Ann\nLee"), (5, "Bo")]
    assert rows[1].consent_given_at == datetime(2026, 10, 1, 7, 30, tzinfo=UTC)
    assert refused == [
        Refusal(6, "malformed consent_date: use YYYY-MM-DD (or an ISO date and time)")
    ]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (",,Ann,fair,2026-10-01", "malformed: no phone or email"),
        ("+14155550101,not-an-address,Ann,fair,2026-10-01", "malformed email"),
        ("+14155550101,,Ann,,2026-10-01", "missing consent: consent_source is empty"),
        ("+14155550101,,Ann,fair,", "missing consent: consent_date is empty"),
        ("+14155550101,,Ann,fair,2026-11-25", "missing consent: consent_date is in the future"),
        ("12,,Ann,fair,2026-10-01", "malformed phone"),
        (f"+14155550101,,{'x' * 121},fair,2026-10-01", "malformed name"),
    ],
)
def test_each_bad_row_is_refused_with_why(row: str, reason: str) -> None:
    rows, [refusal] = read_cohort(HEADER + row + "\n", TODAY)
    assert rows == [] and refusal.line == 2 and refusal.reason.startswith(reason)


def test_a_timezone_column_is_checked_and_canonical() -> None:
    text = "phone,consent_source,consent_date,timezone\n"
    text += "+14155550101,fair,2026-10-01,europe/london\n+14155550102,fair,2026-10-01,Mars/Base\n"
    [row], [refusal] = read_cohort(text, TODAY)
    assert row.timezone == "Europe/London" and refusal.line == 3


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("", "the file is empty"),
        ("name,consent_source,consent_date\n", "missing column: phone or email"),
        ("phone,name\n", "missing columns: consent_source, consent_date"),
    ],
)
def test_a_file_without_its_columns_is_refused_whole(header: str, missing: str) -> None:
    with pytest.raises(CohortFileError, match=missing):
        read_cohort(header, TODAY)


def test_frequency_counts_reminders_and_the_last_due_day() -> None:
    standard = load_plan(shipped_plan_source("standard"), "standard")
    assert frequency(standard) == Frequency(messages=10, days=14)
    assert Frequency(1, 3).text == "Up to 1 msgs over 1 wk after each rejection you report"


def test_the_welcome_carries_every_disclosure_in_two_texts_at_most() -> None:
    text = welcome_text("Northside {{ 7*7 }} Careers", Frequency(10, 14))
    for needed in ("Northside 7*7 Careers:", "Up to 10 msgs", "Msg & data rates may apply."):
        assert needed in text
    assert "Reply HELP" in text and "STOP to end" in text and "{" not in text
    assert sms_segments(text).segments <= 2


def test_the_welcome_plan_is_a_valid_plan_without_warnings() -> None:
    report = validate_plan(welcome_plan_source("onward", Frequency(10, 14)), "welcome")
    assert report.plan is not None and report.errors == [] and report.warnings == []
    assert [s.due.raw for s in report.plan.steps] == ["0m"]


def test_the_disclosure_wording_is_pinned_to_its_version() -> None:
    digest = hashlib.sha256(welcome_text("onward", Frequency(10, 14)).encode()).hexdigest()
    assert (DISCLOSURE_VERSION, digest) == PINNED


def test_the_pack_names_everything_a_registration_asks_for() -> None:
    plan = load_plan(shipped_plan_source("standard"), "standard")
    inputs = PackInputs("Northside", None, parse_window("09:00-20:00"), None, ("REJECTED",))
    now = datetime(2026, 11, 24, 15, tzinfo=timezone(timedelta(0)))
    pack = build(plan, inputs, now)
    markdown = to_markdown(pack)
    for heading in (
        "## Campaign description",
        "## Message frequency",
        "## Opt-in flow",
        "## Opt-out",
        "## Help",
        "## Sample messages",
        "Privacy policy: **not set**",
    ):
        assert heading in markdown
    assert pack["missing"] == ["ONWARD_PRIVACY_POLICY_URL"]
    assert "Acme" in pack["sample_messages"][0]["text"]
    assert "In Spanish and French too: " in markdown and "BAJA" in markdown


STATUS_COLUMNS = {"sms_status", "email_status"}
LEDGER = "engine/consent_ledger.py"


def _status_writes(path: Path) -> list[int]:
    """Lines assigning person.sms_status / email_status, or calling a set_status."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            elements = target.elts if isinstance(target, ast.Tuple) else [target]
            if any(isinstance(e, ast.Attribute) and e.attr in STATUS_COLUMNS for e in elements):
                found.append(getattr(node, "lineno", -1))
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "set_status":
            found.append(getattr(node, "lineno", -1))
    return found


def test_only_the_consent_ledger_writes_a_persons_status() -> None:
    writers = {
        str(path.relative_to(ROOT)): lines
        for path in sorted((ROOT / "engine").rglob("*.py"))
        if (lines := _status_writes(path)) and str(path.relative_to(ROOT)) != LEDGER
    }
    assert writers == {}, "status changes must go through consent_ledger.record"
    assert _status_writes(ROOT / LEDGER)  # and the check does see a write

"""Offsets, send windows and the plan models, independent of YAML."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from onward.plans.schema import PROMPT_KINDS, STEP_KINDS, Plan, Step
from onward.plans.values import Due, SendWindow, parse_due, parse_window


@pytest.mark.parametrize(
    ("text", "days", "delta", "at"),
    [
        ("0m", 0, timedelta(0), None),
        ("36h", 0, timedelta(hours=36), None),
        ("1d12h", 1, timedelta(hours=12), None),
        ("2w", 14, timedelta(0), None),
        ("1w2d3h4m", 9, timedelta(hours=3, minutes=4), None),
        ("2d at 18:00", 2, timedelta(0), time(18, 0)),
        ("0d at 9:05", 0, timedelta(0), time(9, 5)),
        ("  1D 12H  AT 07:30 ", 1, timedelta(hours=12), time(7, 30)),
        ("365d", 365, timedelta(0), None),
        ("52w1d", 365, timedelta(0), None),
        ("8760h", 0, timedelta(hours=8760), None),
    ],
)
def test_parse_due_accepts(text: str, days: int, delta: timedelta, at: time | None) -> None:
    due = parse_due(text)
    assert (due.days, due.delta, due.at) == (days, delta, at)
    assert due.raw == text.strip()
    assert str(due) == text.strip()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty offset; write something like 0m, 36h, 2d or 2d at 18:00"),
        ("   ", "empty offset; write something like 0m, 36h, 2d or 2d at 18:00"),
        ("-1d", "offset '-1d' is negative; steps can only come after the rejection"),
        ("2", "offset '2' has no unit; use m, h, d or w (e.g. 2d)"),
        ("2x", "unknown unit 'x' in '2x'; use m, h, d or w"),
        ("3days", "unknown unit 'days' in '3days'; use m, h, d or w"),
        ("1d1d", "unit 'd' appears twice in '1d1d'; add the parts together"),
        ("12h1d", "write the parts of '12h1d' largest first: '1d12h'"),
        ("1.5d", "cannot read offset '1.5d'; write whole-number parts like 2d, 36h or 1d12h"),
        ("366d", "offset '366d' is more than 365 days"),
        ("365d1m", "offset '365d1m' is more than 365 days"),
        ("99999999999999999999d", "offset '99999999999999999999d' is more than 365 days"),
        ("2d at", "'2d at' ends with 'at'; add a time such as 'at 18:00'"),
        ("at 18:00", "give an offset before 'at', e.g. '0d at 18:00'"),
        ("2d at 25:00", "bad time '25:00'; use a time from 00:00 to 23:59"),
        ("2d at 24:00", "bad time '24:00'; use a time from 00:00 to 23:59"),
        ("2d at 18h", "bad time '18h'; use HH:MM, e.g. 18:00"),
    ],
)
def test_parse_due_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_due(text)
    assert str(caught.value) == message


_parts = st.tuples(
    st.integers(0, 52), st.integers(0, 6), st.integers(0, 23), st.integers(0, 59)
).filter(lambda p: p[0] * 7 + p[1] <= 364)


@settings(max_examples=150, deadline=None)
@given(_parts, st.sets(st.sampled_from("wdhm"), min_size=1), st.none() | st.times())
def test_parse_due_round_trips(parts: tuple[int, ...], units: set[str], at: time | None) -> None:
    weeks, days, hours, minutes = (
        n if u in units else 0 for n, u in zip(parts, "wdhm", strict=True)
    )
    text = "".join(f"{n}{u}" for n, u in zip(parts, "wdhm", strict=True) if u in units)
    if at is not None:
        at = at.replace(second=0, microsecond=0)
        text += f" at {at:%H:%M}"
    due = parse_due(text)
    assert due.days == weeks * 7 + days
    assert due.delta == timedelta(hours=hours, minutes=minutes)
    assert due.at == at
    again = parse_due(due.canonical())
    assert (again.days, again.delta, again.at) == (due.days, due.delta, due.at)
    assert again.canonical() == due.canonical()


def test_due_helpers() -> None:
    due = parse_due("1w1d6h at 08:00")
    assert due.offset == timedelta(days=8, hours=6)
    assert due.uses_weeks
    assert due.canonical() == "1w1d6h at 08:00"
    assert parse_due("0d0h").canonical() == "0m"
    assert not parse_due("7d").uses_weeks


@pytest.mark.parametrize(
    ("text", "start", "end", "any_time", "shown"),
    [
        ("09:00-20:00", time(9), time(20), False, "09:00-20:00"),
        ("00:00-24:00", time(0), None, True, "00:00-24:00"),
        ("9:30 - 21:15", time(9, 30), time(21, 15), False, "09:30-21:15"),
        ("08:00-24:00", time(8), None, False, "08:00-24:00"),
        ("00:00-23:59", time(0), time(23, 59), False, "00:00-23:59"),
    ],
)
def test_parse_window_accepts(
    text: str, start: time, end: time | None, any_time: bool, shown: str
) -> None:
    window = parse_window(text)
    assert (window.start, window.end, window.is_any_time) == (start, end, any_time)
    assert str(window) == shown
    assert parse_window(str(window)) == window


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "bad send window ''; use HH:MM-HH:MM, e.g. 09:00-20:00"),
        ("09:00", "bad send window '09:00'; use HH:MM-HH:MM, e.g. 09:00-20:00"),
        ("9-20", "bad time '9'; use HH:MM, e.g. 18:00"),
        ("24:00-24:00", "24:00 can only end a send window; start the day at 00:00"),
        ("09:00-25:00", "bad time '25:00'; use a time from 00:00 to 23:59"),
        ("09:60-20:00", "bad time '09:60'; use a time from 00:00 to 23:59"),
        (
            "20:00-09:00",
            "send window '20:00-09:00' must start before it ends "
            "(windows across midnight are not supported)",
        ),
        (
            "10:00-10:00",
            "send window '10:00-10:00' must start before it ends "
            "(windows across midnight are not supported)",
        ),
    ],
)
def test_parse_window_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_window(text)
    assert str(caught.value) == message


def test_window_contains_is_half_open() -> None:
    window = parse_window("09:00-20:00")
    assert not window.contains(time(8, 59))
    assert window.contains(time(9, 0))
    assert window.contains(time(19, 59, 59))
    assert not window.contains(time(20, 0))
    assert SendWindow(time(0), None).contains(time(23, 59, 59))


def test_prompt_kinds_are_the_kinds_that_expect_a_reply() -> None:
    assert frozenset({"reflect", "feedback_ask", "research", "apply"}) == PROMPT_KINDS
    assert set(STEP_KINDS) == {*PROMPT_KINDS, "grieve", "message"}


def _step(**fields: object) -> dict[str, object]:
    return {"id": "s", "kind": "message", "due": "0m", "text": "hi", **fields}


def _plan(*steps: dict[str, object], **fields: object) -> Plan:
    data = {"name": "p", "description": "d", "steps": list(steps), **fields}
    return Plan.model_validate(data)


def test_plan_helpers_and_values() -> None:
    plan = _plan(
        _step(id="ack"),
        _step(
            id="go", kind="apply", due="7d at 10:00", goal=5, reminder={"after": "2d", "text": "x"}
        ),
        _step(id="later", kind="apply", due="9d", goal=2),
        keywords=["setback", " Rough ", "SETBACK"],
        window="10:00-19:00",
    )
    assert plan.step("go").goal == 5
    assert plan.step("go").is_prompt and not plan.step("ack").is_prompt
    assert plan.apply_goal == 5
    assert plan.keywords == ["SETBACK", "ROUGH"]
    assert plan.window == SendWindow(time(10), time(19))
    assert isinstance(plan.step("go").due, Due)
    with pytest.raises(KeyError, match="no step 'nope'"):
        plan.step("nope")
    assert _plan(_step()).apply_goal is None
    assert _plan(_step()).window is None
    assert not plan.step("go").ask_when


def test_an_apply_step_may_ask_when() -> None:
    plan = _plan(_step(id="go", kind="apply", due="7d at 10:00", ask_when=True))
    assert plan.step("go").ask_when


def test_plan_dumps_offsets_and_windows_as_text_and_loads_them_back() -> None:
    plan = _plan(_step(due="2d at 18:00"), window="00:00-24:00")
    dumped = plan.model_dump()
    assert dumped["window"] == "00:00-24:00"
    assert dumped["steps"][0]["due"] == "2d at 18:00"
    assert Plan.model_validate(dumped) == plan


@pytest.mark.parametrize(
    ("steps", "fragment"),
    [
        ([_step(goal=3)], "goal: only an apply step has a goal, not a message step"),
        (
            [_step(kind="grieve", reminder={"after": "1d", "text": "x"})],
            "reminder: a grieve step asks for no reply",
        ),
        ([_step(due="1w", business_days=True)], "due: with business_days, count in days"),
        ([_step(), _step()], "duplicate step ids: s"),
        ([_step(ask_when=True)], "ask_when: only an apply step asks when, not a message step"),
        ([_step(id="interview_prep")], "'interview_prep' is onward's own step"),
        ([_step(id="apply_slot")], "'apply_slot' is onward's own step"),
    ],
)
def test_rules_between_fields_hold_for_plans_built_in_code(
    steps: list[dict[str, object]], fragment: str
) -> None:
    with pytest.raises(ValidationError, match=fragment):
        _plan(*steps)


@pytest.mark.parametrize(
    "fields",
    [
        {"extra": 1},
        {"kind": "sulk"},
        {"goal": 0},
        {"goal": "5"},
        {"due": 5},
        {"id": "Bad-Id"},
        {"text": "   "},
        {"kind": "apply", "ask_when": "yes"},
    ],
)
def test_step_rejects_bad_fields(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Step.model_validate(_step(**fields))


def test_plan_models_are_immutable() -> None:
    plan = _plan(_step())
    with pytest.raises(ValidationError):
        plan.name = "other"

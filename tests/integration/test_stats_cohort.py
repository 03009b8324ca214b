"""Every figure of `onward stats` on a synthetic cohort, against a count made by hand from the
rules each person follows (tests/integration/stats_cohort.py): steps, outcomes, Kaplan-Meier
medians and shares with censoring, and the suppression of counts under 5."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from onward.engine.numbers.stats import stats_report
from onward.engine.numbers.stats_data import Scope
from tests.conftest import cleared
from tests.integration.inbound_helpers import Talk, shared_database
from tests.integration.stats_cohort import NOW, WEEKS, Someone, build

DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def played(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Talk, list[Someone]]]:
    request.param = "sqlite"  # the cohort is long to play: SQLite only (the SQL is portable)
    for engine in shared_database(request, tmp_path_factory):
        yield build(cleared(engine))


@pytest.fixture(scope="module")
def report(played: tuple[Talk, list[Someone]]) -> dict[str, Any]:
    talk, _ = played
    with talk.sessions() as session:
        return stats_report(session, NOW, Scope(plan="tally"))


def shown(count: int) -> int | None:
    return count if count >= 5 else None


def count(people: list[Someone], rule: Any) -> int:
    return sum(1 for p in people if rule(p))


def step(report: dict[str, Any], key: str) -> dict[str, Any]:
    return next(row for row in report["steps"] if row["step"] == key)


# -- the hand count -------------------------------------------------------------------------------


def wrote_to_reflect(p: Someone) -> bool:
    """Anything but STOP within 48 h of the ack (t0) or the reflect prompt (t0 + 1 day)."""
    return p.answers or p.done or p.pauses or p.in_crisis


def reminded(p: Someone) -> bool:
    """The reminder goes to those who left the prompt unanswered (PAUSE answers nothing)."""
    return not (p.answers or p.done or p.in_crisis or p.stops)


def test_the_cohort_is_large_and_every_person_is_counted(
    played: tuple[Talk, list[Someone]], report: dict[str, Any]
) -> None:
    _, people = played
    assert len(people) == 203
    assert report["people"] == 203
    assert report["plan"] == "tally"
    [version] = report["versions"]
    assert (version["plan"], version["version"], version["people"]) == ("tally", 1, 203)
    assert version["steps"] == report["steps"]


def test_the_acknowledgement(played: tuple[Talk, list[Someone]], report: dict[str, Any]) -> None:
    _, people = played
    ack = step(report, "ack")
    assert ack["sent"] == 203
    assert ack["delivered"] is None  # it rode in the reply: no provider said delivered
    assert ack["replied"] == count(people, wrote_to_reflect) == 103
    assert ack["done"] is None and ack["skipped"] is None
    assert ack["opted_out_after"] == count(people, lambda p: p.stops) == 10
    assert ack["paused_after"] == count(people, lambda p: p.pauses) == 10
    assert ack["crisis_after"] == count(people, lambda p: p.in_crisis) == 10


def test_the_prompt_and_its_reminder(
    played: tuple[Talk, list[Someone]], report: dict[str, Any]
) -> None:
    _, people = played
    reflect = step(report, "reflect")
    assert reflect["sent"] == reflect["delivered"] == 203
    assert reflect["replied"] == count(people, wrote_to_reflect)
    assert reflect["done"] == count(people, lambda p: p.done) == 20
    assert reflect["opted_out_after"] == 10
    assert reflect["paused_after"] == 10 and reflect["crisis_after"] == 10
    reminder = step(report, "reflect.reminder")
    assert reminder["sent"] == reminder["delivered"] == count(people, reminded) == 100
    assert reminder["skipped"] == count(people, lambda p: not reminded(p) and not p.stops) == 93
    # Nobody writes within 48 h of it, and nobody stops after it: zero shows as suppressed.
    for figure in ("replied", "done", "opted_out_after", "paused_after", "crisis_after"):
        assert reminder[figure] is None


def test_the_apply_step(played: tuple[Talk, list[Someone]], report: dict[str, Any]) -> None:
    _, people = played
    apply = step(report, "apply")
    assert apply["sent"] == apply["delivered"] == count(people, lambda p: not p.stops) == 193
    quick = count(people, lambda p: p.applied_at is not None and p.i % 7 == 0)
    assert quick >= 5 and apply["replied"] == quick
    assert apply["opted_out_after"] is None


def test_the_outcomes(played: tuple[Talk, list[Someone]], report: dict[str, Any]) -> None:
    _, people = played
    outcomes = report["outcomes"]
    assert outcomes["applied"] == count(people, lambda p: p.applied_at is not None)
    assert outcomes["applications"] == sum(
        2 + (1 if p.applied_again_at else 0) for p in people if p.applied_at
    )
    assert outcomes["interview"] == count(people, lambda p: p.interview_at is not None)
    assert outcomes["offer"] == count(people, lambda p: p.offer_at is not None)
    assert outcomes["hired"] == count(people, lambda p: p.hired_at is not None)


# -- time to event, by hand: Kaplan and Meier's product over the days with an event --------------


def durations(people: list[Someone], kind: str) -> tuple[list[float], list[bool]]:
    """Days from the rejection to the event, or to when we stopped knowing (censored)."""
    days, seen = [], []
    for p in people:
        end = p.stop_at if p.stops else NOW
        if kind != "hired" and p.hired_at is not None:
            end = min(end, p.hired_at)  # hired: no longer searching
        at = {"applied": p.applied_at, "interview": p.interview_at, "hired": p.hired_at}[kind]
        if at is not None and at <= end:
            days.append((at - p.t0) / DAY)
            seen.append(True)
        else:
            days.append((end - p.t0) / DAY)
            seen.append(False)
    return days, seen


def hand_km(days: list[float], seen: list[bool]) -> list[tuple[float, float]]:
    """(day, share reached by then) at each day with an event."""
    survival, points = 1.0, []
    for day in sorted({d for d, s in zip(days, seen, strict=True) if s}):
        at_risk = sum(1 for d in days if d >= day)
        events = sum(1 for d, s in zip(days, seen, strict=True) if s and d == day)
        survival *= 1 - events / at_risk
        points.append((day, 1 - survival))
    return points


def hand_median(points: list[tuple[float, float]]) -> float | None:
    return next((round(day, 2) for day, reached in points if reached >= 0.5), None)


def hand_share_by(points: list[tuple[float, float]], limit: float) -> float:
    return next((reached for day, reached in reversed(points) if day <= limit), 0.0)


@pytest.mark.parametrize("week", [0, 1])
@pytest.mark.parametrize("kind", ["applied", "interview", "hired"])
def test_each_cohort_curve_matches_the_hand_count(
    played: tuple[Talk, list[Someone]], report: dict[str, Any], week: int, kind: str
) -> None:
    _, people = played
    members = [p for p in people if p.week == week]
    days, seen = durations(members, kind)
    points = hand_km(days, seen)
    cohort = next(c for c in report["cohorts"] if c["week"] == WEEKS[week].date().isoformat())
    assert cohort["people"] == len(members) == 100
    figures = cohort[kind]
    assert figures["reached"] == sum(seen)
    # Censoring matters: treating the censored as "never" would give other shares.
    assert sum(seen) < len(members)
    drawn = {day: reached for day, reached in figures["curve"] if day in dict(points)}
    for day, reached in points:
        assert drawn[day] == pytest.approx(reached, abs=1e-6)
    assert figures["median_days"] == hand_median(points)
    if figures["median_days"] is not None:
        lo, hi = figures["median_ci"]
        assert lo is None or lo <= figures["median_days"]
        assert hi is None or hi >= figures["median_days"]
    if kind == "hired":
        for limit in (30, 60, 90):
            hires = sum(1 for d, s in zip(days, seen, strict=True) if s and d <= limit)
            expected = round(hand_share_by(points, limit), 4) if hires >= 5 else None
            assert figures[f"by_{limit}_days"] == expected


def test_applying_has_a_median_and_its_interval(
    played: tuple[Talk, list[Someone]], report: dict[str, Any]
) -> None:
    """Three in four apply: the median exists, inside its 95% interval, censoring counted."""
    _, people = played
    points = hand_km(*durations(people, "applied"))
    median = report["outcomes"]["median_days_to_first_applied"]
    assert median is not None and median == hand_median(points)
    lo, hi = report["outcomes"]["median_days_to_first_applied_ci"]
    assert lo is not None and hi is not None and lo <= median <= hi
    for cohort in report["cohorts"][:2]:
        assert cohort["applied"]["median_days"] is not None


def test_the_overall_medians_match_the_hand_count(
    played: tuple[Talk, list[Someone]], report: dict[str, Any]
) -> None:
    _, people = played
    for kind, label in (("interview", "first_interview"), ("hired", "hired")):
        points = hand_km(*durations(people, kind))
        assert report["outcomes"][f"median_days_to_{label}"] == hand_median(points)
    hired_points = hand_km(*durations(people, "hired"))
    assert report["outcomes"]["hired_by_60_days"] == round(hand_share_by(hired_points, 60), 4)


def test_a_cohort_of_three_shows_nothing_but_that_it_is_small(report: dict[str, Any]) -> None:
    small = next(c for c in report["cohorts"] if c["week"] == WEEKS[2].date().isoformat())
    assert small["people"] is None
    for kind in ("applied", "interview", "hired"):
        assert small[kind]["reached"] is None
        assert small[kind]["median_days"] is None and small[kind]["curve"] is None
    assert small["hired"]["by_30_days"] is None


def test_since_cuts_the_cohort_to_later_rejections(played: tuple[Talk, list[Someone]]) -> None:
    talk, people = played
    with talk.sessions() as session:
        later = stats_report(session, NOW, Scope(plan="tally", since=WEEKS[1]))
    assert later["people"] == count(people, lambda p: p.t0 >= WEEKS[1]) == 103
    assert [c["week"] for c in later["cohorts"]] == [w.date().isoformat() for w in WEEKS[1:]]
    assert step(later, "ack")["sent"] == 103


def test_another_plan_has_nobody(played: tuple[Talk, list[Someone]]) -> None:
    talk, _ = played
    with talk.sessions() as session:
        other = stats_report(session, NOW, Scope(plan="standard"))
    assert other["people"] is None and other["steps"] == [] and other["cohorts"] == []


def test_the_report_holds_no_words(report: dict[str, Any]) -> None:
    text = repr(report)
    for words in ("Acme", "salary", "end my life", "+1415"):
        assert words not in text


def test_when_started_matches(report: dict[str, Any]) -> None:
    assert report["generated_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert isinstance(datetime.fromisoformat(report["generated_at"]), datetime)

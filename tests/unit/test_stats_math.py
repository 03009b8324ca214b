"""The pure statistics of `onward stats`, against values worked out by hand or from tables."""

from __future__ import annotations

import pytest

from onward.engine.numbers.stats_math import (
    compare_proportions,
    kaplan_meier,
    logrank,
    per_arm_for,
    rate,
    shown,
    suppressed,
    wilson,
)


def test_counts_under_five_are_suppressed() -> None:
    assert [suppressed(n) for n in (0, 1, 4, 5, 120)] == [None, None, None, 5, 120]
    assert [shown(n) for n in (0, 4, None, 5, 31)] == ["<5", "<5", "<5", "5", "31"]


def test_a_rate_needs_five_people_on_both_sides() -> None:
    assert rate(4, 100) is None and rate(5, 4) is None
    assert rate(30, 120) == 0.25


def test_wilson_interval_matches_the_formula_worked_by_hand() -> None:
    # 10 of 100: centre (0.1 + 1.92/100) / 1.0384, half 1.96 * sqrt(0.0009 + 0.000096) / 1.0384
    lo, hi = wilson(10, 100)
    assert lo == pytest.approx(0.0552, abs=1e-4) and hi == pytest.approx(0.1744, abs=1e-4)
    lo, hi = wilson(0, 20)  # never below 0, and not a zero-width interval at 0
    assert lo == 0.0 and hi == pytest.approx(0.1611, abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)


def test_small_counts_use_fishers_exact_test() -> None:
    compared = compare_proportions(3, 10, 8, 10)
    assert compared.test == "fisher"
    assert compared.p_value == pytest.approx(0.0698, abs=1e-4)  # the two-sided exact p


def test_large_counts_use_chi_square() -> None:
    compared = compare_proportions(30, 100, 45, 100)
    assert compared.test == "chi-square"
    assert compared.p_value == pytest.approx(0.0409, abs=1e-3)  # with Yates' correction
    assert compare_proportions(40, 100, 40, 100).p_value == pytest.approx(1.0)


def test_nothing_to_compare_is_no_difference() -> None:
    assert compare_proportions(0, 50, 0, 50).p_value == 1.0
    assert compare_proportions(0, 0, 3, 9).p_value == 1.0


def test_people_per_arm_for_a_ten_point_difference() -> None:
    # The textbook figure: 30% against 40%, alpha 0.05 two-sided, power 0.8 -> 356 per group.
    assert per_arm_for(0.3) == 356
    assert per_arm_for(0.5) == 388  # 50% against 60%: the most people
    assert per_arm_for(0.95) < per_arm_for(0.5)  # near the edge it counts down, not past 1


def hand_survival(durations: list[float], observed: list[bool]) -> dict[float, float]:
    survival, curve = 1.0, {}
    for day in sorted(set(durations)):
        at_risk = sum(1 for d in durations if d >= day)
        events = sum(1 for d, o in zip(durations, observed, strict=True) if o and d == day)
        survival *= 1 - events / at_risk
        curve[day] = 1 - survival
    return curve


def test_kaplan_meier_counts_the_censored_until_they_leave() -> None:
    durations = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0]
    observed = [True, False, True, True, False, True, False, True]
    curve = kaplan_meier(durations, observed)
    assert (curve.people, curve.events) == (8, 5)
    by_hand = hand_survival(durations, observed)
    for day, reached in zip(curve.days, curve.reached, strict=True):
        if day in by_hand:
            assert reached == pytest.approx(by_hand[day], abs=1e-6)
    # 1/8 by day 1, then 1/7 and 1/5 of those left: 0.4 by day 3, 0.6 by day 5: median 5
    assert curve.median_days == 5.0
    assert curve.reached_by(3.5) == pytest.approx(by_hand[3.0], abs=1e-6)
    assert curve.reached_by(0.5) == 0.0
    lo, _ = curve.median_ci
    assert lo is not None and lo <= 5.0


def test_a_median_never_reached_is_none() -> None:
    curve = kaplan_meier([10.0] * 6 + [2.0, 3.0], [False] * 6 + [True, True])
    assert curve.median_days is None and curve.median_ci[1] is None


def test_no_people_no_curve() -> None:
    curve = kaplan_meier([], [])
    assert (curve.people, curve.events, curve.median_days) == (0, 0, None)


def test_logrank_tells_apart_only_what_differs() -> None:
    fast = [float(d) for d in range(1, 31)]
    slow = [float(d) for d in range(20, 50)]
    every = [True] * 30
    p_diff = logrank(fast, every, slow, every)
    assert p_diff is not None and p_diff < 0.001
    assert logrank(fast, every, list(fast), every) == pytest.approx(1.0)
    assert logrank([], [], fast, every) is None
    assert logrank(fast, [False] * 30, slow, [False] * 30) == 1.0

"""The statistics of `onward stats`, as pure functions over plain numbers (no database here).

- Small counts are suppressed: any count of fewer than 5 people is None in JSON and "<5" in a
  table, and so is every figure drawn from fewer than 5 people (a rate, a median, a share).
- Kaplan-Meier curves (lifelines) treat people still searching as censored: they count toward
  the curve until the day we last heard from them, never as "did not apply".
- Two arms are compared with a two-sided test: Fisher's exact when any expected cell is under 5,
  else Pearson's chi-square (scipy); times to an event with the log-rank test (lifelines).
- How many people per arm tell a 10-point difference apart (alpha 0.05, power 0.8): the normal
  approximation for two proportions, from the reference arm's rate.

lifelines and scipy are imported when first used: `onward` itself starts no slower.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MIN_PEOPLE = 5
SHOWN_UNDER = "<5"
ALPHA = 0.05
POWER = 0.8
DETECTABLE = 0.10  # the difference a test should be able to see: 10 percentage points


def suppressed(count: int) -> int | None:
    """A count of people as JSON may show it: None when under 5."""
    return count if count >= MIN_PEOPLE else None


def shown(count: int | None) -> str:
    """A count as a table shows it ("<5" under 5; None is "<5" too: it was suppressed)."""
    return SHOWN_UNDER if count is None or count < MIN_PEOPLE else str(count)


def rate(numerator: int, denominator: int) -> float | None:
    """A share of people, or None when either count is under 5."""
    if numerator < MIN_PEOPLE or denominator < MIN_PEOPLE:
        return None
    return round(numerator / denominator, 4)


def wilson(successes: int, total: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson's 95% score interval for a proportion (good at small n and near 0 or 1)."""
    if total == 0:
        return (0.0, 1.0)
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Comparison:
    p_value: float
    test: str  # "fisher" or "chi-square"


def compare_proportions(k1: int, n1: int, k2: int, n2: int) -> Comparison:
    """Two-sided test that two arms have the same rate."""
    from scipy.stats import chi2_contingency, fisher_exact

    table = [[k1, n1 - k1], [k2, n2 - k2]]
    total = n1 + n2
    columns = (k1 + k2, total - k1 - k2)
    if total == 0 or 0 in columns or 0 in (n1, n2):
        return Comparison(1.0, "fisher")  # nothing to tell apart
    expected = [n * c / total for n in (n1, n2) for c in columns]
    if min(expected) < 5:
        return Comparison(float(fisher_exact(table, alternative="two-sided").pvalue), "fisher")
    result = chi2_contingency(table)
    return Comparison(float(result.pvalue), "chi-square")


def per_arm_for(baseline: float, difference: float = DETECTABLE) -> int:
    """People needed in each of two arms to see `difference` from `baseline` (two-sided)."""
    from scipy.stats import norm

    other = baseline + difference if baseline + difference <= 1 else baseline - difference
    mean = (baseline + other) / 2
    z_alpha, z_power = float(norm.ppf(1 - ALPHA / 2)), float(norm.ppf(POWER))
    spread = z_alpha * math.sqrt(2 * mean * (1 - mean)) + z_power * math.sqrt(
        baseline * (1 - baseline) + other * (1 - other)
    )
    return math.ceil((spread / difference) ** 2)


@dataclass(frozen=True)
class Curve:
    """A Kaplan-Meier estimate of the share of people who reached an event by each day."""

    people: int
    events: int
    days: tuple[float, ...]
    reached: tuple[float, ...]  # 1 - survival, at each of `days`
    median_days: float | None
    median_ci: tuple[float | None, float | None]

    def reached_by(self, day: float) -> float:
        share = 0.0
        for at, value in zip(self.days, self.reached, strict=True):
            if at > day:
                break
            share = value
        return share


def kaplan_meier(durations: Sequence[float], observed: Sequence[bool]) -> Curve:
    """Days from the rejection to an event; `observed` False means censored at that day."""
    if not durations:
        return Curve(0, 0, (), (), None, (None, None))
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    fitter = KaplanMeierFitter().fit(list(durations), [bool(o) for o in observed])
    survival = fitter.survival_function_.iloc[:, 0]
    interval = median_survival_times(fitter.confidence_interval_)
    return Curve(
        people=len(durations),
        events=sum(bool(o) for o in observed),
        days=tuple(float(d) for d in fitter.timeline),
        reached=tuple(round(1 - float(s), 6) for s in survival),
        median_days=_finite(fitter.median_survival_time_),
        median_ci=(_finite(interval.iloc[0, 0]), _finite(interval.iloc[0, 1])),
    )


def logrank(
    durations_a: Sequence[float],
    observed_a: Sequence[bool],
    durations_b: Sequence[float],
    observed_b: Sequence[bool],
) -> float | None:
    """p-value of the log-rank test between two groups (None when either is empty)."""
    if not durations_a or not durations_b:
        return None
    if not any(observed_a) and not any(observed_b):
        return 1.0
    from lifelines.statistics import logrank_test

    result = logrank_test(list(durations_a), list(durations_b), list(observed_a), list(observed_b))
    return float(result.p_value)


def _finite(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return round(number, 2) if math.isfinite(number) else None

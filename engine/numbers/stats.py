"""`onward stats`: per plan version and step what was sent and what followed; per cohort week
how soon people applied, got interviews and were hired. Numbers only, small counts suppressed.

`stats_report` gives the JSON-able figures (the shape of the contract); `numbers_page` adds the
chart as PNG bytes, for the console's numbers page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from onward.engine.numbers.outcome_events import APPLIED, HIRED, INTERVIEW, OFFER
from onward.engine.numbers.stats_data import (
    CRISIS,
    FOLLOW_WINDOW,
    OPT_OUT,
    PAUSE,
    Facts,
    PersonFacts,
    RunFact,
    Scope,
    StepFact,
    load_facts,
)
from onward.engine.numbers.stats_math import Curve, kaplan_meier, suppressed

HIRED_BY_DAYS = (30, 60, 90)
STEP_FIGURES = (
    "sent",
    "delivered",
    "replied",
    "done",
    "skipped",
    "opted_out_after",
    "paused_after",
    "crisis_after",
)
_DAY = timedelta(days=1)


def stats_report(session: Session, now: datetime, scope: Scope) -> dict[str, Any]:
    facts = load_facts(session, scope)
    origins = first_rejections(facts.runs)
    return {
        "plan": scope.plan,
        "since": _iso(scope.since) if scope.since else None,
        "generated_at": _iso(now),
        "people": suppressed(len(origins)),
        "steps": step_rows(facts, facts.runs, with_plan=scope.plan is None),
        "versions": [
            {
                "plan": plan,
                "version": version,
                "people": suppressed(len({r.person_id for r in runs})),
                "steps": step_rows(facts, runs, with_plan=False),
            }
            for (plan, version), runs in sorted(_by_version(facts.runs).items())
        ],
        "outcomes": outcomes(facts, origins, now),
        "cohorts": [
            cohort(week, {p: origins[p] for p in members}, facts, now)
            for week, members in sorted(_by_week(origins).items())
        ],
    }


@dataclass(frozen=True)
class NumbersPage:
    figures: dict[str, Any]
    chart_png: bytes


def numbers_page(
    session: Session, now: datetime, plan: str | None = None, since: datetime | None = None
) -> NumbersPage:
    """The console's numbers page: the figures of `onward stats` and their chart."""
    from onward.engine.numbers.stats_charts import chart_bytes

    figures = stats_report(session, now, Scope(plan, since))
    return NumbersPage(figures, chart_bytes(figures, "png"))


def first_rejections(runs: Iterable[RunFact]) -> dict[int, datetime]:
    """Each person's first rejection in scope: where their clock starts."""
    origins: dict[int, datetime] = {}
    for run in runs:
        if run.person_id not in origins or run.started_at < origins[run.person_id]:
            origins[run.person_id] = run.started_at
    return origins


def step_rows(facts: Facts, runs: list[RunFact], *, with_plan: bool) -> list[dict[str, Any]]:
    by_run = {run.id: run for run in runs}
    counts: dict[tuple[str, str], dict[str, int]] = {}
    order: dict[tuple[str, str], tuple[int, str]] = {}
    for step in facts.steps:
        run = by_run.get(step.run_id)
        if run is None:
            continue
        key = (run.plan, step.key)
        order.setdefault(key, (step.seq, step.key))
        tally = counts.setdefault(key, dict.fromkeys(STEP_FIGURES, 0))
        for name in _figures_of(step, facts.people.get(run.person_id, PersonFacts())):
            tally[name] += 1
    rows = []
    for key in sorted(counts, key=lambda k: (k[0], order[k])):
        row: dict[str, Any] = {"plan": key[0]} if with_plan else {}
        row["step"] = key[1]
        row |= {name: suppressed(value) for name, value in counts[key].items()}
        rows.append(row)
    return rows


def _figures_of(step: StepFact, person: PersonFacts) -> Iterable[str]:
    if step.status == "skipped":
        yield "skipped"
    if step.sent_at is None or step.status != "sent":
        return
    yield "sent"
    if step.delivered:
        yield "delivered"
    if step.done_at is not None:
        yield "done"
    if person.wrote(step.sent_at, FOLLOW_WINDOW):
        yield "replied"
    for label, name in ((OPT_OUT, "opted_out_after"), (PAUSE, "paused_after")):
        if person.wrote(step.sent_at, FOLLOW_WINDOW, label):
            yield name
    if person.wrote(step.sent_at, FOLLOW_WINDOW, CRISIS):
        yield "crisis_after"


def time_to(
    kind: str, origins: dict[int, datetime], facts: Facts, now: datetime
) -> tuple[list[float], list[bool]]:
    """Days from each person's first rejection to their first `kind`, or to the end of what we
    know (censored): now, their last STOP, or for applying and interviews, being hired."""
    durations, observed = [], []
    for person_id, origin in origins.items():
        person = facts.people.get(person_id, PersonFacts())
        end = person.heard_until(now)
        hired = person.first(HIRED, origin)
        if kind != HIRED and hired is not None:
            end = min(end, hired)
        at = person.first(kind, origin)
        if at is not None and at <= end:
            durations.append((at - origin) / _DAY)
            observed.append(True)
        else:
            durations.append(max((end - origin) / _DAY, 0.0))
            observed.append(False)
    return durations, observed


def curve_summary(curve: Curve) -> dict[str, Any]:
    """A curve as JSON shows it: nothing drawn from fewer than 5 people or events."""
    enough = curve.people >= 5 and curve.events >= 5
    lo, hi = curve.median_ci
    return {
        "reached": suppressed(curve.events),
        "median_days": curve.median_days if enough else None,
        "median_ci": [lo, hi] if enough and curve.median_days is not None else None,
        "curve": [[d, r] for d, r in zip(curve.days, curve.reached, strict=True)]
        if enough
        else None,
    }


def hired_by(curve: Curve, durations: list[float], observed: list[bool]) -> dict[str, Any]:
    shares: dict[str, Any] = {}
    for days in HIRED_BY_DAYS:
        hires = sum(1 for d, o in zip(durations, observed, strict=True) if o and d <= days)
        enough = curve.people >= 5 and hires >= 5
        shares[f"by_{days}_days"] = round(curve.reached_by(days), 4) if enough else None
    return shares


def cohort(week: str, origins: dict[int, datetime], facts: Facts, now: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {"week": week, "people": suppressed(len(origins))}
    for kind in (APPLIED, INTERVIEW, HIRED):
        durations, observed = time_to(kind, origins, facts, now)
        curve = kaplan_meier(durations, observed)
        row[kind] = curve_summary(curve)
        if kind == HIRED:
            row[kind] |= hired_by(curve, durations, observed)
    return row


def outcomes(facts: Facts, origins: dict[int, datetime], now: datetime) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for kind in (APPLIED, INTERVIEW, OFFER, HIRED):
        reached = sum(
            1
            for person_id, origin in origins.items()
            if facts.people.get(person_id, PersonFacts()).first(kind, origin) is not None
        )
        result[kind] = suppressed(reached)
    applications = [
        sum(count for at, kind, count in facts.people[p].events if kind == APPLIED and at >= o)
        for p, o in origins.items()
        if p in facts.people
    ]
    contributing = sum(1 for n in applications if n)
    result["applications"] = sum(applications) if contributing >= 5 else None
    for kind, label in (
        (APPLIED, "first_applied"),
        (INTERVIEW, "first_interview"),
        (HIRED, "hired"),
    ):
        durations, observed = time_to(kind, origins, facts, now)
        curve = kaplan_meier(durations, observed)
        summary = curve_summary(curve)
        result[f"median_days_to_{label}"] = summary["median_days"]
        result[f"median_days_to_{label}_ci"] = summary["median_ci"]
        if kind == HIRED:
            result |= {f"hired_{k}": v for k, v in hired_by(curve, durations, observed).items()}
    return result


def _by_version(runs: list[RunFact]) -> dict[tuple[str, int], list[RunFact]]:
    grouped: dict[tuple[str, int], list[RunFact]] = defaultdict(list)
    for run in runs:
        grouped[(run.plan, run.version)].append(run)
    return grouped


def _by_week(origins: dict[int, datetime]) -> dict[str, list[int]]:
    """People by the week (its Monday, UTC) of their first rejection in scope."""
    weeks: dict[str, list[int]] = defaultdict(list)
    for person_id, origin in origins.items():
        day = origin.astimezone(UTC).date()
        weeks[(day - timedelta(days=day.weekday())).isoformat()].append(person_id)
    return weeks


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")

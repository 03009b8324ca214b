"""`onward stats experiment PLAN`: the arms of a plan's experiment compared on what followed.

The unit is a person (their first run of the plan, with the arm it was given). Per arm: reply
rate (wrote back within 48 hours of any of the plan's messages) and opt-out rate (STOP while the
plan ran), with Wilson intervals; each arm against the reference (control when there is a
holdout, else the first arm) with a two-sided test; time to first APPLIED with the log-rank
test. No difference is claimed until every arm holds the people a power calculation asks for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onward.engine.errors import NotFound
from onward.engine.numbers.outcome_events import APPLIED
from onward.engine.numbers.stats import time_to
from onward.engine.numbers.stats_data import (
    FOLLOW_WINDOW,
    OPT_OUT,
    Facts,
    PersonFacts,
    RunFact,
    Scope,
    load_facts,
)
from onward.engine.numbers.stats_math import (
    ALPHA,
    DETECTABLE,
    compare_proportions,
    kaplan_meier,
    logrank,
    per_arm_for,
    rate,
    suppressed,
    wilson,
)
from onward.engine.plan_store import parsed
from onward.engine.storage.models import PlanVersion
from onward.plans import CONTROL_ARM, arms_of


def experiment_report(session: Session, plan: str, now: datetime) -> dict[str, Any]:
    latest = session.scalars(
        select(PlanVersion).where(PlanVersion.name == plan).order_by(PlanVersion.version.desc())
    ).first()
    if latest is None:
        raise NotFound(f"no plan named {plan!r}")
    facts = load_facts(session, Scope(plan=plan))
    members = _first_runs(facts)
    arms_now = arms_of(parsed(latest))
    names = list(arms_now.names) if arms_now else []
    names += sorted({arm for arm in members if arm not in names})
    if not names:
        return _no_experiment(plan)
    holdout = parsed(latest).holdout
    reference = CONTROL_ARM if CONTROL_ARM in names else names[0]
    tallies = {arm: _tally(members.get(arm, []), facts, now) for arm in names}
    ref = tallies[reference]
    needed = per_arm_for(ref["replied"] / ref["people"] if ref["people"] else 0.5)
    enough = all(t["people"] >= needed for t in tallies.values()) and len(names) > 1
    rows = [_row(arm, tallies[arm], None if arm == reference else ref) for arm in names]
    found = enough and any(
        row["vs_reference"] is not None
        and min(row["vs_reference"]["reply_p"], row["vs_reference"]["applied_logrank_p"] or 1.0)
        < ALPHA
        for row in rows
    )
    return {
        "plan": plan,
        "reference_arm": reference,
        "holdout": holdout.share if holdout is not None else None,
        "arms": rows,
        "needed_per_arm": needed,
        "enough_data": enough,
        "difference_found": found,
        "message": _message(enough, found, needed, tallies),
    }


def _first_runs(facts: Facts) -> dict[str, list[RunFact]]:
    seen: set[int] = set()
    members: dict[str, list[RunFact]] = {}
    for run in facts.runs:  # in start order
        arm = facts.arms.get(run.id)
        if arm is None or run.person_id in seen:
            continue
        seen.add(run.person_id)
        members.setdefault(arm, []).append(run)
    return members


def _tally(runs: list[RunFact], facts: Facts, now: datetime) -> dict[str, Any]:
    sent: dict[int, list[datetime]] = {}
    for step in facts.steps:
        if step.sent_at is not None and step.status == "sent":
            sent.setdefault(step.run_id, []).append(step.sent_at)
    replied = opted_out = 0
    for run in runs:
        person = facts.people.get(run.person_id, PersonFacts())
        if any(person.wrote(at, FOLLOW_WINDOW) for at in sent.get(run.id, [])):
            replied += 1
        until = run.ended_at or now
        if any(c == OPT_OUT and run.started_at <= at <= until for at, c in person.messages):
            opted_out += 1
    origins = {run.person_id: run.started_at for run in runs}
    durations, observed = time_to(APPLIED, origins, facts, now)
    return {
        "people": len(runs),
        "replied": replied,
        "opted_out": opted_out,
        "durations": durations,
        "observed": observed,
    }


def _row(arm: str, tally: dict[str, Any], ref: dict[str, Any] | None) -> dict[str, Any]:
    n, replied, opted = tally["people"], tally["replied"], tally["opted_out"]
    curve = kaplan_meier(tally["durations"], tally["observed"])
    reply_rate, opt_rate = rate(replied, n), rate(opted, n)
    row: dict[str, Any] = {
        "arm": arm,
        "people": suppressed(n),
        "replied": suppressed(replied),
        "reply_rate": reply_rate,
        "reply_rate_ci": _ci(replied, n) if reply_rate is not None else None,
        "opted_out": suppressed(opted),
        "opt_out_rate": opt_rate,
        "opt_out_rate_ci": _ci(opted, n) if opt_rate is not None else None,
        "applied": suppressed(curve.events),
        "median_days_to_first_applied": curve.median_days if curve.events >= 5 else None,
        "vs_reference": None,
    }
    if ref is not None and n and ref["people"]:
        reply = compare_proportions(replied, n, ref["replied"], ref["people"])
        opt = compare_proportions(opted, n, ref["opted_out"], ref["people"])
        p_applied = logrank(
            tally["durations"], tally["observed"], ref["durations"], ref["observed"]
        )
        row["vs_reference"] = {
            "reply_p": round(reply.p_value, 4),
            "reply_test": reply.test,
            "opt_out_p": round(opt.p_value, 4),
            "opt_out_test": opt.test,
            "applied_logrank_p": round(p_applied, 4) if p_applied is not None else None,
        }
    return row


def _ci(k: int, n: int) -> list[float]:
    lo, hi = wilson(k, n)
    return [round(lo, 4), round(hi, 4)]


def _message(enough: bool, found: bool, needed: int, tallies: dict[str, Any]) -> str:
    points = round(DETECTABLE * 100)
    if not enough:
        short = max(needed - t["people"] for t in tallies.values())
        return f"too few people to tell: about {short} more per arm for a {points}-point difference"
    if found:
        return (
            f"enough people to tell a {points}-point difference, and the arms differ "
            f"(p < {ALPHA}); check the opt-out rates before keeping the change"
        )
    return (
        f"enough people to tell a {points}-point difference, and none was found: "
        "the arms do about the same"
    )


def _no_experiment(plan: str) -> dict[str, Any]:
    return {
        "plan": plan,
        "reference_arm": None,
        "holdout": None,
        "arms": [],
        "needed_per_arm": None,
        "enough_data": False,
        "difference_found": False,
        "message": f"plan {plan!r} runs no experiment: add variants to a step or a holdout",
    }

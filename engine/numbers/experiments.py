"""Experiment arms as stored: the arm each run was given, written when the run starts.

The arm itself is a pure function of the plan and the person (`onward.plans.experiments`), so
the sender picks the same text without reading this table; the row is the record that stats
and `runs show` read, and it survives later versions of the plan.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from onward.engine.storage.models import Run
from onward.engine.storage.outcome_models import ExperimentArm
from onward.plans import Plan, assign_arm


def record_arm(session: Session, run: Run, plan: Plan, now: datetime) -> str | None:
    """Give a new run its arm (None when its plan runs no experiment)."""
    arm = assign_arm(plan, run.person_id)
    if arm is not None:
        session.add(
            ExperimentArm(
                run_id=run.id,
                person_id=run.person_id,
                experiment=plan.name,
                arm=arm,
                assigned_at=now,
            )
        )
    return arm


def arm_of_run(session: Session, run_id: int) -> str | None:
    return session.scalar(select(ExperimentArm.arm).where(ExperimentArm.run_id == run_id))

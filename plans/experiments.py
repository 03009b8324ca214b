"""A plan's experiment: which arm a person is in, and the text each arm's step carries.

A step's `variants` are named texts; a plan's `holdout` is the share of people who keep the
base texts (the control arm). The arm is a pure function of the plan's name and the person, so
every send and every replica agree, and a new version of the plan keeps people where they were
as long as the arms and weights stay the same.

A variant is held to the rules of its step's base text, as errors rather than warnings: a
template that renders with the allowed variables, no more than three SMS parts, and, when the
base text says how to pause or stop, the same.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from onward.plans.schema import CONTROL_ARM, Plan, Step
from onward.plans.sms import sms_segments
from onward.plans.templates import TemplateRenderError, check_template, render, sample_context

# The arm of people in a plan with a holdout and no variants: the plan as written.
PLAN_ARM = "plan"
MAX_VARIANT_SEGMENTS = 3
_PAUSE_OR_STOP = re.compile(r"\b(PAUSE|STOP)\b")


@dataclass(frozen=True)
class Arms:
    names: tuple[str, ...]  # control first when there is a holdout
    holdout: float
    weights: tuple[int, ...]  # of the arms other than control


def arms_of(plan: Plan) -> Arms | None:
    """The plan's arms, or None when the plan runs no experiment."""
    variants = next((step.variants for step in plan.steps if step.variants), [])
    if not variants and plan.holdout is None:
        return None
    share = plan.holdout.share if plan.holdout is not None else 0.0
    names = tuple(v.name for v in variants) or (PLAN_ARM,)
    weights = tuple(v.weight for v in variants) or (1,)
    return Arms(((CONTROL_ARM,) if share else ()) + names, share, weights)


def assign_arm(plan: Plan, person_id: int) -> str | None:
    """The person's arm: stable, from a hash of the experiment (the plan's name) and person."""
    arms = arms_of(plan)
    if arms is None:
        return None
    digest = hashlib.sha256(f"{plan.name}:{person_id}".encode()).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64  # uniform on [0, 1)
    if draw < arms.holdout:
        return CONTROL_ARM
    draw = (draw - arms.holdout) / (1 - arms.holdout)
    others = arms.names[1:] if arms.holdout else arms.names
    total, cumulative = sum(arms.weights), 0
    for name, weight in zip(others, arms.weights, strict=True):
        cumulative += weight
        if draw < cumulative / total:
            return name
    return others[-1]


def arm_text(step: Step, arm: str | None, lang: str | None = None) -> tuple[str, str | None]:
    """The text and subject a step carries for `arm` (the base ones for control or none), in
    `lang` when the plan has it (else, and when `lang` is None, in the plan's own language)."""
    lang = lang or ""  # no translation has the empty code: the source texts
    for variant in step.variants:
        if variant.name == arm:
            return variant.text_for(lang), variant.subject_for(lang) or step.subject_for(lang)
    return step.text_for(lang), step.subject_for(lang)


def skipped_for(plan: Plan, arm: str | None, step_id: str) -> bool:
    """Does the control arm of a lighter holdout leave this step out?"""
    return arm == CONTROL_ARM and plan.holdout is not None and step_id in plan.holdout.skip


def variant_problems(step: dict[Any, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Errors of a raw step's variants, as (location under the step, message)."""
    variants = step.get("variants")
    base = step.get("text")
    if not isinstance(variants, list):
        return []
    found: list[tuple[tuple[str | int, ...], str]] = []
    for index, variant in enumerate(variants):
        if not isinstance(variant, dict):
            continue
        loc: tuple[str | int, ...] = ("variants", index)
        for field in ("subject", "text"):
            if isinstance(variant.get(field), str):
                found += [((*loc, field), p) for p in check_template(variant[field])]
        text = variant.get("text")
        if not isinstance(text, str) or check_template(text):
            continue
        try:
            rendered = render(text, sample_context())
        except TemplateRenderError:  # reported by check_template
            continue
        length = sms_segments(rendered)
        if length.segments > MAX_VARIANT_SEGMENTS:
            found.append(
                (
                    (*loc, "text"),
                    f"is {length.segments} SMS parts with a sample company and role; a variant "
                    f"may use at most {MAX_VARIANT_SEGMENTS}",
                )
            )
        if (
            isinstance(base, str)
            and _PAUSE_OR_STOP.search(base)
            and not _PAUSE_OR_STOP.search(text)
        ):
            found.append(
                ((*loc, "text"), "the step's text says how to pause or stop; its variants must too")
            )
    return found

"""Experiments in a plan: what validation refuses, and how people are shared between arms."""

from __future__ import annotations

from collections import Counter

import pytest

from onward.plans import CONTROL_ARM, PLAN_ARM, arm_text, arms_of, assign_arm, load_plan
from onward.plans.issues import PlanError
from onward.plans.validate import validate_plan

HEAD = """\
name: trial
description: A trial.
{holdout}steps:
  - id: ack
    kind: message
    due: 0m
    text: I'm sorry. Reply PAUSE for a break, STOP to end.
{ack_variants}  - id: reflect
    kind: reflect
    due: 2d
    text: How did it go? Reply PAUSE for a break, STOP to end.
{reflect_variants}"""


def plan_text(holdout: str = "", ack: str = "", reflect: str = "") -> str:
    return HEAD.format(holdout=holdout, ack_variants=ack, reflect_variants=reflect)


def variants(*items: tuple[str, str, int]) -> str:
    lines = "    variants:\n"
    for name, text, weight in items:
        lines += f'      - name: {name}\n        text: "{text}"\n        weight: {weight}\n'
    return lines


WARM = ("warm", "That hurts. Reply PAUSE for a break, STOP to end.", 1)
BRIEF = ("brief", "Sorry. Reply STOP to end.", 1)


def errors(text: str) -> list[str]:
    return [f"{issue.field}: {issue.message}" for issue in validate_plan(text, "t.yaml").errors]


def test_a_plan_with_variants_and_a_holdout_loads() -> None:
    plan = load_plan(plan_text("holdout: 0.2\n", variants(WARM, BRIEF)))
    arms = arms_of(plan)
    assert arms is not None and arms.names == (CONTROL_ARM, "warm", "brief")
    assert arms.holdout == 0.2
    ack = plan.step("ack")
    assert arm_text(ack, "warm")[0].startswith("That hurts")
    assert arm_text(ack, CONTROL_ARM)[0] == ack.text
    assert arm_text(plan.step("reflect"), "warm")[0] == plan.step("reflect").text  # no variant


def test_a_lighter_holdout_may_leave_out_later_steps() -> None:
    plan = load_plan(plan_text("holdout: {share: 0.3, skip: [reflect]}\n"))
    assert plan.holdout is not None and plan.holdout.skip == ["reflect"]
    assert arms_of(plan) is not None and arms_of(plan).names == (CONTROL_ARM, PLAN_ARM)  # type: ignore[union-attr]


def test_no_experiment_no_arms() -> None:
    plan = load_plan(plan_text())
    assert arms_of(plan) is None and assign_arm(plan, 7) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            plan_text(ack=variants(("warm", "x " * 300 + "STOP", 1), BRIEF)),
            "steps[0].variants[0].text: is 4 SMS parts",
        ),
        (
            plan_text(ack=variants(("warm", "Hi {{ nickname }}. STOP to end.", 1), BRIEF)),
            "steps[0].variants[0].text: unknown template variable 'nickname'",
        ),
        (
            plan_text(ack=variants(("warm", "Hello there.", 1), BRIEF)),
            "steps[0].variants[0].text: the step's text says how to pause or stop",
        ),
        (
            plan_text(ack=variants(WARM, BRIEF), reflect=variants(WARM)),
            "variants must have the same names and weights in every step",
        ),
        (
            plan_text(ack=variants(WARM, ("warm", "Again. STOP to end.", 2))),
            "each variant needs its own name",
        ),
        (
            plan_text(ack=variants(("control", "Hi. STOP to end.", 1), BRIEF)),
            "is the holdout's arm",
        ),
        (plan_text(ack=variants(WARM)), "one variant and no holdout compares nothing"),
        (
            plan_text("holdout: {share: 0.3, skip: [ack]}\n"),
            "'ack' is the acknowledgement sent at once; every arm keeps it",
        ),
        (plan_text("holdout: {share: 0.3, skip: [nope]}\n"), "no step 'nope' in this plan"),
        (plan_text("holdout: 1.5\n"), "holdout.share: input should be less than 1"),
        (plan_text("holdout: 0\n"), "holdout.share: input should be greater than 0"),
        (plan_text(ack=variants(("warm", "Hi. STOP to end.", 0), BRIEF)), "weight"),
    ],
)
def test_validation_refuses_variants_that_break_the_rules(text: str, expected: str) -> None:
    found = errors(text)
    assert any(expected.lower() in error.lower() for error in found), found
    with pytest.raises(PlanError):
        load_plan(text)


def test_assignment_is_stable_and_follows_the_shares() -> None:
    plan = load_plan(plan_text("holdout: 0.2\n", variants(WARM, ("brief", BRIEF[1], 3))))
    arms = Counter(assign_arm(plan, person_id) for person_id in range(20_000))
    assert set(arms) == {CONTROL_ARM, "warm", "brief"}
    assert arms[CONTROL_ARM] / 20_000 == pytest.approx(0.2, abs=0.015)
    assert arms["warm"] / 20_000 == pytest.approx(0.2, abs=0.015)  # 1/4 of the other 80%
    assert arms["brief"] / 20_000 == pytest.approx(0.6, abs=0.015)
    again = load_plan(plan_text("holdout: 0.2\n", variants(WARM, ("brief", BRIEF[1], 3))))
    assert [assign_arm(again, i) for i in range(200)] == [assign_arm(plan, i) for i in range(200)]


def test_the_arm_depends_on_the_experiment_too() -> None:
    one = load_plan(plan_text("holdout: 0.5\n"))
    other = load_plan(plan_text("holdout: 0.5\n").replace("name: trial", "name: other"))
    differ = sum(assign_arm(one, i) != assign_arm(other, i) for i in range(1000))
    assert 400 < differ < 600  # independent draws, not the same split

"""Plans that adapt: a plan's `when:` rules, checked at load and matched against a person's
facts by one pure function (which plan REJECTED starts, and why)."""

from __future__ import annotations

from textwrap import dedent

import pytest
from pydantic import ValidationError

from onward.plans import load_plan, validate_plan
from onward.plans.rules import Facts, When, choose, parse_comparison

GENTLE = When.model_validate({"rejections_in_30_days": ">= 3"})
ENGINEERS = When.model_validate({"role_matches": "engineer|developer"})
ISLES = When.model_validate({"country": ["GB", "IE"]})


@pytest.mark.parametrize(
    ("text", "value", "holds"),
    [
        (">= 3", 3, True),
        (">= 3", 2, False),
        (">3", 3, False),
        ("> 3", 4, True),
        ("<= 1", 1, True),
        ("<= 1", 2, False),
        ("< 2", 1, True),
        ("< 2", 2, False),
        ("== 2", 2, True),
        ("= 2", 2, True),
        ("=2", 3, False),
        ("  >=  10 ", 10, True),
    ],
)
def test_comparisons_hold_as_written(text: str, value: int, holds: bool) -> None:
    assert parse_comparison(text).holds(value) is holds


@pytest.mark.parametrize("text", ["3", "=> 3", ">= three", ">= -1", ">= 3.5", "", "!= 2", "≥ 3"])
def test_unreadable_comparisons_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="comparison"):
        parse_comparison(text)


def test_a_comparison_reads_back_as_written_tidily() -> None:
    assert str(parse_comparison(" >=3")) == ">= 3"
    assert str(parse_comparison("=4")) == "= 4"


def test_the_first_plan_whose_rules_all_match_is_chosen() -> None:
    ordered = [("engineers", ENGINEERS), ("gentle", GENTLE)]
    third = Facts(rejections_in_30_days=3, role="Designer", country="US")
    choice = choose(ordered, third, fallback="standard")
    assert choice.plan == "gentle" and choice.by_rules
    assert [(c.plan, c.matched) for c in choice.checked] == [
        ("engineers", False),
        ("gentle", True),
    ]
    [role_rule] = choice.checked[0].rules
    assert (role_rule.rule, role_rule.value, role_rule.actual, role_rule.ok) == (
        "role_matches",
        "engineer|developer",
        "Designer",
        False,
    )
    assert choice.because == ("gentle: 3 rejections in 30 days (>= 3)",)


def test_a_match_ends_the_search_later_plans_are_not_checked() -> None:
    engineer = Facts(rejections_in_30_days=5, role="Senior Software ENGINEER")
    choice = choose([("engineers", ENGINEERS), ("gentle", GENTLE)], engineer, "standard")
    assert choice.plan == "engineers"
    assert [c.plan for c in choice.checked] == ["engineers"]
    assert choice.because == (
        "engineers: role 'Senior Software ENGINEER' matches 'engineer|developer'",
    )


def test_every_rule_of_a_plan_must_hold() -> None:
    both = When.model_validate({"rejections_in_30_days": ">= 2", "country": ["GB", "IE"]})
    in_dublin = choose([("isles", both)], Facts(2, country="IE"), "standard")
    assert in_dublin.plan == "isles"
    in_ohio = choose([("isles", both)], Facts(2, country="US"), "standard")
    assert in_ohio.plan == "standard" and not in_ohio.by_rules
    assert [(r.rule, r.ok) for r in in_ohio.checked[0].rules] == [
        ("rejections_in_30_days", True),
        ("country", False),
    ]
    assert in_ohio.because == ("no plan in the order matched", "standard is the default plan")


def test_nothing_in_the_order_falls_back_to_the_default() -> None:
    choice = choose([], Facts(9), "standard")
    assert (choice.plan, choice.checked) == ("standard", ())
    assert choice.because == ("no plan is in the order", "standard is the default plan")


def test_a_plan_without_rules_in_the_order_is_passed_over() -> None:
    choice = choose([("plain", None), ("gentle", GENTLE)], Facts(3), "standard")
    assert choice.plan == "gentle"
    assert (choice.checked[0].matched, choice.checked[0].rules) == (False, ())


def test_country_and_role_need_a_value_to_match() -> None:
    assert choose([("isles", ISLES)], Facts(1, country=None), "s").plan == "s"
    assert choose([("isles", ISLES)], Facts(1, country="gb"), "s").plan == "isles"
    assert choose([("eng", ENGINEERS)], Facts(1, role=""), "s").plan == "s"


def test_choice_as_json_names_each_rule_its_value_and_whether_it_held() -> None:
    choice = choose([("isles", ISLES), ("gentle", GENTLE)], Facts(3, "", "FR"), "standard")
    assert choice.as_json() == {
        "plan": "gentle",
        "because": ["gentle: 3 rejections in 30 days (>= 3)"],
        "checked": [
            {
                "plan": "isles",
                "matched": False,
                "rules": [{"rule": "country", "value": ["GB", "IE"], "actual": "FR", "ok": False}],
            },
            {
                "plan": "gentle",
                "matched": True,
                "rules": [
                    {"rule": "rejections_in_30_days", "value": ">= 3", "actual": 3, "ok": True}
                ],
            },
        ],
    }


def test_rules_read_back_as_the_yaml_gave_them() -> None:
    when = When.model_validate(
        {"country": "gb", "role_matches": "data", "rejections_in_30_days": "<2"}
    )
    assert when.country == ["GB"]
    assert when.describe() == ["rejections_in_30_days < 2", "role_matches 'data'", "country GB"]


@pytest.mark.parametrize(
    ("rules", "needle"),
    [
        ({}, "at least one rule"),
        ({"rejections_in_30_days": 3}, 'in quotes, such as ">= 3"'),
        ({"rejections_in_30_days": "more than 3"}, "comparison"),
        ({"role_matches": "engineer|(dev"}, "regular expression"),
        ({"role_matches": "  "}, "empty"),
        ({"country": ["GB", "Ireland"]}, "two-letter"),
        ({"country": [False]}, "quote it"),
        ({"country": []}, "at least one"),
        ({"rejected": 3}, "Extra inputs"),
    ],
)
def test_bad_rules_are_refused(rules: dict[str, object], needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        When.model_validate(rules)


PLAN = dedent(
    """\
    name: isles
    description: For people in Britain and Ireland.
    when:
      rejections_in_30_days: ">= 2"
      role_matches: "engineer|developer"
      country: [GB, IE]
    steps:
      - id: ack
        kind: message
        due: 0m
        text: Sorry about {{ company or "the job" }}.
    """
)


def test_a_plan_carries_its_rules() -> None:
    plan = load_plan(PLAN, "isles.yaml")
    assert plan.when is not None
    assert plan.when.describe() == [
        "rejections_in_30_days >= 2",
        "role_matches 'engineer|developer'",
        "country GB, IE",
    ]
    without = PLAN.split("when:")[0] + "steps:" + PLAN.split("steps:")[1]
    assert load_plan(without, "plain.yaml").when is None


def test_bad_rules_are_reported_with_file_line_and_field() -> None:
    broken = (
        PLAN.replace('">= 2"', "2")
        .replace('"engineer|developer"', '"engineer|(dev"')
        .replace("[GB, IE]", "[GB, NO]")
    )
    errors = [str(issue) for issue in validate_plan(broken, "isles.yaml").errors]
    assert len(errors) == 3, errors
    assert errors[0].startswith("isles.yaml:4: when.rejections_in_30_days: ")
    assert errors[1].startswith("isles.yaml:5: when.role_matches: not a valid regular expression")
    assert errors[2].startswith("isles.yaml:6: when.country: ")
    assert "quote it" in errors[2]


def test_an_unknown_rule_names_the_rules_there_are() -> None:
    broken = PLAN.replace("role_matches:", "role_is:")
    [error] = [str(issue) for issue in validate_plan(broken, "isles.yaml").errors]
    assert error.startswith("isles.yaml:5: when.role_is: unknown field; a when has ")
    assert "rejections_in_30_days, role_matches, country" in error


def test_reasons_read_as_sentences() -> None:
    [check] = choose([("gentle", GENTLE)], Facts(1), "standard").checked
    assert [rule.reason for rule in check.rules] == ["1 rejection in 30 days (not >= 3)"]
    [isles] = choose([("isles", ISLES)], Facts(1), "standard").checked
    assert [rule.reason for rule in isles.rules] == ["country unknown not in GB, IE"]

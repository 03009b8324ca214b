"""The loader names the file, line and field of every problem in a plan, not only the first."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from onward.plans import (
    PlanError,
    load_plan,
    load_plan_file,
    shipped_plan_names,
    shipped_plan_source,
    validate_plan,
)
from onward.plans.loader import load_shipped_plan, parse_plan

GOOD = dedent(
    """\
    name: tiny
    description: A two-step plan.
    keywords: [setback]
    window: "09:00-20:00"
    steps:
      - id: ack
        kind: message
        due: 0m
        text: Sorry about {{ company or "the job" }}. Reply STOP to end.
      - id: go
        kind: apply
        due: 2d at 10:00
        goal: 3
        text: Aim for {{ goal }}. Reply PAUSE for a break, STOP to end.
        reminder:
          after: 1d
          text: "{{ applied }} so far. STOP to end."
    """
)


def errors(text: str, source: str = "p.yaml") -> list[str]:
    return [str(issue) for issue in validate_plan(text, source).errors]


def test_a_good_plan_loads() -> None:
    plan = load_plan(GOOD, "tiny.yaml")
    assert plan.name == "tiny"
    assert [step.id for step in plan.steps] == ["ack", "go"]
    assert plan.keywords == ["SETBACK"]
    assert errors(GOOD) == []


def test_every_error_is_reported_with_file_line_and_field() -> None:
    text = dedent(
        """\
        name: Bad Name
        description: test
        colour: blue
        keywords: [stop]
        window: "20:00-09:00"
        steps:
          - id: ack
            kind: message
            due: 0m
            text: hi {{ nickname }}
            goal: 3
          - id: ack
            kind: sulk
            due: 2x
            text: "{% if company %}oops"
          - id: third
            kind: message
            due: 1d1d
            text: ok
            reminder:
              after: 1d
              text: again
          - id: fourth
            kind: reflect
            due: 1w
            business_days: true
            text: ok
            text: twice
          - kind: apply
            due: 400d
        """
    )
    assert errors(text, "bad.yaml") == [
        "bad.yaml:1: name: 'Bad Name' is not a valid name: use a-z, 0-9 and -",
        "bad.yaml:3: colour: unknown field; a plan has name, description, languages, keywords, "
        "window, holdout, when, steps",
        "bad.yaml:4: keywords[0]: 'STOP' is a text command and cannot start a plan",
        "bad.yaml:5: window: send window '20:00-09:00' must start before it ends"
        " (windows across midnight are not supported)",
        "bad.yaml:10: steps[0].text: unknown template variable 'nickname'; allowed: answers,"
        " applied, coach, company, goal, local_due, org, person, plan, remaining, role",
        "bad.yaml:11: steps[0].goal: only an apply step has a goal, not a message step",
        "bad.yaml:12: steps[1].id: duplicate step id 'ack' (first on line 7)",
        "bad.yaml:13: steps[1].kind: unknown step kind 'sulk'; use one of grieve, reflect,"
        " feedback_ask, research, apply, message",
        "bad.yaml:14: steps[1].due: unknown unit 'x' in '2x'; use m, h, d or w",
        "bad.yaml:15: steps[1].text: template syntax error on line 1 of the text: Unexpected end"
        " of template. Jinja was looking for the following tags: 'elif' or 'else' or 'endif'."
        " The innermost block that needs to be closed is 'if'.",
        "bad.yaml:18: steps[2].due: unit 'd' appears twice in '1d1d'; add the parts together",
        "bad.yaml:20: steps[2].reminder: a message step asks for no reply, so it cannot have one"
        " (only reflect, feedback_ask, research, apply)",
        "bad.yaml:25: steps[3].due: with business_days, count in days (e.g. 10d), not weeks",
        "bad.yaml:28: steps[3].text: given twice (first on line 27); give each field once",
        "bad.yaml:29: steps[4].id: required field is missing",
        "bad.yaml:29: steps[4].text: required field is missing",
        "bad.yaml:30: steps[4].due: offset '400d' is more than 365 days",
    ]


def test_load_plan_raises_plan_error_carrying_the_issues() -> None:
    text = GOOD.replace("due: 0m", "due: soon")
    with pytest.raises(PlanError) as caught:
        load_plan(text, "tiny.yaml")
    (issue,) = caught.value.issues
    assert (issue.source, issue.line, issue.field) == ("tiny.yaml", 8, "steps[0].due")
    assert str(caught.value) == (
        "tiny.yaml:8: steps[0].due: cannot read offset 'soon';"
        " write whole-number parts like 2d, 36h or 1d12h"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "p.yaml:1: plan: the file is empty"),
        ("# only a comment\n", "p.yaml:1: plan: the file is empty"),
        ("- a\n- b\n", "p.yaml:1: plan: a plan must be a mapping with name, description, steps"),
        ("just words", "p.yaml:1: plan: a plan must be a mapping"),
        (
            "name: x\ndescription: d\nsteps:\n  - a: b\n    c: [d\n",
            "p.yaml:6: yaml: not valid YAML",
        ),
        (
            "name: x\n  nested: y\n",
            "p.yaml:2: yaml: not valid YAML: mapping values are not allowed",
        ),
        ("name: x\n---\nname: y\n", "p.yaml:2: yaml: not valid YAML: but found another document"),
        ("name: x\ndescription: d\nsteps: []\n", "p.yaml:3: steps: a plan needs at least one step"),
        ("name: x\ndescription: d\nsteps: {}\n", "p.yaml:3: steps: must be a list"),
    ],
)
def test_documents_that_are_not_plans(text: str, expected: str) -> None:
    (found,) = errors(text)
    assert found.startswith(expected)


def test_missing_top_level_fields_point_at_the_document() -> None:
    assert errors("name: only\n") == [
        "p.yaml:1: description: required field is missing",
        "p.yaml:1: steps: required field is missing",
    ]


def test_missing_step_fields_point_at_the_step() -> None:
    text = "name: x\ndescription: d\nsteps:\n  - id: a\n    kind: grieve\n"
    assert errors(text) == [
        "p.yaml:4: steps[0].due: required field is missing",
        "p.yaml:4: steps[0].text: required field is missing",
    ]


def test_a_step_that_is_not_a_mapping() -> None:
    text = "name: x\ndescription: d\nsteps:\n  - just a string\n"
    assert errors(text) == ["p.yaml:4: steps[0]: must be a mapping of fields"]


def test_unknown_fields_in_steps_and_reminders_list_what_is_allowed() -> None:
    text = GOOD.replace("    goal: 3\n", "    goal: 3\n    colour: red\n").replace(
        "      after: 1d\n", "      after: 1d\n      when: later\n"
    )
    assert errors(text) == [
        "p.yaml:14: steps[1].colour: unknown field; a step has id, kind, due, business_days,"
        " subject, subject_translations, text, translations, reminder, goal, ask_when, variants",
        "p.yaml:18: steps[1].reminder.when: unknown field; a reminder has after, text,"
        " translations, subject, subject_translations",
    ]


def test_only_an_apply_step_asks_when_and_onward_keeps_its_own_step_ids() -> None:
    text = GOOD.replace("    kind: message\n", "    kind: message\n    ask_when: true\n").replace(
        "  - id: go\n", "  - id: interview_prep\n"
    )
    assert errors(text) == [
        "p.yaml:8: steps[0].ask_when: only an apply step asks when, not a message step",
        "p.yaml:11: steps[1].id: 'interview_prep' is onward's own step (the prep nudge before"
        " an interview); name yours otherwise",
    ]
    assert errors(GOOD.replace("    goal: 3\n", "    goal: 3\n    ask_when: true\n")) == []


def test_bad_values_name_their_line() -> None:
    text = (
        GOOD.replace('window: "09:00-20:00"', "window: 9")
        .replace("goal: 3", "goal: 0")
        .replace("after: 1d", "after: -1d")
        .replace("keywords: [setback]", "keywords: SETBACK")
    )
    assert errors(text) == [
        "p.yaml:3: keywords: must be a list: [a, b] or one '- item' per line",
        "p.yaml:4: window: expected a window such as '09:00-20:00', not 9",
        "p.yaml:13: steps[1].goal: input should be greater than 0",
        "p.yaml:16: steps[1].reminder.after: offset '-1d' is negative;"
        " steps can only come after the rejection",
    ]


def test_template_errors_name_the_line_of_the_text_field() -> None:
    text = GOOD.replace('text: "{{ applied }} so far. STOP to end."', "text: '{{ applied.x }}'")
    text = text.replace("kind: message", "kind: message\n    subject: '{{ oops(' ")
    assert errors(text) == [
        "p.yaml:8: steps[0].subject: template syntax error on line 1 of the text:"
        " unexpected 'end of template'",
        "p.yaml:18: steps[1].reminder.text: template fails to render: 'int object' has no"
        " attribute 'x'",
    ]


def test_yaml_keys_that_are_not_words() -> None:
    text = GOOD + "on: yes\n1: x\n"
    assert errors(text) == [
        "p.yaml:18: on: YAML reads this field name as true or false; quote it if it is a word",
        "p.yaml:19: 1: YAML reads this field name as a number; quote it if it is a word",
    ]


def test_recursive_yaml_aliases_do_not_hang() -> None:
    assert errors("a: &x [*x]\n")[-1] == (
        "p.yaml:1: a: unknown field; a plan has name, description, languages, keywords, window, "
        "holdout, when, steps"
    )


def test_parse_plan_keeps_the_line_index_for_warnings() -> None:
    parsed = parse_plan(GOOD, "tiny.yaml")
    assert parsed.plan is not None and parsed.errors == []
    assert parsed.lines.line_of(("steps", 1, "reminder", "text")) == 17
    assert parsed.lines.line_of(("steps", 1, "nothing")) == 10


def test_load_plan_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(GOOD.replace("due: 0m", "due: 0q"), encoding="utf-8")
    with pytest.raises(PlanError) as caught:
        load_plan_file(path)
    assert (
        str(caught.value) == f"{path}:8: steps[0].due: unknown unit 'q' in '0q'; use m, h, d or w"
    )
    path.write_text(GOOD, encoding="utf-8")
    assert load_plan_file(str(path)).name == "tiny"


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"name: x\ndescription: caf\xe9\n")
    with pytest.raises(PlanError) as caught:
        load_plan_file(path)
    assert str(caught.value) == f"{path}:2: plan: the file is not UTF-8 text"


def test_shipped_plans_are_package_data() -> None:
    assert shipped_plan_names() == ["gentle", "standard"]
    assert shipped_plan_source("standard").startswith("# The default recovery plan")
    assert load_shipped_plan("gentle").name == "gentle"
    with pytest.raises(LookupError, match="no shipped plan named 'nope'; shipped plans: gentle"):
        shipped_plan_source("nope")


def warnings_of(text: str) -> list[str]:
    report = validate_plan(text, "p.yaml")
    assert report.ok, report.errors
    return [str(issue) for issue in report.warnings]


def test_warnings_never_stop_a_plan_from_loading() -> None:
    long_text = "word " * 100 + "Reply STOP to end."
    text = GOOD.replace('Sorry about {{ company or "the job" }}. Reply STOP to end.', long_text)
    assert load_plan(text).steps[0].text == long_text
    assert warnings_of(text) == [
        "p.yaml:9: steps[0].text: is 4 SMS parts (537 GSM-7 characters with a sample company"
        " and role and onward's opt-out footer); keep it to 3 or fewer"
    ]


def test_a_text_need_not_say_how_to_stop_onward_adds_it() -> None:
    text = GOOD.replace('"{{ applied }} so far. STOP to end."', '"{{ applied }} so far."')
    assert warnings_of(text) == []


def test_a_text_leaves_room_for_the_footer() -> None:
    # 453 characters fit three parts (459) alone, but not with the footer onward may add.
    step_text = "Aim for {{ goal }}. Reply PAUSE for a break, STOP to end."
    assert warnings_of(GOOD.replace(step_text, "word " * 87 + "Hi.")) == []
    assert warnings_of(GOOD.replace(step_text, "word " * 90 + "Hi.")) == [
        "p.yaml:14: steps[1].text: is 4 SMS parts (472 GSM-7 characters with a sample company"
        " and role and onward's opt-out footer); keep it to 3 or fewer"
    ]


def test_characters_outside_gsm7_are_flagged() -> None:
    text = GOOD.replace("Aim for {{ goal }}.", "Aim for {{ goal }} \u2014 you\u2019ve got this.")
    assert warnings_of(text) == [
        "p.yaml:14: steps[1].text: uses '\u2014' '\u2019', outside the SMS alphabet, so an SMS"
        " holds 70 characters instead of 160; plain ASCII quotes and dashes avoid that"
    ]


def test_a_text_that_reads_oddly_without_a_company() -> None:
    text = GOOD.replace('{{ company or "the job" }}', "{{ company }}")
    assert warnings_of(text) == [
        "p.yaml:9: steps[0].text: reads oddly when no company or role was given"
        " ('...Sorry about . Reply STOP to end....'); try e.g."
        ' {{ company or "the company" }} or {% if company %}...{% endif %}'
    ]


def test_text_with_everything_right_has_no_warnings() -> None:
    assert warnings_of(GOOD) == []
    assert validate_plan(GOOD).issues == []

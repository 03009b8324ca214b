"""Step texts render in a strict sandbox, and a person's words stay data."""

from __future__ import annotations

import pytest

from onward.plans.templates import (
    ALLOWED_VARIABLES,
    Answers,
    TemplateRenderError,
    _compiled,
    check_template,
    render,
    sample_context,
    template_context,
    tidy,
)


def ctx(**overrides: object) -> dict[str, object]:
    return {**sample_context(), **overrides}


def test_every_documented_variable_renders() -> None:
    source = (
        "{{ company }}|{{ role }}|{{ plan }}|{{ person.timezone }}|{{ person.medium }}|"
        "{{ person.phone }}|{{ person.email }}|{{ answers.reflect }}|{{ applied }}|{{ goal }}|"
        "{{ remaining }}|{{ local_due }}|{{ org }}|{{ coach }}"
    )
    context = sample_context()
    context["answers"] = {"reflect": "went ok"}
    assert render(source, context) == (
        "Northwind Traders|Senior Data Analyst|standard|Europe/London|sms|+447700900123|"
        "sam@example.org|went ok|2|5|3|Tue 18:00|Northside Careers Service|Alex"
    )
    assert {name for name in ALLOWED_VARIABLES if "{{ " + name in source} == ALLOWED_VARIABLES


def test_a_person_s_words_are_never_template_source() -> None:
    sneaky = "{{ 7*7 }} {% if true %}x{% endif %} <b>&"
    context = ctx(company=sneaky, role=sneaky, answers={"reflect": sneaky})
    assert render("{{ company }}", context) == sneaky
    assert render("{{ role }}", context) == sneaky
    assert render("{{ answers['reflect'] }}", context) == sneaky
    assert render("{{ 7*7 }}", context) == "49"


def test_missing_answers_render_empty_not_an_error() -> None:
    assert render("[{{ answers.reflect }}][{{ answers['feedback'] }}]", ctx(answers={})) == "[][]"
    assert (
        render("[{{ answers.reflect }}]", {k: v for k, v in ctx().items() if k != "answers"})
        == "[]"
    )
    assert Answers({"a": "1"})["b"] == ""


def test_unknown_variables_are_errors_not_blanks() -> None:
    with pytest.raises(TemplateRenderError, match="'nickname' is undefined"):
        render("Hi {{ nickname }}", ctx())
    with pytest.raises(TemplateRenderError, match="has no attribute 'nickname'"):
        render("Hi {{ person.nickname }}", ctx())


def test_the_sandbox_refuses_python_internals_and_changes() -> None:
    with pytest.raises(TemplateRenderError, match="unsafe"):
        render("{{ company.__class__.__mro__ }}", ctx())
    with pytest.raises(TemplateRenderError, match="unsafe"):
        render("{{ answers.clear() }}", ctx())


@pytest.mark.parametrize("name", ["range", "dict", "lipsum", "cycler", "joiner", "namespace"])
def test_jinja_s_globals_are_not_offered(name: str) -> None:
    """A text may use only the documented variables: none of Jinja's own globals."""
    with pytest.raises(TemplateRenderError, match=f"'{name}' is undefined"):
        render(f"{{{{ {name} }}}}", ctx())
    assert check_template(f"{{{{ {name} }}}}")  # and validation names it


def test_syntax_errors_raise_template_render_error() -> None:
    with pytest.raises(TemplateRenderError):
        render("{% if company %}", ctx())


def test_rendered_text_is_stripped_and_blank_runs_collapsed() -> None:
    source = "\n  Hello {{ company }}  \n\n\n\n{% if false %}gone{% endif %}\n\nBye   \n\n"
    assert render(source, ctx()) == "Hello Northwind Traders\n\nBye"
    assert tidy("a\n \n\t\nb\n\n\nc") == "a\n\nb\n\nc"
    assert tidy("") == ""


def test_autoescape_is_off() -> None:
    assert render("{{ company }}", ctx(company="Smith & Sons <UK>")) == "Smith & Sons <UK>"


def test_compiled_templates_are_cached_by_source() -> None:
    source = "Cached {{ company }} 41ad"
    render(source, ctx())
    hits = _compiled.cache_info().hits
    render(source, ctx(company="Other"))
    assert _compiled.cache_info().hits == hits + 1
    assert _compiled(source) is _compiled(source)


def test_template_context_fills_unknowns_and_derives_remaining() -> None:
    context = template_context(plan="standard", person={"phone": "+15550100", "email": None})
    assert context["person"] == {"timezone": "", "medium": "", "phone": "+15550100", "email": ""}
    assert (context["company"], context["applied"], context["goal"]) == ("", 0, None)
    assert context["remaining"] == 0
    assert template_context(plan="p", applied=2, goal=5)["remaining"] == 3
    assert template_context(plan="p", applied=7, goal=5)["remaining"] == 0
    assert set(context) == ALLOWED_VARIABLES


@pytest.mark.parametrize(
    ("source", "problems"),
    [
        ("Hello {{ company or 'there' }}, {{ applied }} of {{ goal }}", []),
        ("{% set n = goal - applied %}{{ n }} to go", []),
        (
            "Hi {{ nickname }} {{ zz }}",
            [
                "unknown template variable 'nickname'; allowed: answers, applied, coach, company,"
                " goal, local_due, org, person, plan, remaining, role",
                "unknown template variable 'zz'; allowed: answers, applied, coach, company,"
                " goal, local_due, org, person, plan, remaining, role",
            ],
        ),
        (
            "{% for x in %}",
            [
                "template syntax error on line 1 of the text:"
                " Expected an expression, got 'end of statement block'"
            ],
        ),
        (
            "ok\n{{ company }\n",
            ["template syntax error on line 2 of the text: unexpected '}'"],
        ),
        (
            "{{ person.nickname }}",
            ["template fails to render: 'dict object' has no attribute 'nickname'"],
        ),
        (
            "{{ company[0] }}",
            [
                "template fails to render when no company or role was given:"
                " str object has no element 0"
            ],
        ),
        ("{{ applied / 0 }}", ["template fails to render: ZeroDivisionError: division by zero"]),
    ],
)
def test_check_template(source: str, problems: list[str]) -> None:
    assert check_template(source) == problems

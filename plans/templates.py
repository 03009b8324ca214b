"""The sandbox in which a step's text is rendered, and the variables a plan's text may use.

Step texts and subjects are Jinja2 templates, rendered in a sandbox that cannot reach Python
internals or change the values it is given. Unknown variables are errors, never blanks.

============  ===============================================================================
variable      meaning
============  ===============================================================================
company       the company the person named in ``REJECTED Acme``; ``""`` when they named none
role          the role after ``-`` in ``REJECTED Acme - Analyst``; ``""`` when none
plan          the plan's name, e.g. ``standard``
person        mapping with ``timezone`` (IANA name), ``medium`` (``sms`` or ``email``),
              ``phone`` (E.164) and ``email``; each is ``""`` when unknown
answers       mapping of step id to the person's latest journal answer for that step;
              a step with no answer gives ``""``: ``{{ answers.reflect }}``
applied       applications counted so far in this run (``APPLIED``), an int
goal          the goal of the plan's first ``apply`` step, or None
remaining     ``goal - applied``, never below 0 (0 when there is no goal)
local_due     when this step is due, in the person's local time, e.g. ``Tue 18:00``
org           the organisation's name (``ONWARD_ORG_NAME``), e.g. ``Leeds Careers Service``
coach         the person's coach once one has taken their conversation; ``""`` before
============  ===============================================================================

A person's own words (company, role, answers) are values, never template source: a company
called ``{{ 7*7 }}`` is printed as exactly those characters.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

ALLOWED_VARIABLES = frozenset(
    {
        "company",
        "role",
        "plan",
        "person",
        "answers",
        "applied",
        "goal",
        "remaining",
        "local_due",
        "org",
        "coach",
    }
)
PERSON_FIELDS = ("timezone", "medium", "phone", "email")

# Immutable: a template may read what it is given but never change it.
_ENV = ImmutableSandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
)
# A text may use only the variables above (validation refuses any other name), so none of
# Jinja's globals (range, dict, lipsum, cycler, joiner, namespace) is offered: less to reach
# from a template, and a render 40% cheaper (each one copied them into its context).
_ENV.globals.clear()


class TemplateRenderError(ValueError):
    """A step's text could not be rendered."""


class Answers(dict[str, str]):
    """Journal answers by step id; a step the person has not answered reads as ``""``."""

    def __missing__(self, key: str) -> str:
        return ""


def template_context(
    *,
    plan: str,
    company: str = "",
    role: str = "",
    person: Mapping[str, str | None] | None = None,
    answers: Mapping[str, str] | None = None,
    applied: int = 0,
    goal: int | None = None,
    local_due: str = "",
    org: str = "onward",
    coach: str = "",
) -> dict[str, object]:
    """Build the variables for ``render``, filling what is unknown with ``""`` and deriving
    ``remaining``."""
    given = person or {}
    return {
        "company": company,
        "role": role,
        "plan": plan,
        "person": {field: given.get(field) or "" for field in PERSON_FIELDS},
        "answers": Answers(answers or {}),
        "applied": applied,
        "goal": goal,
        "remaining": max(goal - applied, 0) if goal is not None else 0,
        "local_due": local_due,
        "org": org,
        "coach": coach,
    }


def sample_context(
    *,
    plan: str = "standard",
    company: str = "Northwind Traders",
    role: str = "Senior Data Analyst",
    applied: int = 2,
    goal: int | None = 5,
    org: str = "Northside Careers Service",
    coach: str = "Alex",
) -> dict[str, object]:
    """Plausible values for checking templates; the company and role are on the long side."""
    person = {
        "timezone": "Europe/London",
        "medium": "sms",
        "phone": "+447700900123",
        "email": "sam@example.org",
    }
    return template_context(
        plan=plan,
        company=company,
        role=role,
        person=person,
        applied=applied,
        goal=goal,
        local_due="Tue 18:00",
        org=org,
        coach=coach,
    )


@functools.lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    # The dispatcher renders the same few sources over and over; compile each once.
    return _ENV.from_string(source)


def tidy(text: str) -> str:
    """Strip the text and its lines' trailing spaces, and collapse runs of blank lines."""
    if "\n" not in text:  # most texts are one line: nothing but the ends to strip
        return text.strip()
    lines: list[str] = []
    for line in text.strip().splitlines():
        stripped = line.rstrip()
        if stripped or (lines and lines[-1]):
            lines.append(stripped)
    return "\n".join(lines)


def render(source: str, context: Mapping[str, object]) -> str:
    values = dict(context)
    answers = values.get("answers")
    if not isinstance(answers, Answers):
        values["answers"] = Answers(answers if isinstance(answers, Mapping) else {})
    try:
        template = _compiled(source)
        # Template.render without its copy of the variables: `values` is this call's own, and
        # the sandbox is immutable, so the template cannot change it.
        context_ = template.new_context(values, shared=True)
        return tidy(_ENV.concat(template.root_render_func(context_)))
    except TemplateError as error:
        raise TemplateRenderError(error.message or type(error).__name__) from error
    except (ArithmeticError, LookupError, TypeError, ValueError) as error:
        raise TemplateRenderError(f"{type(error).__name__}: {error}") from error


def check_template(source: str) -> list[str]:
    """What is wrong with a template: a syntax error, or variables it may not use or that fail
    on sample data (with and without a company and role). Empty when it is fine."""
    try:
        parsed = _ENV.parse(source)
    except TemplateSyntaxError as error:
        return [f"template syntax error on line {error.lineno} of the text: {error.message}"]
    allowed = ", ".join(sorted(ALLOWED_VARIABLES))
    unknown = sorted(meta.find_undeclared_variables(parsed) - ALLOWED_VARIABLES)
    if unknown:
        return [f"unknown template variable {name!r}; allowed: {allowed}" for name in unknown]
    for label, context in (
        ("", sample_context()),
        (" when no company or role was given", sample_context(company="", role="", applied=0)),
    ):
        try:
            render(source, context)
        except TemplateRenderError as error:
            return [f"template fails to render{label}: {error}"]
    return []

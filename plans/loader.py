"""Read a plan from YAML, naming the file, line and field of every problem, not just the first."""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.nodes import MappingNode, Node, SequenceNode

from onward.plans.experiments import variant_problems
from onward.plans.issues import LineIndex, Loc, PlanError, PlanIssue, field_name
from onward.plans.rules import When
from onward.plans.schema import (
    RULE_ERROR,
    STEP_KINDS,
    Holdout,
    Plan,
    Reminder,
    Step,
    Variant,
    step_rule_problems,
)
from onward.plans.templates import check_template
from onward.plans.translations import translation_problems
from onward.plans.values import Due, parse_due

_TEMPLATE_FIELDS = ("subject", "text")
_STR_TAG = "tag:yaml.org,2002:str"
_TAG_NAMES = {
    f"tag:yaml.org,2002:{tag}": name
    for tag, name in [
        ("int", "a number"),
        ("float", "a number"),
        ("bool", "true or false"),
        ("null", "empty"),
        ("timestamp", "a date"),
        ("map", "a mapping"),
        ("seq", "a list"),
    ]
}


@dataclass(frozen=True, slots=True)
class ParsedPlan:
    plan: Plan | None
    errors: list[PlanIssue]
    lines: LineIndex


def parse_plan(text: str, source: str = "<plan>") -> ParsedPlan:
    """Parse and check a plan's YAML, collecting every error (warnings are validate's job)."""
    try:
        root, data = _compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error)
        issue = PlanIssue(source, line, "yaml", f"not valid YAML: {problem}")
        return ParsedPlan(None, [issue], LineIndex(None))
    lines = LineIndex(root)
    if root is None:
        return ParsedPlan(None, [PlanIssue(source, 1, "plan", "the file is empty")], lines)
    if not isinstance(data, dict):
        message = "a plan must be a mapping with name, description, steps and so on"
        return ParsedPlan(None, [PlanIssue(source, lines.line_of(()), "plan", message)], lines)

    found: list[tuple[Loc, str]] = list(_key_problems(root, ()))
    plan: Plan | None = None
    try:
        plan = Plan.model_validate(data)
    except ValidationError as error:
        # Rule errors are reported below from the raw data, with the line of the exact field.
        # Key problems were reported above from the YAML nodes, which know the key's text.
        skip = (RULE_ERROR, "invalid_key")
        found += [_describe(e) for e in error.errors() if e["type"] not in skip]
    found += _rule_problems(data, lines)
    issues = [PlanIssue(source, lines.line_of(loc), field_name(loc), msg) for loc, msg in found]
    issues.sort(key=lambda issue: issue.line)
    return ParsedPlan(None if issues else plan, issues, lines)


def _compose(text: str) -> tuple[Node | None, Any]:
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        return root, None if root is None else loader.construct_document(root)
    finally:
        loader.dispose()


def _key_problems(
    node: Node, loc: tuple[str | int, ...], visited: set[int] | None = None
) -> list[tuple[Loc, str]]:
    # YAML aliases can share or even nest a node in itself: walk each node once.
    visited = set() if visited is None else visited
    if id(node) in visited:
        return []
    visited.add(id(node))
    found: list[tuple[Loc, str]] = []
    if isinstance(node, MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value)
            if key.tag != _STR_TAG:
                read_as = _TAG_NAMES.get(key.tag, key.tag)
                message = f"YAML reads this field name as {read_as}; quote it if it is a word"
                found.append(((*loc, name), message))
            elif name in first:
                message = f"given twice (first on line {first[name]}); give each field once"
                found.append(((*loc, name), message))
            first.setdefault(name, key.start_mark.line + 1)
            found += _key_problems(value, (*loc, name), visited)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            found += _key_problems(item, (*loc, index), visited)
    return found


def _model_at(loc: Loc) -> type[BaseModel]:
    model: type[BaseModel] = Plan
    for part in loc:
        if part == "steps":
            model = Step
        elif part == "reminder":
            model = Reminder
        elif part == "variants":
            model = Variant
        elif part == "holdout":
            model = Holdout
        elif part == "when":
            model = When
    return model


def _describe(error: ErrorDetails) -> tuple[Loc, str]:
    loc, kind = error["loc"], error["type"]
    loc = tuple(part for part in loc if part != "[key]")  # a mapping's key: its own line
    if kind == "missing":
        return loc, "required field is missing"
    if kind == "extra_forbidden":
        allowed = ", ".join(_model_at(loc[:-1]).model_fields)
        return loc, f"unknown field; a {_model_at(loc[:-1]).__name__.lower()} has {allowed}"
    if kind == "literal_error" and loc and loc[-1] == "kind":
        return loc, f"unknown step kind {error['input']!r}; use one of {', '.join(STEP_KINDS)}"
    if kind in ("model_type", "dict_type"):
        return loc, "must be a mapping of fields"
    if kind == "list_type":
        return loc, "must be a list: [a, b] or one '- item' per line"
    if kind == "too_short" and tuple(loc) == ("steps",):
        return loc, "a plan needs at least one step"
    message = error["msg"].removeprefix("Value error, ")
    return loc, message[:1].lower() + message[1:]


def _rule_problems(data: dict[Any, Any], lines: LineIndex) -> list[tuple[Loc, str]]:
    """Rules between fields and templates, checked on the raw data so that every step is
    checked even when another field of the plan is broken."""
    found: list[tuple[Loc, str]] = list(translation_problems(data))
    steps = data.get("steps")
    if not isinstance(steps, list):
        return found
    first_line: dict[str, int] = {}
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        loc: tuple[str | int, ...] = ("steps", index)
        step_id = step.get("id")
        if isinstance(step_id, str):
            if step_id in first_line:
                message = f"duplicate step id {step_id!r} (first on line {first_line[step_id]})"
                found.append(((*loc, "id"), message))
            else:
                first_line[step_id] = lines.line_of((*loc, "id"))
        kind = step.get("kind")
        problems = step_rule_problems(
            kind if kind in STEP_KINDS else None,
            goal=step.get("goal") is not None,
            reminder=step.get("reminder") is not None,
            business_days=step.get("business_days") is True,
            due=_due_or_none(step.get("due")),
            ask_when=step.get("ask_when") is True,
        )
        found += [((*loc, field), message) for field, message in problems]
        found += _template_problems(step, loc)
        reminder = step.get("reminder")
        if isinstance(reminder, dict):
            found += _template_problems(reminder, (*loc, "reminder"))
        found += [((*loc, *where), message) for where, message in variant_problems(step)]
    return found


def _template_problems(fields: dict[Any, Any], loc: tuple[str | int, ...]) -> list[tuple[Loc, str]]:
    return [
        ((*loc, name), problem)
        for name in _TEMPLATE_FIELDS
        if isinstance(fields.get(name), str)
        for problem in check_template(fields[name])
    ]


def _due_or_none(value: object) -> Due | None:
    try:
        return parse_due(value) if isinstance(value, str) else None
    except ValueError:
        return None


def load_plan(text: str, source: str = "<plan>") -> Plan:
    """Parse and check a plan; raise PlanError listing every problem."""
    parsed = parse_plan(text, source)
    if parsed.plan is None:
        raise PlanError(parsed.errors)
    return parsed.plan


def load_plan_file(path: str | Path) -> Plan:
    return load_plan(read_plan_text(path), str(path))


def read_plan_text(path: str | Path) -> str:
    """The text of a plan file; a file that is not UTF-8 is a PlanError, not a traceback."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        line = Path(path).read_bytes()[: error.start].count(b"\n") + 1
        issue = PlanIssue(str(path), line, "plan", "the file is not UTF-8 text")
        raise PlanError([issue]) from None


def shipped_plan_names() -> list[str]:
    """Names of the plans that ship with onward, e.g. ``["gentle", "standard"]``."""
    files = importlib.resources.files("onward.plans").iterdir()
    return sorted(f.name.removesuffix(".yaml") for f in files if f.name.endswith(".yaml"))


def shipped_plan_source(name: str) -> str:
    if name not in shipped_plan_names():
        known = ", ".join(shipped_plan_names())
        raise LookupError(f"no shipped plan named {name!r}; shipped plans: {known}")
    return importlib.resources.files("onward.plans").joinpath(f"{name}.yaml").read_text("utf-8")


def load_shipped_plan(name: str) -> Plan:
    return load_plan(shipped_plan_source(name), f"{name}.yaml")

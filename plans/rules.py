"""Plans that adapt: a plan's `when:` rules, and the pure choice of the plan REJECTED starts.

A plan may say when it fits someone better than the default plan:

    when:
      rejections_in_30_days: ">= 3"        # >=, >, <=, <, == or = and a whole number
      role_matches: "engineer|developer"   # a regular expression, case ignored, over the role
      country: [GB, IE]                    # the person's country (ISO 3166 codes)

The operator puts such plans in an order (`onward plans order`); a REJECTED takes the first
whose rules all hold, else the default plan. `choose` is that decision over plain values, and
says why, rule by rule, so `onward plans preview --phone` can show it.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer, PlainValidator, model_validator

_COMPARISON = re.compile(r"\s*(>=|<=|==|=|>|<)\s*(\d{1,6})\s*")
_OPERATORS: dict[str, Callable[[int, int], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "=": operator.eq,
}
_COUNTRY = re.compile(r"[A-Za-z]{2}")
RULE_NAMES = ("rejections_in_30_days", "role_matches", "country")


@dataclass(frozen=True)
class Comparison:
    op: str
    number: int

    def holds(self, value: int) -> bool:
        return _OPERATORS[self.op](value, self.number)

    def __str__(self) -> str:
        return f"{self.op} {self.number}"


def parse_comparison(text: str) -> Comparison:
    match = _COMPARISON.fullmatch(text)
    if match is None:
        raise ValueError(
            f"{text!r} is not a comparison: write one of >=, >, <=, <, ==, = and a whole "
            'number, such as ">= 3"'
        )
    return Comparison(match[1], int(match[2]))


def _to_comparison(value: object) -> Comparison | None:
    if value is None or isinstance(value, Comparison):
        return value
    if isinstance(value, str):
        return parse_comparison(value)
    raise ValueError(f'write the comparison in quotes, such as ">= 3", not {value!r}')


def _to_pattern(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(
            f'expected a regular expression such as "engineer|developer", not {value!r}'
        )
    if not value.strip():
        raise ValueError("must not be empty")
    try:
        re.compile(value, re.IGNORECASE)
    except re.error as error:
        raise ValueError(f"not a valid regular expression: {error}") from None
    return value


def _to_countries(value: object) -> list[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ValueError(f"expected a list of country codes such as [GB, IE], not {value!r}")
    if not items:
        raise ValueError("list at least one country code, such as [GB, IE]")
    codes = []
    for item in items:
        if isinstance(item, bool):
            # YAML 1.1 reads the bare codes NO (Norway) and others as true or false.
            raise ValueError(f"YAML read a code as {str(item).lower()}: quote it, as in ['NO']")
        if not isinstance(item, str) or not _COUNTRY.fullmatch(item):
            raise ValueError(f"{item!r} is not a two-letter country code (ISO 3166, e.g. GB)")
        codes.append(item.upper())
    return list(dict.fromkeys(codes))


ComparisonValue = Annotated[
    Comparison | None,
    PlainValidator(_to_comparison),
    PlainSerializer(lambda c: None if c is None else str(c), return_type=str | None),
]
PatternValue = Annotated[str | None, PlainValidator(_to_pattern)]
CountriesValue = Annotated[list[str] | None, PlainValidator(_to_countries)]


class When(BaseModel):
    """The rules a plan fits; every one given must hold."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    rejections_in_30_days: ComparisonValue = None
    role_matches: PatternValue = None
    country: CountriesValue = None

    @model_validator(mode="after")
    def _some_rule(self) -> When:
        if self.rejections_in_30_days is None and self.role_matches is None and not self.country:
            raise ValueError(f"give at least one rule: {', '.join(RULE_NAMES)}")
        return self

    def describe(self) -> list[str]:
        """Each rule as one short line, in the order of RULE_NAMES."""
        found = []
        if self.rejections_in_30_days is not None:
            found.append(f"rejections_in_30_days {self.rejections_in_30_days}")
        if self.role_matches is not None:
            found.append(f"role_matches {self.role_matches!r}")
        if self.country:
            found.append(f"country {', '.join(self.country)}")
        return found


@dataclass(frozen=True)
class Facts:
    """What the rules are checked against: the rejections of the last 30 days (the new one
    included), the new rejection's role, and the person's country (None when unknown)."""

    rejections_in_30_days: int
    role: str = ""
    country: str | None = None


@dataclass(frozen=True)
class RuleCheck:
    rule: str
    value: str | list[str]  # as the plan gives it
    actual: int | str | None  # the person's fact
    ok: bool

    @property
    def reason(self) -> str:
        if self.rule == "rejections_in_30_days":
            plural = "" if self.actual == 1 else "s"
            held = "" if self.ok else "not "
            return f"{self.actual} rejection{plural} in 30 days ({held}{self.value})"
        if self.rule == "role_matches":
            verb = "matches" if self.ok else "does not match"
            return f"role {self.actual!r} {verb} {self.value!r}"
        where = ", ".join(self.value)
        return f"country {self.actual or 'unknown'} {'in' if self.ok else 'not in'} {where}"

    def as_json(self) -> dict[str, object]:
        return {"rule": self.rule, "value": self.value, "actual": self.actual, "ok": self.ok}


@dataclass(frozen=True)
class PlanCheck:
    plan: str
    matched: bool
    rules: tuple[RuleCheck, ...]  # empty: the plan has no rules, so the order passes it over

    def as_json(self) -> dict[str, object]:
        return {
            "plan": self.plan,
            "matched": self.matched,
            "rules": [rule.as_json() for rule in self.rules],
        }


@dataclass(frozen=True)
class Choice:
    plan: str
    because: tuple[str, ...]
    checked: tuple[PlanCheck, ...]
    by_rules: bool  # False: the fallback (the default plan)

    def as_json(self) -> dict[str, object]:
        return {
            "plan": self.plan,
            "because": list(self.because),
            "checked": [check.as_json() for check in self.checked],
        }


def check_rules(when: When, facts: Facts) -> tuple[RuleCheck, ...]:
    """Every rule of `when` against `facts`, in the order of RULE_NAMES."""
    checks = []
    if when.rejections_in_30_days is not None:
        count = facts.rejections_in_30_days
        held = when.rejections_in_30_days.holds(count)
        checks.append(
            RuleCheck("rejections_in_30_days", str(when.rejections_in_30_days), count, held)
        )
    if when.role_matches is not None:
        held = re.search(when.role_matches, facts.role, re.IGNORECASE) is not None
        checks.append(RuleCheck("role_matches", when.role_matches, facts.role, held))
    if when.country:
        country = facts.country.upper() if facts.country else None
        checks.append(RuleCheck("country", list(when.country), country, country in when.country))
    return tuple(checks)


def choose(ordered: Sequence[tuple[str, When | None]], facts: Facts, fallback: str) -> Choice:
    """The first plan of `ordered` whose rules all hold, else `fallback`; and why."""
    checked: list[PlanCheck] = []
    for name, when in ordered:
        rules = check_rules(when, facts) if when is not None else ()
        matched = bool(rules) and all(rule.ok for rule in rules)
        checked.append(PlanCheck(name, matched, rules))
        if matched:
            because = tuple(f"{name}: {rule.reason}" for rule in rules)
            return Choice(name, because, tuple(checked), by_rules=True)
    why = "no plan in the order matched" if checked else "no plan is in the order"
    return Choice(fallback, (why, f"{fallback} is the default plan"), tuple(checked), False)

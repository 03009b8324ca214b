"""A plan's texts in several languages: which languages exist, and the rules a translation keeps.

A plan may declare `languages: [en, es, fr]`; the first is its source language, the one its
`text` and `subject` fields are written in (`[en]` when it declares none). Every text then
carries its other languages beside it: `translations: {es: ..., fr: ...}` for a step's, a
reminder's or a variant's `text`, and `subject_translations` for a `subject`.

A translation is held to its source text: it exists for every declared language (and for no
other), it uses the same template variables, and it names the same commands (REPLY DONE stays
DONE: people type commands in English whatever their language). The checks run on the raw YAML
data (so the loader can name each field's line) and on a plan built in code alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from onward.plans.keywords import OPT_OUT_KEYWORDS, REJECT_KEYWORDS, RESERVED_WORDS
from onward.plans.sms import sms_segments
from onward.plans.templates import TemplateRenderError, check_template, render, sample_context

LANGUAGES = ("en", "es", "fr")  # the languages onward speaks (engine/language.py)
SOURCE_LANGUAGE = "en"  # of a plan that declares none
# Each text field and the field that carries its translations.
TRANSLATED_FIELDS = (("text", "translations"), ("subject", "subject_translations"))
MAX_VARIANT_SEGMENTS = 3  # as experiments.py holds a variant's own text

Loc = tuple[str | int, ...]
_COMMANDS = frozenset({*RESERVED_WORDS, *REJECT_KEYWORDS, *OPT_OUT_KEYWORDS})
_UPPER_WORD = re.compile(r"\b[A-Z]{2,}\b")
_PARSER = ImmutableSandboxedEnvironment()  # only to read which variables a template uses


def check_language(code: str) -> str:
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}; onward speaks {', '.join(LANGUAGES)}")
    return code


def translation_problems(plan: Mapping[Any, Any]) -> list[tuple[Loc, str]]:
    """Every broken rule of a plan's translations, as (location, message) pairs."""
    languages = plan.get("languages", [SOURCE_LANGUAGE])
    if not isinstance(languages, list) or not languages:
        return []
    found: list[tuple[Loc, str]] = []
    repeated = sorted({code for code in languages if languages.count(code) > 1}, key=str)
    if repeated:
        found.append((("languages",), f"each language once, please ({repeated[0]} is given twice)"))
    declared = [code for code in languages if isinstance(code, str)]
    steps = plan.get("steps")
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, Mapping):
            for holder, loc in _holders(step, ("steps", index)):
                found += _holder_problems(holder, loc, declared, variant="variants" in loc)
    return found


def _holders(step: Mapping[Any, Any], loc: Loc) -> Iterator[tuple[Mapping[Any, Any], Loc]]:
    """The step, its reminder and each variant: everything that has a text."""
    yield step, loc
    reminder = step.get("reminder")
    if isinstance(reminder, Mapping):
        yield reminder, (*loc, "reminder")
    variants = step.get("variants")
    for index, variant in enumerate(variants if isinstance(variants, list) else []):
        if isinstance(variant, Mapping):
            yield variant, (*loc, "variants", index)


def _holder_problems(
    holder: Mapping[Any, Any], loc: Loc, languages: list[str], variant: bool
) -> list[tuple[Loc, str]]:
    source, others = languages[0], languages[1:]
    found: list[tuple[Loc, str]] = []
    for field, key in TRANSLATED_FIELDS:
        base, given = holder.get(field), holder.get(key)
        given = given if isinstance(given, Mapping) else {}
        if base is None and given:
            found.append(((*loc, key), f"translates a {field} the step does not have"))
            continue
        for code in given:
            if code == source:
                message = f"{code} is the plan's source language: its text is `{field}` itself"
                found.append(((*loc, key, code), message))
            elif code not in others:
                message = (
                    f"{code} is not one of the plan's languages ({', '.join(languages)}); "
                    "add it to languages or remove this translation"
                )
                found.append(((*loc, key, code), message))
        if not isinstance(base, str):
            continue
        for code in others:
            text = given.get(code)
            if text is None:
                message = (
                    f"missing the {code} translation of {field} "
                    f"(the plan's languages: {', '.join(languages)})"
                )
                found.append(((*loc, key), message))
            elif isinstance(text, str):
                problems = _against_source(base, text, source, variant and field == "text")
                found += [((*loc, key, code), problem) for problem in problems]
    return found


def _against_source(base: str, text: str, source: str, variant: bool) -> list[str]:
    own = check_template(text)
    if own:
        return own
    mine, theirs = template_variables(text), template_variables(base)
    problems = []
    if theirs is not None and mine != theirs:
        problems.append(
            f"uses {_names(mine)} but the {source} text uses {_names(theirs)}: "
            "a translation says the same things"
        )
    lost = sorted(_commands(base) - _commands(text))
    if lost:
        problems.append(
            f"drops {', '.join(lost)}, which the {source} text tells people to send "
            "(commands stay in English in every language)"
        )
    if variant:
        try:
            length = sms_segments(render(text, sample_context()))
        except TemplateRenderError:  # reported by check_template
            return problems
        if length.segments > MAX_VARIANT_SEGMENTS:
            problems.append(
                f"is {length.segments} SMS parts with a sample company and role; a variant "
                f"may use at most {MAX_VARIANT_SEGMENTS}"
            )
    return problems


def template_variables(source: str) -> frozenset[str] | None:
    """The variables a template reads, or None when it does not parse."""
    try:
        return frozenset(meta.find_undeclared_variables(_PARSER.parse(source)))
    except TemplateSyntaxError:
        return None


def _commands(text: str) -> set[str]:
    return {word for word in _UPPER_WORD.findall(text) if word in _COMMANDS}


def _names(variables: frozenset[str] | None) -> str:
    return ", ".join(sorted(variables or ())) or "no variables"

"""Check a plan for errors and for what would hurt its readers: long texts, odd blanks.

Errors make a plan unusable (``load_plan`` raises on them). Warnings never do; they point at
texts that render, with a longish sample company and role and the opt-out footer onward may add,
to more than three SMS parts; texts that need UCS-2 (a curly quote or an emoji halves what fits
in one SMS); and texts that read awkwardly when the person named no company or role. A text need
not say how to stop: onward adds that itself (to a plan's first message, then at most weekly).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from onward.plans.issues import Loc, PlanIssue, field_name
from onward.plans.loader import parse_plan
from onward.plans.schema import Plan, Reminder, Step
from onward.plans.sms import non_gsm7_chars, sms_segments_with_footer
from onward.plans.templates import TemplateRenderError, render, sample_context

MAX_SMS_SEGMENTS = 3
# Signs of a blank where a company or role was meant to be: "at .", "the  role", "()".
_AWKWARD = re.compile(r" [.,;:!?)]|\S  +\S|\(\s*\)|''|\"\"")
# French sets a space before ; : ! ? (and writes "Bonjour !"): only the rest is odd there.
_AWKWARD_FR = re.compile(r" [.,)]|\S  +\S|\(\s*\)|''|\"\"")


@dataclass(frozen=True, slots=True)
class ValidationReport:
    plan: Plan | None
    errors: list[PlanIssue]
    warnings: list[PlanIssue]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def issues(self) -> list[PlanIssue]:
        """Errors then warnings, as ``onward plans validate`` prints them."""
        return [*self.errors, *self.warnings]


def validate_plan(text: str, source: str = "<plan>") -> ValidationReport:
    parsed = parse_plan(text, source)
    if parsed.plan is None:
        return ValidationReport(None, parsed.errors, [])
    warnings = [
        PlanIssue(source, parsed.lines.line_of(loc), field_name(loc), message)
        for loc, message in _warnings(parsed.plan)
    ]
    return ValidationReport(parsed.plan, [], warnings)


def _texts(step: Step, index: int, source: str) -> Iterator[tuple[Loc, str, str]]:
    """Each text a person may receive with its location and language, translations too."""
    loc: Loc = ("steps", index)
    holders: list[tuple[Loc, Step | Reminder]] = [(loc, step)]
    if step.reminder is not None:
        holders.append(((*loc, "reminder"), step.reminder))
    for where, holder in holders:
        yield (*where, "text"), holder.text, source
        for lang, text in holder.translations.items():
            yield (*where, "translations", lang), text, lang


def _warnings(plan: Plan) -> Iterator[tuple[Loc, str]]:
    goal = plan.apply_goal
    full = sample_context(plan=plan.name, goal=goal)
    bare = sample_context(plan=plan.name, goal=goal, company="", role="", applied=0)
    for index, step in enumerate(plan.steps):
        for loc, source, lang in _texts(step, index, plan.languages[0]):
            try:
                text, blank_text = render(source, full), render(source, bare)
            except TemplateRenderError as error:  # checked by the loader; kept for safety
                yield loc, f"does not render: {error}"
                continue
            warned = text_warnings(text, blank_text, lang, letters_allowed=lang != "en")
            yield from ((loc, message) for message in warned)


def text_warnings(
    text: str, blank_text: str, lang: str = "en", letters_allowed: bool = False
) -> list[str]:
    """Warnings about one rendered text; ``blank_text`` is it rendered with no company or role.
    With `letters_allowed`, the letters of a language other than English (é, ñ, ç) are not
    flagged: they cost SMS length, which the count of parts says, but spelling needs them."""
    found: list[str] = []
    length = sms_segments_with_footer(text, lang)
    if length.segments > MAX_SMS_SEGMENTS:
        found.append(
            f"is {length.segments} SMS parts ({length.chars} {length.encoding} characters with "
            f"a sample company and role and onward's opt-out footer); keep it to "
            f"{MAX_SMS_SEGMENTS} or fewer"
        )
    odd = [c for c in non_gsm7_chars(text) if not (letters_allowed and _is_letter(c))]
    if odd:
        shown = " ".join(repr(char) for char in odd[:5])
        found.append(
            f"uses {shown}, outside the SMS alphabet, so an SMS holds 70 characters instead of "
            "160; plain ASCII quotes and dashes avoid that"
        )
    odd_blank = _AWKWARD_FR if lang == "fr" else _AWKWARD
    awkward = odd_blank.search(blank_text)
    if awkward and not odd_blank.search(text):
        around = blank_text[max(awkward.start() - 20, 0) : awkward.end() + 20].replace("\n", " ")
        found.append(
            f"reads oddly when no company or role was given ('...{around}...'); "
            'try e.g. {{ company or "the company" }} or {% if company %}...{% endif %}'
        )
    return found


def _is_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L")

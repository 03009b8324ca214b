"""The types of a plan's fields: names, step ids, keywords, texts, languages, offsets and windows,
each checked as it is read (pydantic validators), whatever model holds it."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer, PlainValidator

from onward.plans.keywords import RESERVED_WORDS
from onward.plans.translations import check_language
from onward.plans.values import Due, SendWindow, parse_due, parse_window

# Steps onward adds to a run by itself, rendered at send time: no plan may use their ids.
RESERVED_STEP_IDS = {
    "interview_prep": "the prep nudge before an interview",
    "apply_slot": "the nudge at the time a person chose to apply",
}


def _pattern(regex: str, what: str) -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not a valid {what}")
        return value

    return AfterValidator(check)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _keyword(value: str) -> str:
    word = value.strip().upper()
    if not re.fullmatch(r"[A-Z][A-Z0-9]{1,19}", word):
        raise ValueError(f"{value!r} is not a keyword: use one word of 2-20 letters or digits")
    if word in RESERVED_WORDS:
        raise ValueError(f"{word!r} is a text command and cannot start a plan")
    return word


def _not_reserved(value: str) -> str:
    if value in RESERVED_STEP_IDS:
        raise ValueError(
            f"{value!r} is onward's own step ({RESERVED_STEP_IDS[value]}); name yours otherwise"
        )
    return value


def _to_due(value: object) -> Due:
    if isinstance(value, Due):
        return value
    if isinstance(value, str):
        return parse_due(value)
    raise ValueError(f"expected an offset such as 0m, 36h or '2d at 18:00', not {value!r}")


def _to_window(value: object) -> SendWindow | None:
    if value is None or isinstance(value, SendWindow):
        return value
    if isinstance(value, str):
        return parse_window(value)
    raise ValueError(f"expected a window such as '09:00-20:00', not {value!r}")


Name = Annotated[str, _pattern(r"[a-z0-9][a-z0-9-]{0,39}", "name: use a-z, 0-9 and -")]
StepId = Annotated[
    str,
    _pattern(r"[a-z0-9_]{1,40}", "step id: use a-z, 0-9 and _"),
    AfterValidator(_not_reserved),
]
Text = Annotated[str, AfterValidator(_not_blank)]
Keyword = Annotated[str, AfterValidator(_keyword)]
Language = Annotated[str, AfterValidator(check_language)]
# A text's other languages, by code (plans.translations holds them to their source text).
Translations = dict[Language, Text]
DueValue = Annotated[Due, PlainValidator(_to_due), PlainSerializer(str, return_type=str)]
WindowValue = Annotated[
    SendWindow | None,
    PlainValidator(_to_window),
    PlainSerializer(lambda w: None if w is None else str(w), return_type=str | None),
]

"""What people are told when they join: the carriers' required disclosures, their version, and the
message frequency worked out from a plan. Pure: values in, text out.

Carriers (10DLC campaign registration, CTIA) ask that the first message name the program, say
what the messages are and how often they come, that "Msg & data rates may apply", and how to
get HELP and to STOP. The consent ledger records which version of this wording a person had
seen: change the wording, change DISCLOSURE_VERSION (a unit test holds the two together).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

from onward.plans import Plan

DISCLOSURE_VERSION = "2026-12-05.1"
WELCOME_PLAN = "welcome"
RATES = "Msg & data rates may apply."
PROGRAM_DESCRIPTION = (
    "kind, short text or email nudges that help job seekers bounce back after a job "
    "rejection: reflect, ask for feedback, learn who got the job, and keep applying"
)


@dataclass(frozen=True)
class Frequency:
    """At most `messages` nudges (reminders included) over `days` days, per rejection."""

    messages: int
    days: int

    @property
    def text(self) -> str:
        weeks = max(1, math.ceil(self.days / 7))
        span = f"{weeks} wk{'s' if weeks != 1 else ''}"
        return f"Up to {self.messages} msgs over {span} after each rejection you report"


def frequency(plan: Plan) -> Frequency:
    """How many messages one rejection brings at most, and over how many days."""
    messages = sum(1 + (step.reminder is not None) for step in plan.steps)
    last = 0.0
    for step in plan.steps:
        due = step.due.days + step.due.delta.total_seconds() / 86400
        if step.reminder is not None:
            reminder = step.reminder.after
            due += reminder.days + reminder.delta.total_seconds() / 86400
        last = max(last, due)
    return Frequency(messages=messages, days=max(1, math.ceil(last)))


def plain_program_name(name: str) -> str:
    # The program's name goes into a template: no braces, so it can never be read as one.
    return " ".join(name.replace("{", "").replace("}", "").replace("%", "").split())[:60]


def welcome_text(program: str, how_often: Frequency) -> str:
    """The one message an imported person gets: every disclosure carriers require."""
    return (
        f"{plain_program_name(program)}: you're signed up for kind, short texts to help you "
        f"bounce back after a job rejection. {how_often.text}, none otherwise. {RATES} "
        "Text REJECTED <company> when one comes. Reply HELP for help, STOP to end."
    )


def welcome_plan_source(
    program: str,
    how_often: Frequency,
    translations: Mapping[str, tuple[str, str]] | None = None,
) -> str:
    """The YAML of the one-step plan that carries the welcome through the dispatcher (the send
    window, opt-out and every guard apply); the same wording again adds no new version.
    `translations` gives the welcome's (text, subject) in other languages, by code."""
    text = welcome_text(program, how_often)
    subject = f"Welcome to {plain_program_name(program)}"
    others = dict(translations or {})
    lines = [
        "# Written by onward for imported people: one welcome with the carriers' disclosures.",
        f"name: {WELCOME_PLAN}",
        "description: The one message people enrolled by an import get, until they report a "
        "rejection.",
    ]
    if others:
        lines.append(f"languages: {json.dumps(['en', *others])}")
    lines += [
        "steps:",
        "  - id: welcome",
        "    kind: message",
        "    due: 0m",
        f"    subject: {json.dumps(subject)}",
    ]
    if others:
        lines.append("    subject_translations:")
        lines += [f"      {lang}: {json.dumps(pair[1])}" for lang, pair in others.items()]
    lines.append(f"    text: {json.dumps(text)}")
    if others:
        lines.append("    translations:")
        lines += [f"      {lang}: {json.dumps(pair[0])}" for lang, pair in others.items()]
    return "\n".join(lines) + "\n"

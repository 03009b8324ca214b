"""The campaign registration pack (`onward compliance pack`): what a carrier's 10DLC form asks,
written from what onward actually sends (the plan's texts, the replies, the welcome), so the
registration and the behaviour can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from onward.engine import replies
from onward.engine.render import StepFacts, render_facts, step_source
from onward.engine.storage.models import Person
from onward.plans import Plan, SendWindow
from onward.plans.disclosures import (
    DISCLOSURE_VERSION,
    PROGRAM_DESCRIPTION,
    RATES,
    frequency,
    welcome_text,
)
from onward.plans.keywords import (
    OPT_IN_KEYWORDS,
    OPT_OUT_KEYWORDS,
    OPT_OUT_KEYWORDS_ES_FR,
    WHOLE_MESSAGE,
)

HELP_KEYWORDS = tuple(word for word, intent in WHOLE_MESSAGE.items() if intent == "help")
# A made-up person and rejection, to show each text as someone would read it.
SAMPLE = {"company": "Acme", "role": "Data Analyst", "timezone": "America/New_York"}


@dataclass(frozen=True)
class PackInputs:
    program: str  # the operator's name, as HELP gives it
    help_text: str | None  # the operator's own HELP answer, if set
    default_window: SendWindow
    privacy_policy_url: str | None
    keywords: tuple[str, ...]  # every word that starts a plan


def build(plan: Plan, inputs: PackInputs, now: datetime) -> dict[str, Any]:
    how_often = frequency(plan)
    window = str(plan.window or inputs.default_window)
    pack: dict[str, Any] = {
        "program": inputs.program,
        "plan": plan.name,
        "description": f"{inputs.program}: {PROGRAM_DESCRIPTION}.",
        "message_frequency": f"{how_often.text}; nothing otherwise.",
        "messages_per_rejection": how_often.messages,
        "days_per_rejection": how_often.days,
        "quiet_hours": f"only between {window} in the recipient's local time",
        "rates_disclosure": RATES,
        "opt_in": {
            "texting_in": (
                f"The person texts {' or '.join(inputs.keywords)} <company> to the number. "
                "Their first reply names the program and says how to pause or stop."
            ),
            "import": (
                "An organisation enrols people who consented (career services sign-up form, "
                "recorded with its source and date) with `onward people import`. Each gets one "
                "welcome message and nothing else until they text a rejection."
            ),
            "welcome_message": welcome_text(inputs.program, how_often),
            "keywords": list(inputs.keywords),
        },
        "opt_out": {
            "keywords": sorted(OPT_OUT_KEYWORDS),
            "keywords_es_fr": sorted(OPT_OUT_KEYWORDS_ES_FR),
            "also": (
                "any sentence a reasonable person reads as stop (FCC 24-18), in English, "
                "Spanish or French"
            ),
            "reply": replies.opted_out("en"),
        },
        "opt_back_in": {
            "keywords": list(OPT_IN_KEYWORDS),
            "reply": replies.opted_in("en", replies.next_line("en", "feedback_ask", "Tue 10:00")),
        },
        "help": {
            "keywords": list(HELP_KEYWORDS),
            "reply": inputs.help_text or replies.help_text("en", inputs.program),
        },
        "sample_messages": sample_messages(plan, now),
        "privacy_policy_url": inputs.privacy_policy_url,
        "disclosure_version": DISCLOSURE_VERSION,
        "missing": [] if inputs.privacy_policy_url else ["ONWARD_PRIVACY_POLICY_URL"],
    }
    return pack


def sample_messages(plan: Plan, now: datetime) -> list[dict[str, str]]:
    person = Person(
        timezone=SAMPLE["timezone"], preferred_medium="sms", phone="+12125550100", email=None
    )
    samples = []
    for step in plan.steps:
        facts = StepFacts(step.id, False, now, SAMPLE["company"], SAMPLE["role"], 0)
        source, _ = step_source(plan, step.id, False)
        text = render_facts(source, facts, plan, person, now, {})
        samples.append({"step": step.id, "kind": step.kind, "due": step.due.raw, "text": text})
    return samples


def to_markdown(pack: dict[str, Any]) -> str:
    policy = pack["privacy_policy_url"] or "**not set**: set `ONWARD_PRIVACY_POLICY_URL`"
    opt_in, opt_out, help_ = pack["opt_in"], pack["opt_out"], pack["help"]
    lines = [
        f"# Campaign registration: {pack['program']} ({pack['plan']} plan)",
        "",
        "## Campaign description",
        "",
        pack["description"],
        "",
        "## Message frequency",
        "",
        f"{pack['message_frequency']} Messages go out {pack['quiet_hours']}.",
        "",
        "## Opt-in flow",
        "",
        f"- **Texting in**: {opt_in['texting_in']}",
        f"- **Enrolment with recorded consent**: {opt_in['import']}",
        f"- **Welcome message** (imports): {opt_in['welcome_message']}",
        "",
        "## Opt-out",
        "",
        f"Keywords: {', '.join(opt_out['keywords'])}; {opt_out['also']}.",
        "",
        f"In Spanish and French too: {', '.join(opt_out['keywords_es_fr'])}.",
        "",
        f"Reply: {opt_out['reply']}",
        "",
        f"Opt back in with {', '.join(pack['opt_back_in']['keywords'])}: "
        f"{pack['opt_back_in']['reply']}",
        "",
        "## Help",
        "",
        f"Keywords: {', '.join(help_['keywords'])}.",
        "",
        f"Reply: {help_['reply']}",
        "",
        "## Sample messages",
        "",
        *[
            f"{i}. " + s["text"].replace("\n", "\n   ")
            for i, s in enumerate(pack["sample_messages"], start=1)
        ],
        "",
        "## Disclosures",
        "",
        f"- {pack['rates_disclosure']}",
        f"- Privacy policy: {policy}",
        f"- Disclosure wording version: {pack['disclosure_version']}",
        "",
    ]
    return "\n".join(lines)

"""`onward demo --story`: one person, two rejections and an interview, in about a minute.

Everything a newcomer should see happens to one person in San Francisco: a rejection told in
plain words, a plan that answers it, their reflections kept in the journal, a time they set for
their first application, a second rejection that replaces the first plan, an interview whose
prep nudge the evening before quotes what they wrote, and their journal sent back to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from onward.engine.cli.demo_world import ZONE, DemoWorld
from onward.engine.storage.models import Step


@dataclass(frozen=True)
class Beat:
    day: int  # days after the first rejection's day, in the person's zone
    at: time  # local time
    text: str


STORY = (
    Beat(0, time(14, 30), "Got rejected from Acme today. Honestly gutted."),
    Beat(9, time(11, 5), "Globex rejected me for the data analyst role"),
    Beat(13, time(9, 10), "INTERVIEW Initech thursday 3pm"),
    Beat(16, time(17, 45), "It went well I think! They liked the dashboard story."),
    Beat(17, time(8, 40), "JOURNAL"),
    Beat(20, time(12, 0), "OFFER"),
)

# What the person writes back to each kind of prompt, in order: their words are what the prep
# nudge brings back before the interview.
ANSWERS = {
    "reflect": [
        "The technical round went well, but I rushed the salary question. "
        "Next time I'll slow down and ask about the team first.",
        "Globex moved fast and I was tired. I talked too long about tools.",
    ],
    "feedback_ask": [
        "They said my SQL was strong but I showed too little work with stakeholders.",
        "DONE",
    ],
    "research": ["The person they hired had led a small team and knew dbt well.", "DONE"],
    "apply": ["tomorrow 10am", "APPLIED 1"],
    # The one-off nudge at the time they set themselves.
    "apply_slot": ["APPLIED 2"],
}


def tell_story(world: DemoWorld, pace: float) -> None:
    console = world.console
    console.rule("onward demo --story: two rejections and an interview, time compressed")
    answers = {kind: list(lines) for kind, lines in ANSWERS.items()}
    start = world.clock.now().astimezone(ZONE).date()
    for beat in STORY:
        moment = datetime.combine(start + timedelta(days=beat.day), beat.at, ZONE)
        _live_until(world, pace, moment, answers)
        world.clock.set(max(moment, world.clock.now()))
        world.text(beat.text)
    _live_until(world, pace, world.clock.now() + timedelta(days=10), answers)
    console.rule("done: the journal kept every answer; STOP would have ended it all at once")


def _live_until(
    world: DemoWorld, pace: float, limit: datetime, answers: dict[str, list[str]]
) -> None:
    """Deliver what falls due before `limit`, answering prompts as the person would."""
    while (sent := world.deliver_next(pace, before=limit)) is not None:
        for step in sent:
            reply = _answer(step, answers)
            if reply is not None:
                world.clock.advance(timedelta(minutes=40))
                world.text(reply)


def _answer(step: Step, answers: dict[str, list[str]]) -> str | None:
    lines = answers.get(step.step_key) or answers.get(step.kind)
    return lines.pop(0) if lines else None

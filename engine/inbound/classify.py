"""The pure classifier: what a person wrote, and the state of their conversation, as one intent.

The precedence (the design's "Understanding people"), first match wins:

1. crisis: words of crisis (`crisis.detect_crisis`, subject included) come before anything;
   if the words also read as an opt-out, both are honoured.
2. opt-out intent: a stop keyword with only courtesy round it, or a revocation phrase anywhere
   (`revocation`): always, whatever else the message says or whatever is open.
3. an explicit command (`commands`): YES re-subscribes only someone opted out; otherwise it is an
   answer like any other word. Then a human asked for in a sentence (`human_asks`), as COACH,
   and a pause asked for in one (`pause_words`), as PAUSE.
4. a rejection told in ordinary words (`reports`). While a plan runs, one needs a company other
   than the plan's own ("I think they rejected me because..." answers the reflection instead).
   Then a milestone told in a sentence (`milestone_words`: applications, an offer, an interview).
5. an answer to the open prompt: kept under that prompt.
6. a note: anything else (kept in the journal of someone with a plan; a picture with no words
   gets a kind line).

An email's command may be its subject or its first line: each is read in turn, then the body.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from onward.engine.crisis import DEFAULT_CRISIS_PHRASES, detect_crisis
from onward.engine.inbound.commands import parse_command
from onward.engine.inbound.human_asks import asks_for_a_human
from onward.engine.inbound.intents import (
    Answer,
    AskCoach,
    Crisis,
    Free,
    Intent,
    Note,
    OptIn,
    OptOut,
    Pause,
    Picture,
    Rejected,
)
from onward.engine.inbound.milestone_words import milestone_said
from onward.engine.inbound.pause_words import pause_asked
from onward.engine.inbound.reports import rejection_report
from onward.engine.inbound.revocation import opt_out_reading, starts_with_stop_word
from onward.engine.inbound.words import normalise, stripped

# YES is an opt-in keyword only for someone opted out; START and UNSTOP always are.
_ANSWER_UNLESS_OPTED_OUT = frozenset({"YES"})


@dataclass(frozen=True)
class State:
    """What the classifier needs to know of the conversation."""

    opted_out: bool = False  # on the medium the message came by
    plan_running: bool = False
    prompt_open: bool = False
    company: str = ""  # the running plan's company: a report of it again is not a new one


@dataclass(frozen=True)
class Vocabulary:
    """The words the operator adds: plans' trigger keywords and crisis phrases."""

    plan_keywords: tuple[str, ...] = ()
    crisis_phrases: tuple[str, ...] = DEFAULT_CRISIS_PHRASES


@dataclass(frozen=True)
class Said:
    """A message as written: its body, an email's subject, and how many pictures came with it."""

    body: str
    subject: str = ""
    email: bool = False
    attachments: int = 0

    def candidates(self) -> list[str]:
        """Where a command may be: an email's subject, then its first line, then the body."""
        if not self.email:
            return [self.body]
        first_line = next((ln for ln in self.body.splitlines() if ln.strip()), "")
        return [text for text in (self.subject, first_line) if text.strip()] + [self.body]


def classify(said: Said, state: State, words: Vocabulary = Vocabulary()) -> Intent:
    body = stripped(said.body)
    if detect_crisis(f"{said.subject}\n{said.body}", words.crisis_phrases) is not None:
        return Crisis(body, opt_out=any(opt_out_reading(normalise(t)) for t in said.candidates()))
    norms = [normalise(text) for text in said.candidates()]
    for norm in norms:
        reading = opt_out_reading(norm)
        if reading is not None:
            return OptOut(reading)
    for text in said.candidates():
        command = parse_command(text, words.plan_keywords)
        yes_as_answer = isinstance(command, OptIn) and command.keyword in _ANSWER_UNLESS_OPTED_OUT
        if not isinstance(command, Free) and not (yes_as_answer and not state.opted_out):
            return command
    if body and any(asks_for_a_human(norm) for norm in norms):
        return AskCoach(body)
    for norm in norms:
        pause = pause_asked(norm)
        if pause is not None:
            return replace(pause, text=body) if isinstance(pause, Pause) else pause
    reports = [report for report in map(rejection_report, norms) if report is not None]
    for report in reports:
        if _a_new_rejection(report, state):
            return Rejected(company=report[0], role=report[1], keyword="REJECTED")
    # A sentence that tells of a rejection is no milestone, even one already counted.
    for norm in norms if not reports else ():
        milestone = milestone_said(norm)
        if milestone is not None:
            return replace(milestone, text=body)
    if not body and said.attachments:
        return Picture()
    maybe_stop = starts_with_stop_word(norms[-1])
    if state.prompt_open and body:
        return Answer(body, maybe_stop)
    return Note(body, maybe_stop)


def classify_text(text: str, state: State = State(), words: Vocabulary = Vocabulary()) -> Intent:
    """`classify` of an SMS body: the short form the tables of tests use."""
    return classify(Said(text), state, words)


def _a_new_rejection(report: tuple[str, str], state: State) -> bool:
    company = report[0]
    if not state.plan_running:
        return True
    return bool(company) and company.casefold() != state.company.casefold()

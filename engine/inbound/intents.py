"""What a person meant, as plain values: the intents the classifier gives and the handlers take.

Each has a `name`, the label of the metrics and of the stored message's `command`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar, TypeAlias


@dataclass(frozen=True)
class Crisis:
    """Words of crisis: duty of care before anything else. `text` is kept like any reply."""

    name: ClassVar[str] = "crisis"
    text: str
    opt_out: bool = False  # it also read as an opt-out ("stop, i wanna die"): both are honoured


@dataclass(frozen=True)
class OptOut:
    name: ClassVar[str] = "opt_out"
    keyword: str  # the keyword, or the phrase that revoked consent ("STOP TEXTING")


@dataclass(frozen=True)
class OptIn:
    name: ClassVar[str] = "opt_in"
    keyword: str


@dataclass(frozen=True)
class Help:
    name: ClassVar[str] = "help"


@dataclass(frozen=True)
class Automated:
    """ "Is this a bot?": answered plainly, with how to reach a person."""

    name: ClassVar[str] = "automated"


@dataclass(frozen=True)
class Rejected:
    name: ClassVar[str] = "rejected"
    company: str
    role: str
    keyword: str  # the plan keyword, or REJECTED for a rejection told in ordinary words


@dataclass(frozen=True)
class Pause:
    name: ClassVar[str] = "pause"
    duration: timedelta
    text: str = ""  # asked in a sentence (pause_words): its words, to keep


@dataclass(frozen=True)
class Resume:
    name: ClassVar[str] = "resume"


@dataclass(frozen=True)
class Done:
    name: ClassVar[str] = "done"


@dataclass(frozen=True)
class Applied:
    name: ClassVar[str] = "applied"
    count: int
    text: str = ""  # told in a sentence (milestone_words): its words, to keep


@dataclass(frozen=True)
class Next:
    name: ClassVar[str] = "next"


@dataclass(frozen=True)
class Hired:
    name: ClassVar[str] = "hired"


@dataclass(frozen=True)
class Interview:
    name: ClassVar[str] = "interview"
    company: str
    when: str  # as typed ("tomorrow 3pm", "fri", "12 Dec"); read in the person's zone later
    text: str = ""  # told in a sentence (milestone_words): its words, to keep


@dataclass(frozen=True)
class Offer:
    name: ClassVar[str] = "offer"
    text: str = ""  # told in a sentence (milestone_words): its words, to keep


@dataclass(frozen=True)
class AskCoach:
    """COACH or TALK (no words), or a human asked for in a sentence (its words, to keep)."""

    text: str = ""
    name: ClassVar[str] = "coach"


@dataclass(frozen=True)
class Share:
    name: ClassVar[str] = "share"


@dataclass(frozen=True)
class Unshare:
    name: ClassVar[str] = "unshare"


@dataclass(frozen=True)
class Journal:
    """The person asks for their own journal (by email in full, or a one-time link)."""

    name: ClassVar[str] = "journal"


@dataclass(frozen=True)
class SetTimezone:
    name: ClassVar[str] = "set_timezone"
    zone: str


@dataclass(frozen=True)
class SetLanguage:
    """LANG es: the language of everything onward sends; `code` None lists the choices, or,
    with `asked`, says that language is not one onward speaks."""

    name: ClassVar[str] = "set_language"
    code: str | None
    asked: str = ""


@dataclass(frozen=True)
class SetEmail:
    name: ClassVar[str] = "set_email"
    address: str


@dataclass(frozen=True)
class UseSms:
    name: ClassVar[str] = "use_sms"


@dataclass(frozen=True)
class Forget:
    name: ClassVar[str] = "forget"


@dataclass(frozen=True)
class ForgetConfirm:
    name: ClassVar[str] = "forget_confirm"


@dataclass(frozen=True)
class Invalid:
    """A known keyword with an argument onward can't use; `reason` is sent back as is."""

    name: ClassVar[str] = "invalid"
    command: str  # the canonical keyword: PAUSE, APPLIED, TZ or EMAIL
    reason: str


@dataclass(frozen=True)
class Free:
    """Not a command (what the command parser gives back); the classifier reads it further."""

    name: ClassVar[str] = "free"
    text: str


@dataclass(frozen=True)
class Answer:
    """A reply to the prompt that is open: kept in the journal under that prompt."""

    name: ClassVar[str] = "answer"
    text: str
    maybe_stop: bool = False  # it starts with a stop word: the reply says how to stop


@dataclass(frozen=True)
class Note:
    """Anything else: kept as a journal note for someone with a plan; a hint for others."""

    name: ClassVar[str] = "note"
    text: str
    maybe_stop: bool = False


@dataclass(frozen=True)
class Picture:
    """A picture (or a file) with no words: only words can be kept."""

    name: ClassVar[str] = "picture"


# What the explicit-command parser gives.
Command: TypeAlias = (
    Rejected | OptOut | OptIn | Help | Pause | Resume | Done | Applied | Next | Hired
    | Interview | Offer | SetTimezone | SetEmail | UseSms | Forget | ForgetConfirm | Free | Invalid
    | AskCoach | Share | Unshare | SetLanguage | Journal | Automated
)  # fmt: skip
# What the classifier gives: a command, or what it made of words that are not one.
Intent: TypeAlias = (
    Crisis | Rejected | OptOut | OptIn | Help | Pause | Resume | Done | Applied | Next | Hired
    | Interview | Offer | SetTimezone | SetEmail | UseSms | Forget | ForgetConfirm | Invalid
    | Answer | Note | Picture | AskCoach | Share | Unshare | SetLanguage | Journal | Automated
)  # fmt: skip

"""The values the router works with: its configuration, a stored message, and the outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from onward.engine.crisis import DEFAULT_CRISIS_PHRASES, CrisisLine


@dataclass(frozen=True)
class RouterConfig:
    default_window: str = "09:00-20:00"
    operator_name: str = "onward"
    org_name: str = "onward"  # {{ org }} in plan texts (ONWARD_ORG_NAME)
    help_text: str | None = None  # the operator's own HELP answer (ONWARD_HELP_TEXT)
    email_address: str | None = None  # where people write to confirm an address (ONWARD_EMAIL_FROM)
    crisis_phrases: tuple[str, ...] = DEFAULT_CRISIS_PHRASES
    crisis_lines: Mapping[str, CrisisLine] = field(default_factory=dict)


@dataclass(frozen=True)
class Incoming:
    """What the router needs of a stored inbound message."""

    id: int
    channel: str
    medium: str
    sender: str
    body: str
    # False when housekeeping routes it again later: no immediate reply reaches the person then.
    live: bool = True
    subject: str = ""
    # What the channel knew beyond the text: Twilio's OptOutType, an email's SPF/DKIM verdict.
    extra: Mapping[str, str] = field(default_factory=dict)
    # Set by the router once: the subject or the body matched a crisis phrase.
    crisis: bool = False

    @property
    def verified(self) -> bool:
        """Did the sender prove they own the address (SPF/DKIM pass; the local console)?"""
        return self.channel == "console" or self.extra.get("verified") == "1"


@dataclass
class Outcome:
    reply: str | None
    command: str
    person_id: int | None = None
    erased: bool = False

"""What onward answers when a person tells it about themselves or asks for a human, in their
language: TZ, EMAIL, SMS, LANG, COACH, SHARE and UNSHARE."""

from __future__ import annotations

from onward.engine.language import NAMES, SUPPORTED, speaker


def timezone_set(lang: str, zone: str, line: str) -> str:
    _ = speaker(lang).gettext
    return _("Got it, your time zone is now {zone}. {line}").format(zone=zone, line=line)


def timezone_unknown(lang: str, text: str) -> str:
    _ = speaker(lang).gettext
    return _(
        "I don't know the time zone '{zone}'. Try a name like America/New_York or Europe/London."
    ).format(zone=text[:40])


def email_added(lang: str, address: str, write_to: str | None = None) -> str:
    _ = speaker(lang).gettext
    if write_to:
        return _(
            "Thanks, I've noted {address}. To confirm it's yours, send any message from it to "
            "{write_to}; until then I'll keep texting."
        ).format(address=address, write_to=write_to)
    return _(
        "Thanks, I've noted {address}. To confirm it's yours, send any message from it; "
        "until then I'll keep texting."
    ).format(address=address)


def email_taken(lang: str) -> str:
    return speaker(lang).gettext(
        "That address is already linked to someone else, so I can't add it here."
    )


def sms_chosen(lang: str) -> str:
    return speaker(lang).gettext("Done, I'll send your nudges by text message.")


def _choices() -> str:
    # Each language by its own name, so a person finds theirs whatever they read now.
    return ", ".join(f"{code} ({NAMES[code]})" for code in SUPPORTED)


def language_set(lang: str) -> str:
    """Said in the language just chosen."""
    return speaker(lang).gettext("Done: from now on I'll write to you in English.")


def language_choices(lang: str) -> str:
    _ = speaker(lang).gettext
    return _("Reply LANG and a code: {choices}.").format(choices=_choices())


def language_unknown(lang: str) -> str:
    _ = speaker(lang).gettext
    return _(
        "I don't know that language. Choose one of {choices} and reply LANG with its code."
    ).format(choices=_choices())


def coach_asked(lang: str) -> str:
    return speaker(lang).gettext(
        "Thank you for asking. A coach will read your messages and reply here, usually within "
        "one working day. If you're in danger now, call your local emergency number."
    )


def coach_already_asked(lang: str) -> str:
    return speaker(lang).gettext(
        "A coach has your request and will reply here soon, usually within one working day."
    )


def coach_subject(lang: str) -> str:
    """The subject of a coach's reply sent by email."""
    return speaker(lang).gettext("A message from your coach")


def journal_shared(lang: str) -> str:
    return speaker(lang).gettext(
        "Your coach can now read your journal. Send UNSHARE any time to keep it private."
    )


def journal_unshared(lang: str) -> str:
    return speaker(lang).gettext("Your journal is private again: only you can read it.")

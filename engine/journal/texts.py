"""Every sentence of JOURNAL, in the person's language: the replies, the emailed copy and the
page a link opens. Each says honestly who can read the journal: the person, and their coach
only after they texted SHARE.

The replies go by SMS with a link in them, so their Spanish and French stay in the SMS alphabet
(no á, í, ó, ú, ê, ç...), where 153 characters fit a part rather than 67.
"""

from __future__ import annotations

from onward.engine.language import speaker

# -- replies -------------------------------------------------------------------------------------


def empty(lang: str) -> str:
    return speaker(lang).gettext(
        "Your journal is empty for now. When I ask you something, your reply is kept there, "
        "for you.",
    )


def emailed(lang: str, address: str) -> str:
    return speaker(lang).gettext("Your journal is on its way to {address}.").format(address=address)


def link(lang: str, url: str) -> str:
    return (
        speaker(lang)
        .gettext("Your journal: {url}\nThe link opens once, within 24 hours.")
        .format(url=url)
    )


def who_reads(lang: str, shared: bool) -> str:
    if shared:
        return speaker(lang).gettext(
            "Your coach can read it too, as you texted SHARE; text UNSHARE to stop that."
        )
    return speaker(lang).gettext(
        "Only you can read your journal; your coach only if you text SHARE."
    )


def unavailable(lang: str) -> str:
    return speaker(lang).gettext(
        "Journal links aren't set up here. Send EMAIL and your address (EMAIL name@example.com); "
        "once it's confirmed, text JOURNAL again and I'll email your journal.",
    )


def confirm_first(lang: str, address: str) -> str:
    return (
        speaker(lang)
        .gettext(
            "Your journal can go to {address} once it's confirmed: send any message from that "
            "address, then text JOURNAL again.",
        )
        .format(address=address)
    )


# -- the copy itself (email and page) ------------------------------------------------------------


def title(lang: str) -> str:
    return speaker(lang).gettext("Your journal")


def email_subject(lang: str, org: str) -> str:
    return speaker(lang).gettext("Your journal from {org}").format(org=org)


def intro(lang: str, org: str) -> str:
    return (
        speaker(lang)
        .gettext("Everything you've written to {org}, oldest first. It's yours to keep.")
        .format(org=org)
    )


def asked(lang: str, org: str) -> str:
    """Before the question an entry answered."""
    return speaker(lang).gettext("{org} asked:").format(org=org)


def note(lang: str) -> str:
    """Above an entry that answered no question."""
    return speaker(lang).gettext("A note")


def page_used(lang: str) -> str:
    return speaker(lang).gettext(
        "This link has now been used. To keep a copy, save or print this page; to see your "
        "journal again later, text JOURNAL.",
    )


def expired_title(lang: str) -> str:
    return speaker(lang).gettext("This link no longer works")


def expired_text(lang: str) -> str:
    return speaker(lang).gettext(
        "Journal links open once, within 24 hours. To get a new one, text JOURNAL."
    )


def waiting_text(lang: str) -> str:
    """What a link preview (a messaging app fetching the link) sees instead of the journal."""
    return speaker(lang).gettext("Open this link yourself to read your journal. It opens once.")

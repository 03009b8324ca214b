"""JOURNAL: the person receives their own journal. By email in full when their address is
confirmed (the daemon sends it, through the delivery door); else by SMS as a link that opens
once, within 24 hours. Every reply says who can read the journal."""

from __future__ import annotations

from onward.engine import people
from onward.engine.coaches.coaching import journal_shared
from onward.engine.inbound import intents as i
from onward.engine.inbound.context import Turn
from onward.engine.journal import copies, links, texts
from onward.engine.journal.entries import has_entries
from onward.engine.language import DEFAULT, of_person


def journal(turn: Turn, intent: i.Journal) -> str:
    person, session = turn.person, turn.session
    lang = of_person(person.language, person.country) if person is not None else DEFAULT
    if person is None or not has_entries(session, person.id):
        return texts.empty(lang)
    who = texts.who_reads(lang, journal_shared(session, person.id))
    if person.email and people.status_on(person, "email") == people.ACTIVE:
        copies.queue_email(session, person.id, turn.now)
        return f"{texts.emailed(lang, person.email)} {who}"
    secret = turn.config.secret_key
    if secret is None:
        if person.email and person.email_status == people.UNCONFIRMED:
            return texts.confirm_first(lang, person.email)
        return texts.unavailable(lang)
    url = links.issue(session, secret, person, turn.config.public_url, turn.now)
    return f"{texts.link(lang, url)} {who}"

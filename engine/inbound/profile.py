"""What a person tells onward about themselves: their time zone (TZ), an email address (EMAIL),
the medium for their nudges (SMS) and the language onward writes to them in (LANG)."""

from __future__ import annotations

from onward.engine import consent_ledger, people, replies, runs
from onward.engine.inbound import intents as i
from onward.engine.inbound.context import Turn
from onward.engine.inbound.upcoming import next_line
from onward.engine.plan_store import parsed
from onward.engine.schedule import keep_wall_times, window_for


def set_timezone(turn: Turn, cmd: i.SetTimezone) -> str:
    lang = turn.lang
    zone = people.canonical_timezone(cmd.zone)
    if zone is None:
        return replies.timezone_unknown(lang, cmd.zone)
    person = turn.person
    if person is None:
        return replies.no_plan(lang)
    old_zone = person.timezone
    person.timezone, person.timezone_source, person.updated_at = zone, "user", turn.now
    run = runs.current_run(turn.session, person.id)
    if run is not None:
        window = window_for(person, parsed(run.plan_version), turn.config.default_window)
        keep_wall_times(turn.session, run, person, old_zone, window, turn.now)
    return replies.timezone_set(lang, zone, next_line(lang, turn.session, run, person, turn.now))


def set_email(turn: Turn, cmd: i.SetEmail) -> str:
    person = turn.person
    if person is None:
        return replies.no_plan(turn.lang)
    # Lower case, as the web edge keeps email senders: mail from it must find this person.
    address = cmd.address.lower()
    owner = people.find_person(turn.session, "email", address)
    if owner is not None and owner.id != person.id:
        return replies.email_taken(turn.lang)
    if person.email != address:
        person.email = address
        how = consent_ledger.by_text("EMAIL", turn.msg.id)
        consent_ledger.record(person, "email", people.UNCONFIRMED, turn.now, how)
        people.claim_messages(turn.session, person, address)
    person.preferred_medium, person.updated_at = "email", turn.now
    return replies.email_added(turn.lang, address, turn.config.email_address)


def use_sms(turn: Turn, cmd: i.UseSms) -> str:
    person = turn.person
    if person is None or not person.phone:
        return replies.no_plan(turn.lang)
    person.preferred_medium, person.updated_at = "sms", turn.now
    return replies.sms_chosen(turn.lang)


def set_language(turn: Turn, cmd: i.SetLanguage) -> str:
    """LANG es: every reply and nudge from now on is in that language (nudges already due
    too: the dispatcher renders each one in the person's language as it sends it)."""
    if cmd.code is None:
        if cmd.asked:
            return replies.language_unknown(turn.lang)
        return replies.language_choices(turn.lang)
    person = turn.person
    if person is None:
        return replies.no_plan(cmd.code)  # nothing to keep it on: said in their language
    person.language, person.updated_at = cmd.code, turn.now
    return replies.language_set(cmd.code)  # in the language just chosen

"""What channels add to a text: Twilio's own opt-out answers, email subjects and first lines,
addresses proven by SPF/DKIM, and the operator's HELP text."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine

from onward.channels import ProviderAnswer
from onward.engine import replies
from onward.engine.clock import FakeClock
from onward.engine.storage.models import JournalEntry, Rejection, Run
from tests.conftest import cleared
from tests.integration.inbound_helpers import PHONE, Talk

ADDRESS = "sam@example.org"


def _answered(talk: Talk, body: str, answered: ProviderAnswer) -> str | None:
    """A message whose keyword the provider already acted on (Twilio's Advanced Opt-Out)."""
    message = replace(talk.message(body, channel="twilio"), provider_answered=answered)
    return talk.inbox.receive(message).reply


def test_a_provider_answered_opt_out_gets_no_second_confirmation(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    assert _answered(talk, "STOP", "opted_out") is None  # Twilio already confirmed it
    person = talk.person(PHONE)
    assert person is not None and person.sms_status == "opted_out"
    assert talk.say("REJECTED Beta") is None  # nothing re-subscribes but START
    assert _answered(talk, "START", "opted_in") is None
    person = talk.person(PHONE)
    assert person is not None and person.sms_status == "active"


def test_without_advanced_opt_out_onward_confirms_once(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    reply = talk.say("stop", channel="twilio")
    assert reply is not None and "unsubscribed" in reply


def test_an_email_command_can_be_its_subject_or_its_first_line(talk: Talk) -> None:
    by_subject = talk.say(
        "I'm gutted.\n\nSent from my phone",
        ADDRESS,
        medium="email",
        subject="REJECTED Acme - Designer",
    )
    assert by_subject is not None and "Acme" in by_subject
    [rejection] = talk.rows(Rejection)
    assert (rejection.company, rejection.role) == ("Acme", "Designer")
    by_line = talk.say(
        "NEXT\n\n> earlier message quoted", ADDRESS, medium="email", subject="Re: hi"
    )
    assert by_line is not None and "Next:" in by_line


def test_an_email_reply_without_a_command_goes_to_the_journal(talk: Talk) -> None:
    talk.say("REJECTED Acme", ADDRESS, medium="email")
    run = talk.rows(Run)[0]
    talk.mark_sent(run.id, "reflect")
    reply = talk.say(
        "The panel liked my portfolio.", ADDRESS, medium="email", subject="Re: A few minutes"
    )
    assert reply is not None and "journal" in reply
    [entry] = talk.rows(JournalEntry)
    assert entry.text == "The panel liked my portfolio."


def test_only_a_proven_address_confirms_an_email(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.say(f"EMAIL {ADDRESS}")
    person = talk.person(PHONE)
    assert person is not None and person.email_status == "unconfirmed"
    unproven = talk.message("NEXT", ADDRESS, channel="sendgrid", medium="email")
    talk.inbox.receive(unproven)
    person = talk.person(PHONE)
    assert person is not None and person.email_status == "unconfirmed"
    proven = replace(
        talk.message("NEXT", ADDRESS, channel="sendgrid", medium="email"), extra={"verified": "1"}
    )
    talk.inbox.receive(proven)
    person = talk.person(PHONE)
    assert person is not None and person.email_status == "active"


def test_the_operator_help_text(shared_engine: Engine, clock: FakeClock) -> None:
    talk = Talk(cleared(shared_engine), clock, help_text="Acme Careers Club: text STOP to end.")
    assert talk.say("help") == "Acme Careers Club: text STOP to end."


@pytest.mark.parametrize("body", ["thanks for the note", "stop"])
def test_a_crisis_phrase_in_an_emails_subject_is_heard(talk: Talk, body: str) -> None:
    talk.say("REJECTED Acme", ADDRESS, medium="email")
    reply = talk.say(body, ADDRESS, medium="email", subject="Re: I want to die")
    # An address has no country: the line is the international directory.
    assert reply is not None and "findahelpline.com" in reply
    assert [run.status for run in talk.runs(ADDRESS)] in (["paused"], ["cancelled"])


def test_help_names_the_organisation(shared_engine: Engine, clock: FakeClock) -> None:
    talk = Talk(cleared(shared_engine), clock, org_name="Northside Careers")
    reply = talk.say("HELP")
    assert reply is not None and reply == replies.help_text("en", "Northside Careers")

"""A human is told: words of crisis alert the on-call people at once, any hour, until delivered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from onward.channels import Channel, ChannelContext
from onward.channels.console import ConsoleChannel
from onward.channels.smtp_email import SmtpEmailChannel
from onward.engine.clock import FakeClock
from onward.engine.coaches.escalation import (
    FIRST_RETRY,
    LONGEST_RETRY,
    Notifier,
    OnCall,
    nobody_on_call,
    retry_delay,
)
from onward.engine.settings import load_settings
from onward.engine.storage.console_models import Escalation
from tests.fakes.smtp_server import SmtpSink, smtp_sink
from tests.integration.inbound_helpers import OTHER_PHONE, PHONE, Talk

ON_CALL_PHONE = "+14155550199"
ON_CALL_EMAIL = "oncall@example.org"
PUBLIC_URL = "https://onward.example.org"
WORDS = "honestly I just want to die tonight"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as running:
        yield running


@pytest.fixture
def sms() -> ConsoleChannel:
    return ConsoleChannel(ChannelContext(medium="sms"), keep_sent=True)


def on_call_talk(engine: Engine, clock: FakeClock) -> Talk:
    return Talk(engine, clock, on_call=OnCall(sms=(ON_CALL_PHONE,), email=(ON_CALL_EMAIL,)))


def notifier(talk: Talk, sms: Channel, sink: SmtpSink, *, include_words: bool = False) -> Notifier:
    email = SmtpEmailChannel(
        ChannelContext(
            settings={"ONWARD_SMTP_URL": sink.url(), "ONWARD_EMAIL_FROM": "onward@example.org"},
            medium="email",
        ),
        timeout=2.0,
    )
    return Notifier(
        talk.sessions,
        talk.clock,
        {"sms": ("console", sms), "email": ("smtp", email)},
        PUBLIC_URL,
        include_words=include_words,
        org="Careers Service",
    )


def test_crisis_alerts_every_on_call_person_with_a_way_to_reach_them_not_their_words(
    engine: Engine, clock: FakeClock, sms: ConsoleChannel, sink: SmtpSink
) -> None:
    talk = on_call_talk(engine, clock)
    talk.say("REJECTED Acme")
    reply = talk.say(WORDS)
    assert reply is not None and "988" in reply
    person = talk.me()
    alerts = talk.rows(Escalation, order=Escalation.id)
    assert [(a.medium, a.recipient, a.reason) for a in alerts] == [
        ("sms", ON_CALL_PHONE, "crisis"),
        ("email", ON_CALL_EMAIL, "crisis"),
    ]
    assert all(a.person_id == person.id and a.sent_at is None for a in alerts)

    assert notifier(talk, sms, sink).send_due() == {"sent": 2}

    [text] = sms.outbox
    assert text.to == ON_CALL_PHONE
    assert PHONE in text.body  # the full number: the on-call has to reach them
    assert f"{PUBLIC_URL}/console/people/{person.id}" in text.body
    assert "crisis" in text.body
    assert "die" not in text.body and "tonight" not in text.body
    assert text.body.isascii()
    assert text.delivery_id < 0  # never a delivery row's id: no status callback can touch one
    [mail] = sink.messages
    assert mail.rcpt_tos == [ON_CALL_EMAIL]
    assert mail.message["Subject"] == "Careers Service: someone may be in crisis"
    plain = mail.message.get_body(preferencelist=("plain",))
    assert plain is not None
    assert PHONE in plain.get_content()
    assert f"{PUBLIC_URL}/console/people/{person.id}" in plain.get_content()
    assert "die" not in plain.get_content()
    sent = talk.rows(Escalation)
    assert all(a.sent_at == clock.now() and a.attempts == 1 for a in sent)
    # Sent once: the next pass finds nothing due.
    assert notifier(talk, sms, sink).send_due() == {}
    assert len(sms.outbox) == 1 and len(sink.messages) == 1


def test_their_words_are_included_only_when_the_operator_opts_in(
    engine: Engine, clock: FakeClock, sms: ConsoleChannel, sink: SmtpSink
) -> None:
    talk = on_call_talk(engine, clock)
    talk.say("REJECTED Acme")
    talk.say(WORDS)
    notifier(talk, sms, sink, include_words=True).send_due()
    assert f'They wrote: "{WORDS}"' in sms.outbox[0].body


def test_alerts_go_out_at_any_hour(
    engine: Engine, clock: FakeClock, sms: ConsoleChannel, sink: SmtpSink
) -> None:
    talk = on_call_talk(engine, clock)
    talk.say("REJECTED Acme")
    # 03:00 in San Francisco, far outside any send window.
    clock.set(clock.now().replace(hour=11) + timedelta(days=1))
    talk.say("I can't go on")
    assert notifier(talk, sms, sink).send_due() == {"sent": 2}


def test_a_failed_alert_is_retried_with_backoff_until_delivered(
    engine: Engine, clock: FakeClock, sms: ConsoleChannel, sink: SmtpSink
) -> None:
    talk = Talk(engine, clock, on_call=OnCall(email=(ON_CALL_EMAIL,)))
    talk.say("REJECTED Acme")
    talk.say("I want to kill myself")
    sink.handler.data_reply = "451 4.3.0 try again later"
    send = notifier(talk, sms, sink)
    assert send.send_due() == {"failed": 1}
    [alert] = talk.rows(Escalation)
    assert alert.sent_at is None and alert.attempts == 1
    assert alert.next_attempt_at == clock.now() + FIRST_RETRY
    assert alert.last_error is not None
    talk.later(seconds=10)
    assert send.send_due() == {}  # not yet
    talk.later(seconds=20)
    assert send.send_due() == {"failed": 1}
    [alert] = talk.rows(Escalation)
    assert alert.next_attempt_at == clock.now() + 2 * FIRST_RETRY
    sink.handler.data_reply = None
    talk.later(minutes=1)
    assert send.send_due() == {"sent": 1}
    [alert] = talk.rows(Escalation)
    assert (alert.attempts, alert.sent_at, alert.last_error) == (3, clock.now(), None)
    assert len(sink.messages) == 1


def test_retry_delays_double_up_to_an_hour() -> None:
    assert [retry_delay(n) for n in (1, 2, 3)] == [FIRST_RETRY, 2 * FIRST_RETRY, 4 * FIRST_RETRY]
    assert retry_delay(50) == LONGEST_RETRY == timedelta(hours=1)


def test_two_processes_never_send_one_alert_twice(
    engine: Engine, clock: FakeClock, sms: ConsoleChannel, sink: SmtpSink
) -> None:
    talk = Talk(engine, clock, on_call=OnCall(sms=(ON_CALL_PHONE,)))
    talk.say("REJECTED Acme")
    talk.say("I want to disappear")
    [alert] = talk.rows(Escalation)
    first, second = notifier(talk, sms, sink), notifier(talk, sms, sink)
    assert first.send(alert.id) == "sent"
    assert second.send(alert.id) == "taken"
    talk.later(hours=2)
    assert second.send(alert.id) == "taken"  # sent is sent, however late
    assert len(sms.outbox) == 1


def test_a_burst_of_messages_makes_one_alert_and_a_later_one_another(
    engine: Engine, clock: FakeClock, sms: ConsoleChannel, sink: SmtpSink
) -> None:
    talk = Talk(engine, clock, on_call=OnCall(sms=(ON_CALL_PHONE,)))
    talk.say("REJECTED Acme")
    talk.say("I want to die")
    talk.later(minutes=2)
    talk.say("RESUME")
    talk.say("there's no point anymore")
    assert talk.count(Escalation) == 1
    talk.later(minutes=15)
    talk.say("I can't do this anymore")
    assert talk.count(Escalation) == 2


def test_a_stranger_in_crisis_is_reported_by_number_alone(
    engine: Engine, clock: FakeClock, sms: ConsoleChannel, sink: SmtpSink
) -> None:
    talk = Talk(engine, clock, on_call=OnCall(sms=(ON_CALL_PHONE,)))
    reply = talk.say("I want to end it all", OTHER_PHONE)
    assert reply is not None and "Samaritans" in reply
    [alert] = talk.rows(Escalation)
    assert (alert.person_id, alert.person_address) == (None, OTHER_PHONE)
    notifier(talk, sms, sink).send_due()
    assert OTHER_PHONE in sms.outbox[0].body
    assert "/console/people/" not in sms.outbox[0].body


def test_forget_erases_the_alerts_about_a_person(
    engine: Engine, clock: FakeClock, sms: ConsoleChannel, sink: SmtpSink
) -> None:
    talk = Talk(engine, clock, on_call=OnCall(sms=(ON_CALL_PHONE,)))
    talk.say("I want to die", OTHER_PHONE)  # a stranger first
    talk.say("REJECTED Acme", OTHER_PHONE)
    talk.later(minutes=20)
    talk.say("I want to die", OTHER_PHONE)
    assert talk.count(Escalation) == 2
    talk.say("FORGET", OTHER_PHONE)
    talk.say("FORGET YES", OTHER_PHONE)
    assert talk.count(Escalation) == 0


def test_without_anyone_on_call_nothing_is_recorded_and_serve_warns(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    reply = talk.say("I want to die")
    assert reply is not None and "988" in reply  # the person is still answered
    assert talk.count(Escalation) == 0
    warning = nobody_on_call(load_settings({}))
    assert warning is not None and "ONWARD_ESCALATION_SMS" in warning
    assert nobody_on_call(load_settings({"ONWARD_ESCALATION_EMAIL": ON_CALL_EMAIL})) is None
    assert nobody_on_call(load_settings({"ONWARD_ESCALATION_SMS": ON_CALL_PHONE})) is None


def test_settings_read_lists_of_on_call_people() -> None:
    settings = load_settings(
        {
            "ONWARD_ESCALATION_SMS": "+1 415 555 0199, +44 7400 123456",
            "ONWARD_ESCALATION_EMAIL": "OnCall@Example.org; lead@example.org",
            "ONWARD_ESCALATION_INCLUDE_WORDS": "true",
        }
    )
    assert OnCall.from_settings(settings) == OnCall(
        sms=("+14155550199", "+447400123456"), email=("oncall@example.org", "lead@example.org")
    )
    assert settings.escalation_include_words is True
    assert load_settings({}).escalation_include_words is False


@pytest.mark.parametrize("number", ["+447781123456", "+447797123456", "+447624123456"])
def test_someone_texting_from_guernsey_jersey_or_man_gets_samaritans(
    talk: Talk, number: str
) -> None:
    talk.say("REJECTED Acme", number)
    reply = talk.say("i dont want to be here anymore", number)
    assert reply is not None and "Samaritans, call 116 123" in reply
    assert "findahelpline" not in reply
    stranger = talk.say("I want to die", "+441481222222")  # a Guernsey landline, no plan
    assert stranger is not None and "Samaritans" in stranger


@pytest.mark.parametrize(
    "body", ["I don't want to be here anymore", "I want to stop feeling like this"]
)
def test_the_words_of_the_issue_pause_the_plan_and_give_the_line(talk: Talk, body: str) -> None:
    talk.say("REJECTED Acme")
    talk.mark_sent(talk.run().id, "reflect")  # a prompt is open: still not a journal entry only
    reply = talk.say(body)
    assert reply is not None and "988" in reply and "RESUME" in reply
    assert (talk.run().status, talk.run().pause_reason) == ("paused", "crisis")

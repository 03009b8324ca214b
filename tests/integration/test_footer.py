"""The opt-out footer, added by onward: a plan's first message, then at most once every 7 days."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from onward.channels import TransientSendError
from onward.channels.console import ConsoleChannel
from onward.engine.clock import FakeClock
from onward.engine.dispatch.retry import RetryPolicy
from onward.engine.replies import SMS_FOOTER
from tests.integration.dispatch_helpers import PHONE, FlakyChannel, Harness
from tests.integration.inbound_helpers import Talk

EMAIL = "sam@example.org"


def sent_texts(channel: object) -> list[str]:
    assert isinstance(channel, ConsoleChannel | FlakyChannel)
    return [message.body for message in channel.outbox]


@pytest.fixture
def world(db_engine: Engine, clock: FakeClock) -> Harness:
    return Harness(db_engine, clock)


def test_the_first_message_and_then_one_a_week_say_how_to_stop(world: Harness) -> None:
    run_id = world.start_run()
    world.drive(world.dispatcher())
    steps = [s for s in world.steps(run_id) if s.status == "sent"]
    texts = sent_texts(world.sms)
    assert len(texts) == len(steps) >= 8
    with_footer = [step for step, text in zip(steps, texts, strict=True) if SMS_FOOTER in text]
    # The welcome (day 0) and the first message at least 7 days later (the applications, day 8).
    assert [step.step_key for step in with_footer] == ["ack", "apply"]
    assert all(text.endswith(f"\n{SMS_FOOTER}") for text in texts if SMS_FOOTER in text)
    assert all(text.count("STOP") <= 1 for text in texts)
    ack_at, apply_at = with_footer[0].sent_at, with_footer[1].sent_at
    assert ack_at is not None and apply_at is not None
    assert apply_at - ack_at >= timedelta(days=7)


def test_a_new_plan_says_it_again_in_its_first_message(world: Harness) -> None:
    world.start_run()
    world.drive(world.dispatcher(), until=world.clock.now() + timedelta(days=2))
    before = len(sent_texts(world.sms))
    world.start_run(company="Globex")  # a second rejection supersedes the first plan
    world.drive(world.dispatcher(), until=world.clock.now() + timedelta(hours=1))
    first_of_new = sent_texts(world.sms)[before]
    assert "Globex" in first_of_new and first_of_new.endswith(SMS_FOOTER)


def test_email_gets_the_unsubscribe_line_instead(world: Harness) -> None:
    world.start_run(email=EMAIL, email_status="active", preferred_medium="email")
    world.drive(world.dispatcher(), until=world.clock.now() + timedelta(days=1, hours=12))
    first, second = sent_texts(world.email)[:2]
    assert "Don't want these emails? Reply STOP or unsubscribe: http" in first
    assert "/unsubscribe/" in first and SMS_FOOTER not in first
    assert "unsubscribe" not in second
    assert world.person().email_footer_at is not None and world.person().sms_footer_at is None


def test_a_retried_message_keeps_its_footer(db_engine: Engine, clock: FakeClock) -> None:
    channel = FlakyChannel(TransientSendError("provider busy"))
    world = Harness(db_engine, clock, sms=channel)
    world.start_run()
    dispatcher = world.dispatcher(retry=RetryPolicy(jitter=0))
    world.drive(dispatcher, until=clock.now() + timedelta(hours=3))
    [failed, retried] = [message.body for message in channel.calls[:2]]
    assert failed == retried and retried.endswith(SMS_FOOTER)


def test_the_reply_that_starts_a_plan_is_its_first_message(talk: Talk) -> None:
    reply = talk.say("REJECTED Acme")
    assert reply is not None and reply.endswith(f"\n{SMS_FOOTER}")
    assert reply.count("STOP") == 1
    assert talk.me(PHONE).sms_footer_at == talk.clock.now()

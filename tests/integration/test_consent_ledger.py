"""The consent ledger on SQLite and PostgreSQL: every path that changes a person's status writes a
row saying when, how and what they had been told, and the ledger never disagrees with `people`."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import DBAPIError

from onward.channels import DeliveryStatus, RecipientOptedOut
from onward.engine import consent_ledger, runs
from onward.engine.clock import FakeClock
from onward.engine.status_callbacks import apply_status
from onward.engine.storage.models import Delivery, Person
from onward.engine.storage.record_models import ConsentEvent
from onward.engine.unsubscribe import make_token
from onward.plans.disclosures import DISCLOSURE_VERSION
from tests.integration.dispatch_helpers import FlakyChannel, Harness
from tests.integration.inbound_helpers import PHONE, Talk
from tests.integration.web_helpers import build_rig, engine_url

EMAIL = "sam@example.org"


def ledger(talk: Talk, address: str = PHONE) -> list[dict[str, object]]:
    with talk.sessions() as session:
        return consent_ledger.ledger_rows(session, talk.me(address).id)


def agree(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        assert consent_ledger.disagreements(session) == []


def test_texting_in_is_an_opt_in_by_first_message(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    [row] = ledger(talk)
    assert (row["medium"], row["event"], row["status"], row["how"]) == (
        "sms",
        "opt_in",
        "active",
        "first_message",
    )
    assert row["previous_status"] is None
    assert row["address"] == PHONE
    assert row["disclosure_version"] == DISCLOSURE_VERSION
    agree(talk.sessions)


def test_stop_then_start_are_an_opt_out_and_a_re_subscription_with_what_was_said(
    talk: Talk,
) -> None:
    talk.say("REJECTED Acme")
    talk.later(hours=1)
    talk.say("Stop!")
    talk.later(days=2)
    talk.say("START")
    _, stop, start = ledger(talk)
    assert (stop["event"], stop["how"], stop["detail"], stop["said"]) == (
        "opt_out",
        "keyword",
        "STOP",
        "Stop!",
    )
    assert (stop["previous_status"], stop["status"]) == ("active", "opted_out")
    assert (start["event"], start["how"], start["detail"]) == (
        "re_subscription",
        "keyword",
        "START",
    )
    assert start["recorded_at"] > stop["recorded_at"]  # type: ignore[operator]
    agree(talk.sessions)


def test_a_stranger_whose_first_word_is_stop_is_recorded_opted_out(talk: Talk) -> None:
    talk.say("STOP")
    rows = ledger(talk)
    assert [r["event"] for r in rows] == ["opt_in", "opt_out"]
    assert talk.me().sms_status == "opted_out"
    agree(talk.sessions)


def test_an_email_added_then_confirmed_is_on_the_ledger(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.say(f"EMAIL {EMAIL}")
    talk.say("hello", EMAIL, medium="email")  # the console vouches for the sender
    rows = [r for r in ledger(talk) if r["medium"] == "email"]
    assert [(r["event"], r["how"]) for r in rows] == [
        ("address_added", "keyword"),
        ("opt_in", "confirmation"),
    ]
    agree(talk.sessions)


def test_provider_opt_out_and_bounce_are_provider_events(talk: Talk, clock: FakeClock) -> None:
    talk.say("REJECTED Acme")
    with talk.sessions.begin() as session:
        person = session.scalars(select(Person).where(Person.phone == PHONE)).one()
        consent_ledger.record(person, "email", "unconfirmed", clock.now(), consent_ledger.How("x"))
        person.email = EMAIL
        consent_ledger.record(
            person, "email", "active", clock.now(), consent_ledger.by_text("hi there")
        )
        for medium, address in (("sms", PHONE), ("email", EMAIL)):
            session.add(
                Delivery(
                    person_id=person.id,
                    channel="sendgrid" if medium == "email" else "twilio",
                    medium=medium,
                    address=address,
                    provider_id=f"p-{medium}",
                    status="sent",
                    status_rank=2,
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
    with talk.sessions.begin() as session:
        apply_status(
            session,
            DeliveryStatus("sendgrid", "p-email", None, "undelivered", "bounce", consent="invalid"),
            clock.now(),
            {"sms", "email"},
        )
        apply_status(
            session,
            DeliveryStatus("twilio", "p-sms", None, "undelivered", "21610", consent="opted_out"),
            clock.now(),
            {"sms", "email"},
        )
    rows = ledger(talk)
    assert (rows[-2]["event"], rows[-2]["how"]) == ("address_invalid", "provider")
    assert rows[-2]["medium"] == "email" and "sendgrid" in str(rows[-2]["detail"])
    assert rows[-1]["event"] == "provider_opt_out" and rows[-1]["medium"] == "sms"
    assert "21610" in str(rows[-1]["detail"])
    agree(talk.sessions)


def test_a_carrier_opt_out_at_send_time_is_a_provider_opt_out(
    engine: Engine, clock: FakeClock
) -> None:
    channel = FlakyChannel(RecipientOptedOut("unsubscribed recipient", code="21610"))
    world = Harness(engine, clock, sms=channel)
    run_id = world.start_run()
    world.clock.set(world.step(run_id, "ack").due_at)
    world.dispatcher().tick()
    with world.sessions() as session:
        rows = consent_ledger.ledger_rows(session, world.person().id)
        assert consent_ledger.disagreements(session) == []
    assert (rows[-1]["event"], rows[-1]["how"]) == ("provider_opt_out", "provider")
    assert "21610" in str(rows[-1]["detail"])


def test_an_operator_revocation_is_a_revocation(talk: Talk, clock: FakeClock) -> None:
    talk.say("REJECTED Acme")
    with talk.sessions.begin() as session:
        person = session.scalars(select(Person).where(Person.phone == PHONE)).one()
        how = consent_ledger.by_operator("onward consent revoke: called the office")
        runs.opt_out(session, person, "sms", clock.now(), how)
    row = ledger(talk)[-1]
    assert (row["event"], row["how"]) == ("revocation", "operator")
    assert talk.me().sms_status == "opted_out"
    assert talk.run().status == "cancelled"  # nothing else could carry the plan
    agree(talk.sessions)


def test_a_sentence_is_a_phrase_and_a_revocation() -> None:
    how = consent_ledger.by_text("please stop texting me", 7)
    assert (how.kind, how.inbound_id) == ("phrase", 7)
    assert consent_ledger.event_for("active", "opted_out", how) == "revocation"
    assert consent_ledger.event_for("active", "opted_out", consent_ledger.by_text("STOP")) == (
        "opt_out"
    )


def test_the_ledger_is_append_only(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    with pytest.raises(DBAPIError, match="append-only"), talk.sessions.begin() as session:
        session.execute(update(ConsentEvent).values(status="opted_out"))
    assert [r["status"] for r in ledger(talk)] == ["active"]


def test_the_ledger_goes_with_the_person_on_forget(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.say("FORGET")
    talk.say("FORGET YES")
    with talk.sessions() as session:
        assert session.scalar(text("select count(*) from consent_events")) == 0


def test_every_path_leaves_ledger_and_status_in_agreement(talk: Talk, clock: FakeClock) -> None:
    """The invariant: after a mix of every way status changes, for many people, the latest
    ledger row of each medium is the status the dispatcher reads."""
    phones = [f"+1415555{n:04d}" for n in range(20, 32)]
    for index, phone in enumerate(phones):
        talk.say("REJECTED Acme", phone)
        if index % 2:
            talk.say("stop", phone)
        if index % 3 == 0:
            talk.say("START", phone)
        if index % 4 == 0:
            talk.say(f"EMAIL p{index}@example.org", phone)
            talk.say("hi", f"p{index}@example.org", medium="email")
        if index % 5 == 0:
            talk.say("UNSUBSCRIBE", f"p{index}@example.org", medium="email")
        talk.later(minutes=3)
    agree(talk.sessions)
    # And the check can fail: a status written behind the ledger's back is found.
    with talk.sessions.begin() as session:
        session.execute(update(Person).where(Person.phone == phones[0]).values(sms_status="x"))
    with talk.sessions() as session:
        [(_, medium, said, column)] = consent_ledger.disagreements(session)
    assert (medium, said, column) == ("sms", "active", "x")


def test_twilio_advanced_opt_out_is_recorded_as_the_keyword(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    message = replace(talk.message("Stop", channel="twilio"), extra={"OptOutType": "STOP"})
    talk.inbox.receive(message)
    row = ledger(talk)[-1]
    assert (row["event"], row["detail"], row["said"]) == ("opt_out", "STOP", "Stop")


def test_the_one_click_unsubscribe_link_is_a_revocation_by_link(
    engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(engine, clock)
    talk.say("REJECTED Acme", EMAIL, medium="email")  # the console vouches for the address
    rig = build_rig(engine_url(engine), clock)
    try:
        with rig.runtime.sessions.begin() as session:
            token = make_token(session, talk.me(EMAIL).id, "email")
        done = rig.client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200
    finally:
        rig.runtime.close()
    row = ledger(talk, EMAIL)[-1]
    assert (row["event"], row["how"], row["status"]) == (
        "revocation",
        "unsubscribe_link",
        "opted_out",
    )
    agree(talk.sessions)

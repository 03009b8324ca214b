"""A coach and a person through the real web app: the queue, take and hand back, replies through
the delivery door, crisis notes, SHARE, and the audit log, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from onward.engine import audit
from onward.engine.clock import FakeClock
from onward.engine.storage.console_models import AuditEntry, CoachMessage
from onward.engine.storage.models import (
    RUN_ACTIVE,
    RUN_PAUSED,
    Delivery,
    InboundMessage,
    JournalEntry,
    Person,
    Run,
    Step,
)
from tests.integration.console_helpers import console_rig, sign_in
from tests.integration.web_helpers import WebRig, engine_url

PHONE = "+14155550100"  # Los Angeles: 15:00 UTC is 07:00 there, before the 09:00 window
SMS = "/webhooks/console/sms"


@pytest.fixture
def rig(db_engine: Engine, clock: FakeClock) -> Iterator[WebRig]:
    rig = console_rig(engine_url(db_engine), clock)
    yield rig
    rig.client.close()
    rig.runtime.close()


def text(rig: WebRig, body: str) -> str | None:
    response = rig.client.post(SMS, json={"from": PHONE, "body": body})
    assert response.status_code == 200, response.text
    reply: str | None = response.json().get("reply")
    return reply


def person_id(rig: WebRig) -> int:
    with rig.runtime.sessions() as session:
        return session.scalars(select(Person.id).where(Person.phone == PHONE)).one()


def run_of(rig: WebRig) -> Run:
    with rig.runtime.sessions() as session:
        return session.scalars(select(Run).order_by(Run.id.desc())).first()  # type: ignore[return-value]


def in_window(clock: FakeClock) -> None:
    clock.advance(timedelta(hours=3))  # 18:00 UTC is 10:00 in Los Angeles


def test_coach_puts_the_person_in_the_queue_and_says_when_to_expect_an_answer(
    rig: WebRig,
) -> None:
    reply = text(rig, "COACH")
    assert reply is not None and "working day" in reply
    assert "soon" in (text(rig, "talk") or "")  # asking twice keeps one place
    sign_in(rig.client)
    page = rig.client.get("/console/").text
    assert page.count("asked for a coach") == 1 and PHONE in page


@pytest.mark.parametrize(
    "words",
    ["I want to talk to someone, this one really hurt", "quiero hablar con alguien, por favor"],
)
def test_a_human_asked_for_in_words_is_asked_for_and_the_words_kept(
    rig: WebRig, words: str
) -> None:
    text(rig, "REJECTED Acme")
    reply = text(rig, words)
    assert reply is not None and "working day" in reply
    sign_in(rig.client)
    page = rig.client.get("/console/").text
    assert page.count("asked for a coach") == 1 and PHONE in page
    with rig.runtime.sessions() as session:
        kept = session.scalars(select(JournalEntry.text)).all()
    assert kept == [words]


def test_a_crisis_comes_first_in_the_queue_with_how_long_ago(rig: WebRig, clock: FakeClock) -> None:
    text(rig, "COACH")
    rig.client.post(SMS, json={"from": "+14155550111", "body": "REJECTED Acme"})
    rig.client.post(SMS, json={"from": "+14155550111", "body": "i want to die"})
    clock.advance(timedelta(minutes=12))
    sign_in(rig.client)
    page = rig.client.get("/console/").text
    assert page.index("crisis") < page.index("asked for a coach")
    assert "12 min ago" in page


def test_a_held_conversation_goes_to_the_coach_while_stop_and_help_still_work(
    rig: WebRig,
) -> None:
    text(rig, "REJECTED Acme")
    pid = person_id(rig)
    csrf = sign_in(rig.client)
    rig.client.post(f"/console/people/{pid}/take", data={"csrf": csrf})
    assert run_of(rig).status == RUN_PAUSED and run_of(rig).pause_reason == "coach"
    assert text(rig, "NEXT") is None  # no automatic answer: the coach answers
    assert text(rig, "I feel a bit lost") is None
    assert text(rig, "HELP")  # HELP keeps working
    with rig.runtime.sessions() as session:
        kept = session.scalars(select(InboundMessage).where(InboundMessage.command == "held"))
        assert [m.body for m in kept] == ["NEXT", "I feel a bit lost"]
    page = rig.client.get(f"/console/people/{pid}").text
    assert "I feel a bit lost" in page and "kept for the coach" in page and "Robin" in page
    assert text(rig, "STOP")  # STOP keeps working, with its one confirmation
    with rig.runtime.sessions() as session:
        assert session.get(Person, pid).sms_status == "opted_out"  # type: ignore[union-attr]


def test_hand_back_resumes_the_plan_re_timed(rig: WebRig, clock: FakeClock) -> None:
    text(rig, "REJECTED Acme")
    pid = person_id(rig)
    with rig.runtime.sessions() as session:
        before = session.scalars(
            select(Step.due_at).where(Step.status == "pending").order_by(Step.id)
        ).first()
    csrf = sign_in(rig.client)
    rig.client.post(f"/console/people/{pid}/take", data={"csrf": csrf})
    clock.advance(timedelta(hours=5))
    csrf = sign_in(rig.client)  # the idle timeout ended the first session meanwhile
    response = rig.client.post(f"/console/people/{pid}/hand-back", data={"csrf": csrf})
    assert "Handed back" in response.text
    assert run_of(rig).status == RUN_ACTIVE
    with rig.runtime.sessions() as session:
        after = session.scalars(
            select(Step.due_at).where(Step.status == "pending").order_by(Step.id)
        ).first()
    assert before is not None and after is not None and after >= before + timedelta(hours=5)
    assert text(rig, "NEXT")  # automatic answers are back


def test_a_reply_leaves_through_a_delivery_and_shows_in_the_timeline(
    rig: WebRig, clock: FakeClock
) -> None:
    text(rig, "REJECTED Acme")
    in_window(clock)
    pid = person_id(rig)
    csrf = sign_in(rig.client)
    response = rig.client.post(
        f"/console/people/{pid}/reply", data={"csrf": csrf, "body": "Hi, I'm Robin. How are you?"}
    )
    assert "Reply sent." in response.text
    assert "Hi, I'm Robin. How are you?" in rig.printed.getvalue()  # the console channel
    assert "Hi, I&#39;m Robin. How are you?" in response.text  # the timeline
    with rig.runtime.sessions() as session:
        message = session.scalars(select(CoachMessage)).one()
        delivery = session.get(Delivery, message.delivery_id)
        assert delivery is not None and delivery.status == "delivered" and delivery.address == PHONE
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert audit.REPLY in actions


def test_outside_the_window_the_coach_chooses_and_the_kept_reply_goes_at_the_opening(
    rig: WebRig, clock: FakeClock
) -> None:
    text(rig, "REJECTED Acme")
    pid = person_id(rig)
    csrf = sign_in(rig.client)
    asked = rig.client.post(f"/console/people/{pid}/reply", data={"csrf": csrf, "body": "Hello"})
    assert "outside their send window" in asked.text and "Tue 09:00" in asked.text
    with rig.runtime.sessions() as session:
        assert session.scalars(select(CoachMessage)).first() is None  # nothing kept yet
    kept = rig.client.post(
        f"/console/people/{pid}/reply", data={"csrf": csrf, "body": "Hello", "when": "opening"}
    )
    assert "goes when their window opens" in kept.text
    assert rig.daemon.coach_replies.send_due() == 0
    clock.advance(timedelta(hours=2, minutes=1))  # 09:01 in Los Angeles
    assert rig.daemon.coach_replies.send_due() == 1
    assert rig.daemon.coach_replies.send_due() == 0  # once
    assert "Hello" in rig.printed.getvalue()


def test_send_now_outside_the_window_goes_at_once(rig: WebRig) -> None:
    text(rig, "REJECTED Acme")
    pid = person_id(rig)
    csrf = sign_in(rig.client)
    sent = rig.client.post(
        f"/console/people/{pid}/reply", data={"csrf": csrf, "body": "Urgent hello", "when": "now"}
    )
    assert "Reply sent." in sent.text and "Urgent hello" in rig.printed.getvalue()


def test_a_person_who_opted_out_gets_no_reply(rig: WebRig, clock: FakeClock) -> None:
    text(rig, "REJECTED Acme")
    text(rig, "STOP")
    in_window(clock)
    pid = person_id(rig)
    csrf = sign_in(rig.client)
    printed = rig.printed.getvalue()
    refused = rig.client.post(f"/console/people/{pid}/reply", data={"csrf": csrf, "body": "Hi"})
    assert "Not sent" in refused.text and "opted out" in refused.text
    assert rig.printed.getvalue() == printed
    with rig.runtime.sessions() as session:
        assert session.scalars(select(CoachMessage)).first() is None


def test_marking_a_crisis_handled_takes_a_note(rig: WebRig) -> None:
    text(rig, "REJECTED Acme")
    text(rig, "i want to die")
    pid = person_id(rig)
    csrf = sign_in(rig.client)
    ref = str(run_of(rig).id)
    empty = rig.client.post(
        f"/console/people/{pid}/resolve", data={"csrf": csrf, "kind": "crisis", "ref": ref}
    )
    assert "how the crisis was handled" in empty.text
    assert "wrote words of crisis" in rig.client.get("/console/").text
    rig.client.post(
        f"/console/people/{pid}/resolve",
        data={"csrf": csrf, "kind": "crisis", "ref": ref, "note": "Called them; they are safe."},
    )
    assert "wrote words of crisis" not in rig.client.get("/console/").text
    assert "Called them; they are safe." in rig.client.get(f"/console/people/{pid}").text


def test_the_journal_shows_only_after_share_and_each_view_is_audited(rig: WebRig) -> None:
    text(rig, "REJECTED Acme")
    pid = person_id(rig)
    with rig.runtime.sessions.begin() as session:  # a prompt was sent: answers go to the journal
        step = session.scalars(select(Step).where(Step.step_key == "ack")).one()
        step.status, step.sent_at = "sent", step.due_at
    text(rig, "It stung more than I expected")
    sign_in(rig.client)
    private = rig.client.get(f"/console/people/{pid}").text
    assert "Private." in private and "It stung more than I expected</td><td" not in private
    assert "Your coach can now read" in (text(rig, "SHARE") or "")
    shared = rig.client.get(f"/console/people/{pid}").text
    assert "Private." not in shared
    with rig.runtime.sessions() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == [audit.VIEW_PERSON, audit.VIEW_PERSON, audit.VIEW_JOURNAL]
    assert "private again" in (text(rig, "UNSHARE") or "")
    assert "Private." in rig.client.get(f"/console/people/{pid}").text


def test_forget_keeps_the_staff_actions_without_the_persons_words(
    rig: WebRig, clock: FakeClock
) -> None:
    text(rig, "REJECTED Acme")
    in_window(clock)
    pid = person_id(rig)
    csrf = sign_in(rig.client)
    rig.client.post(f"/console/people/{pid}/take", data={"csrf": csrf})
    rig.client.post(f"/console/people/{pid}/reply", data={"csrf": csrf, "body": "Private words"})
    text(rig, "FORGET")
    text(rig, "FORGET YES")
    with rig.runtime.sessions() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [r.action for r in rows] == [
            audit.TAKE,
            audit.VIEW_PERSON,
            audit.REPLY,
            audit.VIEW_PERSON,
        ]
        assert all(r.person_id is None and r.detail is None for r in rows)
        assert session.scalars(select(CoachMessage)).first() is None


NAMED_PLAN = """
name: named
description: A one-step plan that names its coach and organisation.
keywords: [TURNEDDOWN]
steps:
  - id: hello
    kind: message
    due: 1h
    text: "Hi, {{ coach or 'a coach' }} here from {{ org }}."
"""


def test_a_nudge_names_the_coach_once_one_has_taken_the_person(
    rig: WebRig, clock: FakeClock
) -> None:
    from onward.engine.plan_store import add_plan

    with rig.runtime.sessions.begin() as session:
        add_plan(session, NAMED_PLAN, clock)
    in_window(clock)
    text(rig, "TURNEDDOWN Acme")
    pid = person_id(rig)
    csrf = sign_in(rig.client)
    rig.client.post(f"/console/people/{pid}/take", data={"csrf": csrf})
    rig.client.post(f"/console/people/{pid}/hand-back", data={"csrf": csrf})
    clock.advance(timedelta(hours=1, minutes=1))
    rig.daemon.dispatcher.tick()
    assert "Hi, Robin here from Northside Careers." in rig.printed.getvalue()


def test_a_held_persons_new_message_waits_in_the_queue_until_the_coach_replies(
    rig: WebRig, clock: FakeClock
) -> None:
    text(rig, "REJECTED Acme")
    in_window(clock)
    pid = person_id(rig)
    csrf = sign_in(rig.client)
    rig.client.post(f"/console/people/{pid}/take", data={"csrf": csrf})
    assert "wrote to their coach" not in rig.client.get("/console/").text
    text(rig, "Thanks for reaching out")
    queue = rig.client.get("/console/").text
    assert "wrote to their coach" in queue and "Robin" in queue  # who has taken it
    rig.client.post(f"/console/people/{pid}/reply", data={"csrf": csrf, "body": "Glad to help."})
    assert "wrote to their coach" not in rig.client.get("/console/").text


def test_an_unplaced_message_can_be_marked_handled(rig: WebRig) -> None:
    text(rig, "REJECTED Acme")
    text(rig, "HIRED")
    text(rig, "hmm, not sure about any of this")
    pid = person_id(rig)
    csrf = sign_in(rig.client)
    assert "onward could not place it" in rig.client.get("/console/").text
    page = rig.client.get(f"/console/people/{pid}").text
    assert "In the queue" in page and "Mark handled" in page
    with rig.runtime.sessions() as session:
        [inbound] = [
            m.id
            for m in session.scalars(select(InboundMessage))
            if m.body == "hmm, not sure about any of this"
        ]
    rig.client.post(
        f"/console/people/{pid}/resolve",
        data={"csrf": csrf, "kind": "unplaced", "ref": str(inbound)},
    )
    assert "onward could not place it" not in rig.client.get("/console/").text


def test_a_persons_own_pause_becomes_the_coachs_hold(rig: WebRig, clock: FakeClock) -> None:
    text(rig, "REJECTED Acme")
    text(rig, "PAUSE 1d")
    pid = person_id(rig)
    csrf = sign_in(rig.client)
    rig.client.post(f"/console/people/{pid}/take", data={"csrf": csrf})
    run = run_of(rig)
    assert run.status == RUN_PAUSED and run.pause_reason == "coach" and run.paused_until is None


def test_people_whose_deliveries_keep_failing_are_in_the_queue(
    rig: WebRig, clock: FakeClock
) -> None:
    text(rig, "REJECTED Acme")
    pid = person_id(rig)
    with rig.runtime.sessions.begin() as session:
        for n in range(3):
            session.add(
                Delivery(person_id=pid, channel="console", medium="sms", address=PHONE,
                         status="failed" if n else "undelivered", status_rank=9, attempts=1,
                         created_at=clock.now(), updated_at=clock.now())
            )  # fmt: skip
    sign_in(rig.client)
    assert "3 deliveries failed" in rig.client.get("/console/").text


def test_the_numbers_page_shows_counts_and_the_chart_never_words(rig: WebRig) -> None:
    for n in range(6):
        rig.client.post(
            "/webhooks/console/sms",
            json={"from": f"+1415555{n:04d}", "body": "REJECTED Acme, it hurt a lot"},
        )
    sign_in(rig.client)
    page = rig.client.get("/console/numbers").text
    assert "6 people reported a rejection" in page
    assert 'src="data:image/png;base64,' in page and "alt=" in page
    assert "&lt;5" in page  # no interview yet: too few to show
    assert "hurt" not in page


def test_a_sentence_that_only_starts_with_stop_is_queued_as_unsure(rig: WebRig) -> None:
    text(rig, "REJECTED Acme")
    reply = text(rig, "Stop rambling next time")
    assert reply is not None and "STOP" in reply  # kept, and told how to stop if meant
    sign_in(rig.client)
    assert "starts with a stop word: kept, asked" in rig.client.get("/console/").text
    text(rig, "STOP")  # an opt-out is obeyed, not queued as unsure
    assert rig.client.get("/console/").text.count("starts with a stop word") == 1

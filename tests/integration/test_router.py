"""Every text command through the real inbox and router, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from onward.engine import replies
from onward.engine.clock import FakeClock
from onward.engine.crisis import CrisisLine
from onward.engine.dispatch.claims import claim_due
from onward.engine.logs import configure_logging
from onward.engine.metrics import CRISIS_ALERTS
from onward.engine.replies import SMS_FOOTER
from onward.engine.storage.models import (
    Delivery,
    InboundMessage,
    JournalEntry,
    Person,
    Rejection,
    Run,
)
from onward.engine.timing import place_in_window
from onward.plans import SendWindow
from tests.integration.inbound_helpers import (
    OTHER_PHONE,
    PHONE,
    Talk,
)

LA = ZoneInfo("America/Los_Angeles")
WAITING = ("pending", "claimed")
WINDOW = SendWindow(time(9), time(20))
# The clock starts on Tuesday 24 November 2026 at 15:00 UTC, 07:00 in San Francisco.


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    configure_logging(fmt="json", stream=buf)
    yield buf
    configure_logging()


def crisis_alerts() -> float:
    return float(CRISIS_ALERTS._value.get())


def claimable(talk: Talk) -> list[int]:
    """What a real dispatcher would claim now (it only claims steps of active runs); nothing
    is claimed: the transaction is rolled back."""
    with talk.sessions() as session:
        return [item.step.id for item in claim_due(session, talk.clock.now(), 50)]


# -- REJECTED ------------------------------------------------------------------------------------


def test_rejected_records_the_person_and_starts_the_default_plan(talk: Talk) -> None:
    reply = talk.say("REJECTED Acme - Staff Engineer")
    person = talk.me()
    assert (person.phone, person.timezone, person.country) == (PHONE, "America/Los_Angeles", "US")
    assert (person.sms_status, person.preferred_medium) == ("active", "sms")
    [rejection] = talk.rows(Rejection)
    assert (rejection.company, rejection.role) == ("Acme", "Staff Engineer")
    [run] = talk.runs()
    assert (run.status, run.rejection_id) == ("active", rejection.id)
    version = talk.plan_of(run)
    assert (version.name, version.version) == ("standard", 1)
    keys = {step.step_key for step in talk.steps(run.id)}
    assert {"ack", "checkin", "reflect", "reflect.reminder", "apply", "encourage"} <= keys
    # The 0m step travels in the reply, even at 07:00 (the person has just written to us).
    ack = talk.step(run.id, "ack")
    assert (ack.status, ack.sent_at) == ("sent", talk.clock.now())
    [delivery] = talk.rows(Delivery, Delivery.step_id == ack.id)
    assert (delivery.status, delivery.address) == ("sent", PHONE)
    assert reply is not None
    assert reply.startswith("I'm so sorry the news from Acme wasn't what you hoped.")
    # The plan's first message: onward adds how to stop.
    assert reply.endswith(f"Next: a gentle check-in, tomorrow at 18:00 your time.\n{SMS_FOOTER}")
    checkin = talk.step(run.id, "checkin")
    assert checkin.due_at.astimezone(LA).strftime("%a %H:%M") == "Wed 18:00"


def test_a_plan_keyword_starts_that_plan(talk: Talk) -> None:
    reply = talk.say("setback: Globex")
    version = talk.plan_of(talk.run())
    assert version.name == "gentle"
    assert reply is not None and "When the no's pile up" in reply
    # The plan's first message: onward adds how to stop.
    assert reply.endswith(f"Next: a gentle check-in, Thursday at 18:00 your time.\n{SMS_FOOTER}")


def test_a_newer_rejection_supersedes_the_running_plan(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.later(hours=5)
    talk.say("REJECTED Globex")
    old, new = talk.runs()
    assert (old.status, old.ended_at) == ("superseded", talk.clock.now())
    assert talk.steps(old.id, *WAITING) == []
    assert {s.status for s in talk.steps(old.id)} == {"sent", "cancelled"}
    assert new.status == "active" and talk.steps(new.id, *WAITING)
    assert talk.count(Run, Run.status.in_(("active", "paused"))) == 1
    assert [r.company for r in talk.rows(Rejection, order=Rejection.id)] == ["Acme", "Globex"]


# -- STOP and START ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stop", "start"),
    [
        ("stop", "START"),
        (" Stop!! ", "unstop"),
        ("STOP.", "Yes!"),
        ("unsubscribe", "start"),
        ("stop texting me", "YES"),
        ("OPT-OUT", "Start."),
    ],
)
def test_stop_opts_out_with_one_confirmation_and_start_opts_in(
    talk: Talk, stop: str, start: str
) -> None:
    talk.say("REJECTED Acme")
    assert talk.say(stop) == replies.opted_out("en")
    assert talk.me().sms_status == "opted_out"
    run = talk.run()  # nothing can carry it now: its pending steps are cancelled
    assert run.status == "cancelled" and talk.steps(run.id, *WAITING) == []
    assert talk.say("STOP") is None  # one confirmation, not one per STOP
    reply = talk.say(start)
    assert reply is not None and reply.startswith("Welcome back, your messages are on again.")
    assert talk.me().sms_status == "active"


def test_after_stop_only_help_and_start_answer(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.say("STOP")
    for body in ("REJECTED Globex", "DONE", "NEXT", "APPLIED 2", "how are you", "PAUSE"):
        assert talk.say(body) is None, body
    assert talk.me().sms_status == "opted_out"
    assert talk.count(Run) == 1 and talk.count(Rejection) == 1
    assert talk.say("HELP") == replies.help_text("en", "onward")
    reply = talk.say("START")
    assert reply is not None and reply.startswith("Welcome back, your messages are on again.")
    assert talk.me().sms_status == "active"


def test_stop_from_a_stranger_records_an_opted_out_person(talk: Talk) -> None:
    assert talk.say("STOP") == replies.opted_out("en")
    assert talk.me().sms_status == "opted_out"
    assert talk.say("REJECTED Acme") is None and talk.count(Run) == 0


def test_sms_opt_out_leaves_email_alone(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.say("EMAIL a@b.co")
    talk.say("hello from my inbox", "a@b.co", medium="email")  # confirms the address
    talk.say("STOP")
    person = talk.me()
    assert (person.sms_status, person.email_status) == ("opted_out", "active")
    assert talk.steps(talk.run().id, *WAITING)  # the plan carries on by email


# -- HELP, PAUSE, RESUME, NEXT -------------------------------------------------------------------


@pytest.mark.parametrize("body", ["HELP", "info", "Help?"])
def test_help(talk: Talk, body: str) -> None:
    reply = talk.say(body)
    assert reply == replies.help_text("en", "onward")
    assert "STOP" in reply and "REJECTED" in reply
    assert talk.person() is None


def test_pause_holds_the_plan_and_resume_shifts_it(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    run = talk.run()
    before = {s.id: s.due_at for s in talk.steps(run.id, *WAITING)}
    assert talk.say("PAUSE") == replies.paused("en", "Friday at 07:00")
    run = talk.run()
    assert (run.status, run.pause_reason) == ("paused", "person")
    assert run.paused_until == talk.clock.now() + timedelta(days=3)
    assert talk.say("NEXT") == replies.paused_next("en", "Friday at 07:00")
    talk.later(hours=36)  # Wednesday 19:00: the check-in fell due an hour ago
    assert claimable(talk) == []  # held, not sent
    reply = talk.say("RESUME")
    assert reply is not None and reply.startswith("Welcome back. Next: a gentle check-in")
    run = talk.run()
    assert (run.status, run.paused_until, run.pause_reason) == ("active", None, None)
    for step in talk.steps(run.id, *WAITING):
        expected, _ = place_in_window(before[step.id] + timedelta(hours=36), LA, WINDOW)
        assert step.due_at == expected, step.step_key
        assert WINDOW.contains(step.due_at.astimezone(LA).time())


def test_pause_for_a_week_and_with_nothing_running(talk: Talk) -> None:
    assert talk.say("PAUSE") == replies.nothing_to_pause("en")
    talk.say("REJECTED Acme")
    assert talk.say("RESUME") == replies.nothing_paused("en")
    assert talk.say("PAUSE 1w") == replies.paused("en", "Tue 1 Dec at 07:00")
    assert talk.run().paused_until == talk.clock.now() + timedelta(weeks=1)


def test_next_names_the_local_time(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    assert talk.say("NEXT") == "Next: a gentle check-in, tomorrow at 18:00 your time."
    talk.later(days=1, hours=5)  # Wednesday 12:00 in San Francisco
    assert talk.say("what's next?") == "Next: a gentle check-in, today at 18:00 your time."


# -- DONE, APPLIED, HIRED ------------------------------------------------------------------------


def test_done_answers_the_most_recent_sent_prompt(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    run_id = talk.run().id
    assert talk.say("DONE") == replies.nothing_open("en")
    talk.mark_sent(run_id, "reflect")
    talk.later(hours=1)
    talk.mark_sent(run_id, "feedback")
    assert talk.say("done") == replies.done("en")
    assert talk.step(run_id, "feedback").answered_at == talk.clock.now()
    assert talk.step(run_id, "reflect").answered_at is None
    # The reminder of an answered prompt is skipped by the dispatcher, which reads answered_at.
    assert talk.step(run_id, "feedback.reminder").status == "pending"
    assert talk.say("DONE") == replies.nothing_open("en")


@pytest.mark.parametrize("body", ["DONE", "NEXT", "PAUSE", "APPLIED", "SMS", "TZ Europe/Paris"])
def test_commands_from_a_stranger_get_a_hint_and_create_nobody(talk: Talk, body: str) -> None:
    reply = talk.say(body)
    assert reply is not None and "REJECTED" in reply
    assert talk.count(Person) == 0


def test_applied_counts_toward_the_plans_goal(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    assert talk.say("APPLIED") == "Counted: 1 of 5. Every application is a real step forward."
    assert talk.say("applied 3") == "Counted: 4 of 5. Every application is a real step forward."
    assert talk.run().applied_count == 4
    assert talk.say("APPLIED") == replies.applied("en", 5, 5)
    talk.say("SETBACK")
    assert talk.say("APPLIED 2") == "Counted: 2 of 3. Every application is a real step forward."


def test_hired_ends_every_open_run(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.say("PAUSE")
    assert talk.say("HIRED") == replies.hired("en", ended=True)
    [run] = talk.runs()
    assert (run.status, run.ended_at) == ("completed", talk.clock.now())
    assert talk.steps(run.id, *WAITING) == []
    assert talk.say("NEXT") == replies.next_due("en", None, None)
    assert talk.say("I got the job!") == replies.hired("en", ended=False)


# -- TZ, EMAIL, SMS ------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["TZ Europe/London", "tz europe/london", "TIMEZONE Europe/London"])
def test_tz_sets_the_zone_and_replaces_steps_in_the_window(talk: Talk, body: str) -> None:
    talk.say("REJECTED Acme")
    reply = talk.say(body)
    assert reply is not None and reply.startswith("Got it, your time zone is now Europe/London.")
    person = talk.me()
    assert (person.timezone, person.timezone_source) == ("Europe/London", "user")
    london = ZoneInfo("Europe/London")
    for step in talk.steps(talk.run().id, *WAITING):
        assert WINDOW.contains(step.due_at.astimezone(london).time()), step.step_key


def test_tz_refuses_an_unknown_zone(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    assert talk.say("TZ Mars/Olympus") == replies.timezone_unknown("en", "Mars/Olympus")
    assert talk.me().timezone == "America/Los_Angeles"


def test_email_and_sms_choose_the_medium(talk: Talk) -> None:
    talk.say("REJECTED Acme", OTHER_PHONE)
    talk.say("EMAIL taken@b.co", OTHER_PHONE)
    talk.say("REJECTED Acme")
    assert talk.say("EMAIL a@b.co") == replies.email_added("en", "a@b.co")
    me = talk.me()
    assert (me.email, me.email_status, me.preferred_medium) == ("a@b.co", "unconfirmed", "email")
    assert talk.say("SMS") == replies.sms_chosen("en")
    assert talk.me().preferred_medium == "sms"
    assert talk.say("EMAIL Taken@B.co") == replies.email_taken("en")
    assert talk.me().email == "a@b.co"


def test_an_address_is_kept_in_lower_case_so_its_mail_finds_the_person(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.say("EMAIL Alice.Smith@Example.COM")
    # The web edge lower-cases an email sender; the reply must land on the same person.
    talk.say("NEXT", "alice.smith@example.com", medium="email")
    assert talk.count(Person) == 1
    person = talk.me()
    assert (person.email, person.email_status) == ("alice.smith@example.com", "active")


# -- FORGET --------------------------------------------------------------------------------------


def test_forget_yes_erases_every_row_naming_the_person(talk: Talk) -> None:
    talk.say("REJECTED Acme", OTHER_PHONE)  # someone else, who must stay
    talk.say("REJECTED Acme - Engineer")
    talk.say("EMAIL a@b.co")
    talk.say("a note from my inbox", "a@b.co", medium="email")
    talk.mark_sent(talk.run().id, "reflect")
    talk.say("It went fine until the whiteboard part.")
    talk.say("REJECTED Globex")
    person = talk.me()
    counts = talk.rows_naming(person.id)
    assert all(counts.values()), counts  # every table holds something about them first
    assert talk.say("FORGET") == replies.forget_asked("en")
    talk.later(minutes=14)
    received = talk.send("FORGET YES")
    assert (received.reply, received.handled) == (replies.forgotten("en"), True)
    assert set(talk.rows_naming(person.id).values()) == {0}
    assert talk.person() is None and talk.person("a@b.co") is None
    # Nothing they wrote is left, the FORGET messages themselves included.
    assert {m.sender for m in talk.rows(InboundMessage)} == {OTHER_PHONE}
    assert talk.person(OTHER_PHONE) is not None and talk.count(Run) == 1


def test_forget_yes_needs_a_recent_forget(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    assert talk.say("FORGET YES") == replies.forget_not_asked("en")
    talk.say("FORGET")
    talk.later(minutes=16)
    assert talk.say("forget yes") == replies.forget_not_asked("en")
    assert talk.person() is not None and talk.count(Run) == 1


# -- journal -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["The panel liked it.", "{{ 7*7 }} {% if x %}", "Ça a été dur 😔 ❤️", "word " * 1999 + "end"],
)
def test_a_reply_to_an_open_prompt_is_kept_verbatim(talk: Talk, text: str) -> None:
    talk.say("REJECTED Acme")
    run_id = talk.run().id
    talk.mark_sent(run_id, "reflect")
    assert talk.say(f"  {text} ") == replies.journal_kept("en")
    [entry] = talk.rows(JournalEntry)
    assert (entry.text, entry.step_key, entry.run_id) == (text, "reflect", run_id)
    assert talk.step(run_id, "reflect").answered_at == talk.clock.now()


def test_words_with_nothing_open_are_kept_as_a_note_of_the_running_plan(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    assert talk.say("thanks, that helps") == replies.note_kept("en")
    [entry] = talk.rows(JournalEntry)
    assert (entry.text, entry.run_id, entry.step_id) == ("thanks, that helps", talk.run().id, None)


def test_words_from_someone_with_no_plan_get_the_hint(talk: Talk) -> None:
    assert talk.say("thanks, that helps") == replies.hint("en")
    talk.say("REJECTED Acme")
    talk.say("HIRED")
    assert talk.say("thanks for everything") == replies.hint("en")
    assert talk.count(JournalEntry) == 0


# -- duty of care --------------------------------------------------------------------------------


def test_a_crisis_reply_holds_the_plan_answers_with_a_line_and_alerts(
    talk: Talk, json_logs: io.StringIO
) -> None:
    talk.say("REJECTED Acme")
    talk.mark_sent(talk.run().id, "reflect")
    alerts = crisis_alerts()
    reply = talk.say("Honestly I want to end my life")
    assert reply is not None and "988" in reply and "RESUME" in reply
    run = talk.run()
    assert (run.status, run.pause_reason, run.paused_until) == ("paused", "crisis", None)
    assert crisis_alerts() == alerts + 1
    lines = [json.loads(raw) for raw in json_logs.getvalue().splitlines()]
    [line] = [line for line in lines if "crisis phrase" in line["event"]]
    assert line["level"] == "error"
    assert PHONE not in json_logs.getvalue() and "end my life" not in json_logs.getvalue()
    talk.later(days=3)
    assert claimable(talk) == []  # nothing goes out while held, however long
    talk.say("RESUME")
    assert talk.run().status == "active" and claimable(talk) == []
    talk.later(days=1, hours=12)  # the check-in, shifted by the 3 days held, is due
    assert claimable(talk)


def test_crisis_phrases_and_lines_are_configurable(engine: Engine, clock: FakeClock) -> None:
    talk = Talk(
        engine,
        clock,
        crisis_phrases=("custom phrase",),
        crisis_lines={"US": CrisisLine("Test Line", "call 555 0100")},
    )
    talk.say("REJECTED Acme")
    reply = talk.say("this is a Custom Phrase, sadly")
    assert reply is not None and "Test Line, call 555 0100" in reply
    assert talk.run().pause_reason == "crisis"


@pytest.mark.parametrize(
    "body",
    [
        "end it all",  # reads as END, an opt-out: honoured, with the line
        "stop, i wanna die",
        "rejected again and i want to die",
        "pause i want to die",
        "setback, i want to kill myself",
        "applied 2 and i wanna die",
        "tz i cant go on",
    ],
)
def test_a_crisis_phrase_wins_over_any_command(talk: Talk, body: str) -> None:
    talk.say("REJECTED Acme")
    alerts = crisis_alerts()
    reply = talk.say(body)
    assert reply is not None and "call or text 988" in reply
    assert crisis_alerts() == alerts + 1
    assert [run.status for run in talk.runs()] in (["paused"], ["cancelled"])
    assert talk.count(Rejection) == 1 and talk.me().timezone == "America/Los_Angeles"


def test_a_stranger_in_crisis_gets_the_line_of_their_country(talk: Talk) -> None:
    assert "call 116 123" in (talk.say("I want to end my life", OTHER_PHONE) or "")
    assert "call or text 988" in (talk.say("i want to die") or "")
    assert talk.count(Person) == 0


def test_a_crisis_phrase_after_stop_still_gets_the_line(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.say("STOP")
    reply = talk.say("i can't go on")
    assert reply is not None and "988" in reply
    assert talk.me().sms_status == "opted_out"


def test_a_first_rejected_whose_person_another_replica_wrote_meanwhile_supersedes_its_run(
    talk: Talk,
) -> None:
    """Two replicas take someone's first two messages at once. One writes the person and starts
    a run; the other read nobody, and its insert of them finds the first one's row. Its REJECTED
    looks again for open runs and supersedes that one: one stream, never two."""
    from onward.engine import people
    from onward.engine.inbound import intents, rejection
    from onward.engine.inbound.context import Incoming, Sender, Turn

    talk.send("REJECTED Acme")  # the other replica's message, committed first
    now = talk.clock.now()
    with talk.sessions.begin() as session:
        person, wrote = people.add_person(session, "sms", PHONE, now)
        assert not wrote  # found, not written: the race was lost
        message = Incoming(0, "console", "sms", PHONE, "REJECTED Globex")
        sender = Sender.of_person(person)
        turn = Turn(session, talk.config, message, now, sender, run_id=None, found_racing=True)
        assert rejection.rejected(turn, intents.Rejected("Globex", "", "REJECTED"))
    assert [(run.status, run.rejection_id is not None) for run in talk.runs()] == [
        ("superseded", True),
        ("active", True),
    ]
    assert talk.count(Rejection) == 2


def test_someone_new_is_written_once_and_found_after(talk: Talk) -> None:
    from onward.engine import people

    with talk.sessions.begin() as session:
        first, wrote_first = people.add_person(session, "sms", OTHER_PHONE, talk.clock.now())
    with talk.sessions.begin() as session:
        again, wrote_again = people.add_person(session, "sms", OTHER_PHONE, talk.clock.now())
        assert (again.id, wrote_first, wrote_again) == (first.id, True, False)
    assert talk.count(Person) == 1

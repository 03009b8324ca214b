"""JOURNAL: the person receives their own journal, through the real web app and daemon.

By email (when their address is confirmed) in full, plain text and HTML, through a real SMTP
server; otherwise by SMS as a link that opens once, within 24 hours, to a plain page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, func, select, update

from onward.engine.clock import FakeClock
from onward.engine.journal import links, texts
from onward.engine.records.subject_export import collect
from onward.engine.storage.console_models import Coaching
from onward.engine.storage.journal_models import JournalCopy
from onward.engine.storage.models import Delivery, InboundMessage, Person, Run, Step
from onward.plans.sms import sms_segments
from tests.fakes.smtp_server import SmtpSink, smtp_sink
from tests.integration.web_helpers import WebRig, build_rig, engine_url

SECRET = "journal-test-secret-0123456789abcdef"
PUBLIC_URL = "https://onward.example.org"
PHONE = "+14155550100"
OTHER = "+14155550123"
SPAIN = "+34612345678"
NOTE = "Went for a long walk by the river."
ANSWER = "The panel asked about <b>SQL</b> & I froze.\nNext time I'll practise out loud."
SMS = "/webhooks/console/sms"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as running:
        yield running


def make_rig(
    db_engine: Engine, clock: FakeClock, sink: SmtpSink | None = None, secret: bool = True
) -> WebRig:
    env = {"ONWARD_PUBLIC_URL": PUBLIC_URL, "ONWARD_ORG_NAME": "Northside Careers"}
    if secret:
        env["ONWARD_SECRET_KEY"] = SECRET
    if sink is not None:
        env.update(ONWARD_SMTP_URL=sink.url(), ONWARD_EMAIL_FROM="onward@example.org")
    return build_rig(engine_url(db_engine), clock, True, **env)


@pytest.fixture
def rig(db_engine: Engine, clock: FakeClock) -> WebRig:
    return make_rig(db_engine, clock)


def text(rig: WebRig, body: str, sender: str = PHONE) -> str:
    response = rig.client.post(SMS, json={"from": sender, "body": body})
    assert response.status_code == 200, response.text
    reply = response.json()["reply"]
    assert isinstance(reply, str)
    return reply


def write_journal(rig: WebRig, clock: FakeClock, sender: str = PHONE) -> None:
    """A rejection, a note with no question open, then an answer to the reflection."""
    text(rig, "REJECTED Acme - Data Analyst", sender)
    clock.advance(timedelta(hours=30))
    text(rig, NOTE, sender)
    clock.advance(timedelta(hours=20))
    with rig.runtime.sessions.begin() as session:
        person = session.scalars(select(Person).where(Person.phone == sender)).one()
        step = session.scalars(
            select(Step)
            .join(Run, Run.id == Step.run_id)
            .where(Run.person_id == person.id, Step.step_key == "reflect")
        ).one()
        step.status, step.sent_at, step.attempts = "sent", clock.now(), 1
    clock.advance(timedelta(hours=2))
    text(rig, ANSWER, sender)


def link_path(reply: str) -> str:
    start = reply.index(PUBLIC_URL + links.PATH)
    url = reply[start:].split()[0]
    return urlsplit(url).path


def copies(rig: WebRig) -> list[JournalCopy]:
    with rig.runtime.sessions() as session:
        return list(session.scalars(select(JournalCopy).order_by(JournalCopy.id)))


def confirm_email(rig: WebRig, address: str, sender: str = PHONE) -> None:
    with rig.runtime.sessions.begin() as session:
        session.execute(
            update(Person)
            .where(Person.phone == sender)
            .values(email=address, email_status="active")
        )


# -- by email ------------------------------------------------------------------------------------


def test_a_confirmed_address_gets_the_whole_journal_by_email(
    db_engine: Engine, clock: FakeClock, sink: SmtpSink
) -> None:
    rig = make_rig(db_engine, clock, sink)
    write_journal(rig, clock)
    confirm_email(rig, "sam@example.org")
    reply = text(rig, "JOURNAL")
    assert reply.startswith(texts.emailed("en", "sam@example.org"))
    assert texts.who_reads("en", shared=False) in reply
    assert sink.messages == []  # sent by the daemon, outside the webhook's transaction
    rig.daemon.tick()
    [mail] = sink.messages
    message = mail.message
    assert mail.rcpt_tos == ["sam@example.org"]
    assert message["Subject"] == texts.email_subject("en", "Northside Careers")
    assert message["List-Unsubscribe"]  # like every email onward sends
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    words = plain.get_content()
    # Every entry, oldest first, with its date and the question it answered.
    assert words.index(NOTE) < words.index("think back to the interview with Acme")
    assert words.index("think back to the interview with Acme") < words.index("I froze.")
    assert "Wednesday, November 25, 2026" in words and "Thursday, November 26, 2026" in words
    assert "Next time I'll practise out loud." in words
    assert texts.who_reads("en", shared=False) in words
    markup = html.get_content()
    assert '<html lang="en">' in markup
    assert "&lt;b&gt;SQL&lt;/b&gt; &amp; I froze." in markup and "<b>SQL</b>" not in markup
    assert "think back to the interview with Acme" in markup
    assert "<script" not in markup
    [copy] = copies(rig)
    assert (copy.kind, copy.status, copy.token_digest) == ("email", "sent", None)
    with rig.runtime.sessions() as session:
        delivery = session.get(Delivery, copy.delivery_id)
        assert delivery is not None
        assert (delivery.status, delivery.address, delivery.step_id) == (
            "sent",
            "sam@example.org",
            None,
        )
    rig.daemon.tick()
    assert len(sink.messages) == 1  # sent once


def test_an_address_not_yet_confirmed_is_not_used(db_engine: Engine, clock: FakeClock) -> None:
    rig = make_rig(db_engine, clock, secret=False)
    write_journal(rig, clock)
    text(rig, "EMAIL sam@example.org")
    assert text(rig, "JOURNAL") == texts.confirm_first("en", "sam@example.org")
    assert copies(rig) == []


def test_a_busy_mail_server_is_tried_again_later(
    db_engine: Engine, clock: FakeClock, sink: SmtpSink
) -> None:
    rig = make_rig(db_engine, clock, sink)
    write_journal(rig, clock)
    confirm_email(rig, "sam@example.org")
    text(rig, "JOURNAL")
    sink.handler.data_reply = "451 4.3.0 try again later"
    rig.daemon.tick()
    [copy] = copies(rig)
    assert (copy.status, copy.attempts) == ("queued", 1)
    sink.handler.data_reply = None
    rig.daemon.tick()
    assert sink.messages == []  # not before its time
    clock.advance(timedelta(minutes=5))
    rig.daemon.tick()
    assert len(sink.messages) == 1
    [copy] = copies(rig)
    assert copy.status == "sent"
    with rig.runtime.sessions() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.id == copy.delivery_id, Delivery.attempts == 2)
            )
            == 1
        )  # the same delivery, sent again


# -- by SMS link ---------------------------------------------------------------------------------


def test_a_link_by_sms_opens_the_journal_once(rig: WebRig, clock: FakeClock) -> None:
    write_journal(rig, clock)
    reply = text(rig, "JOURNAL")
    assert sms_segments(reply).segments <= 2
    assert texts.who_reads("en", shared=False) in reply
    path = link_path(reply)
    page = rig.client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "script-src" not in page.headers["content-security-policy"]
    html = page.text
    assert '<html lang="en">' in html and 'name="viewport"' in html
    assert "&lt;b&gt;SQL&lt;/b&gt; &amp; I froze." in html and NOTE in html
    assert html.index(NOTE) < html.index("I froze.")
    assert "think back to the interview with Acme" in html
    assert texts.who_reads("en", shared=False) in html
    assert "<script" not in html
    again = rig.client.get(path)
    assert again.status_code == 410
    assert texts.expired_title("en") in again.text and "JOURNAL" in again.text
    assert NOTE not in again.text
    [copy] = copies(rig)
    assert (copy.kind, copy.used_at) == ("link", clock.now())


def test_a_link_works_for_24_hours_and_not_a_second_more(rig: WebRig, clock: FakeClock) -> None:
    write_journal(rig, clock)
    first, second = link_path(text(rig, "JOURNAL")), link_path(text(rig, "JOURNAL"))
    clock.advance(timedelta(hours=24))
    assert rig.client.get(first).status_code == 200
    clock.advance(timedelta(seconds=1))
    late = rig.client.get(second)
    assert late.status_code == 410 and NOTE not in late.text


def test_housekeeping_forgets_links_a_day_after_they_expired(rig: WebRig, clock: FakeClock) -> None:
    """An expired link is refused from its own signed expiry: its row is dead weight, and goes."""
    write_journal(rig, clock)
    used, unused = link_path(text(rig, "JOURNAL")), link_path(text(rig, "JOURNAL"))
    assert rig.client.get(used).status_code == 200
    clock.advance(timedelta(hours=30))
    fresh = link_path(text(rig, "JOURNAL"))
    rig.daemon.housekeeping()
    assert len(copies(rig)) == 3  # expired six hours ago: kept a day, for replicas' clocks
    clock.advance(timedelta(hours=18, seconds=1))
    rig.daemon.housekeeping()
    [kept] = copies(rig)  # only the link still open
    assert kept.expires_at is not None and kept.expires_at > clock.now()
    late = rig.client.get(unused)
    assert late.status_code == 410 and texts.expired_title("en") in late.text
    assert rig.client.get(used).status_code == 410
    assert rig.client.get(fresh).status_code == 200


def test_a_tampered_or_made_up_link_opens_nothing(rig: WebRig, clock: FakeClock) -> None:
    write_journal(rig, clock)
    path = link_path(text(rig, "JOURNAL"))
    last = path[-1]
    tampered = path[:-1] + ("A" if last != "A" else "B")
    for wrong in (tampered, links.PATH + "nothing-here", links.PATH + "a.b"):
        page = rig.client.get(wrong)
        assert page.status_code == 404, wrong
        assert NOTE not in page.text and "JOURNAL" in page.text
    assert rig.client.get(path).status_code == 200  # the real one still works, once


def test_a_link_can_never_open_anyone_else_s_journal(rig: WebRig, clock: FakeClock) -> None:
    write_journal(rig, clock)
    write_journal(rig, clock, OTHER)
    token = link_path(text(rig, "JOURNAL")).removeprefix(links.PATH)
    with rig.runtime.sessions() as session:
        mine = session.scalars(select(Person).where(Person.phone == PHONE)).one()
        theirs = session.scalars(select(Person).where(Person.phone == OTHER)).one()
    # Signed with the secret but with my link value, naming the other person: refused.
    expires = clock.now() + timedelta(hours=1)
    forged = links.token_for(SECRET, theirs.id, mine.link_key, expires, "n0nce")
    assert rig.client.get(links.PATH + forged).status_code == 404
    # My own link stops working once my link value is not the one it was made with.
    with rig.runtime.sessions.begin() as session:
        session.execute(update(Person).where(Person.id == mine.id).values(link_key="renewed"))
    assert rig.client.get(links.PATH + token).status_code == 404


def test_a_link_is_used_once_even_when_two_replicas_race(rig: WebRig, clock: FakeClock) -> None:
    write_journal(rig, clock)
    token = link_path(text(rig, "JOURNAL")).removeprefix(links.PATH)
    start, results = threading.Barrier(2), []

    def redeem() -> None:
        start.wait()
        with rig.runtime.sessions.begin() as session:
            results.append(links.redeem(session, SECRET, token, clock.now()))

    racers = [threading.Thread(target=redeem) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert sorted(type(result).__name__ for result in results) == ["Opened", "Refused"]


def test_link_previews_and_head_requests_do_not_use_the_link(rig: WebRig, clock: FakeClock) -> None:
    write_journal(rig, clock)
    path = link_path(text(rig, "JOURNAL"))
    bot = rig.client.get(
        path, headers={"User-Agent": "facebookexternalhit/1.1 Facebot Twitterbot/1.0"}
    )
    assert bot.status_code == 200 and NOTE not in bot.text
    assert rig.client.head(path).status_code == 200
    assert NOTE in rig.client.get(path).text  # the person still opens it


def test_the_link_is_not_kept_in_what_onward_stored(rig: WebRig, clock: FakeClock) -> None:
    write_journal(rig, clock)
    reply = text(rig, "JOURNAL")
    token = link_path(reply).removeprefix(links.PATH)
    with rig.runtime.sessions() as session:
        stored = session.scalars(
            select(InboundMessage.reply).where(InboundMessage.command == "journal")
        ).one()
    assert stored is not None and token not in stored
    assert f"{PUBLIC_URL}{links.PATH}***" in stored  # coaches see that a link went, not which


def test_without_a_secret_key_the_reply_offers_email(db_engine: Engine, clock: FakeClock) -> None:
    rig = make_rig(db_engine, clock, secret=False)
    write_journal(rig, clock)
    assert text(rig, "JOURNAL") == texts.unavailable("en")
    assert "EMAIL" in texts.unavailable("en")
    assert copies(rig) == []


def test_an_empty_journal_gets_a_kind_reply_and_no_link(rig: WebRig, clock: FakeClock) -> None:
    assert text(rig, "JOURNAL") == texts.empty("en")  # a stranger
    text(rig, "REJECTED Acme")
    assert text(rig, "my journal") == texts.empty("en")
    assert copies(rig) == []


def test_the_journal_speaks_the_person_s_language(rig: WebRig, clock: FakeClock) -> None:
    write_journal(rig, clock, SPAIN)
    reply = text(rig, "JOURNAL", SPAIN)
    assert texts.who_reads("es", shared=False) in reply
    assert texts.who_reads("es", shared=False) != texts.who_reads("en", shared=False)
    page = rig.client.get(link_path(reply))
    assert '<html lang="es">' in page.text
    assert texts.title("es") in page.text and "2026" in page.text
    assert "noviembre" in page.text  # dates in their language too


def test_after_share_the_texts_say_the_coach_can_read_it(rig: WebRig, clock: FakeClock) -> None:
    write_journal(rig, clock)
    text(rig, "SHARE")
    reply = text(rig, "JOURNAL")
    assert texts.who_reads("en", shared=True) in reply
    assert texts.who_reads("en", shared=True) in rig.client.get(link_path(reply)).text


def test_forget_erases_the_copies_and_their_links(
    db_engine: Engine, clock: FakeClock, sink: SmtpSink
) -> None:
    rig = make_rig(db_engine, clock, sink)
    write_journal(rig, clock)
    path = link_path(text(rig, "JOURNAL"))
    confirm_email(rig, "sam@example.org")
    text(rig, "JOURNAL")
    rig.daemon.tick()
    assert len(copies(rig)) == 2
    text(rig, "FORGET")
    text(rig, "FORGET YES")
    assert copies(rig) == []
    page = rig.client.get(path)
    assert page.status_code == 404 and NOTE not in page.text


def test_a_subject_access_export_lists_the_copies_never_a_usable_link(
    db_engine: Engine, clock: FakeClock, sink: SmtpSink
) -> None:
    rig = make_rig(db_engine, clock, sink)
    write_journal(rig, clock)
    token = link_path(text(rig, "JOURNAL")).removeprefix(links.PATH)
    confirm_email(rig, "sam@example.org")
    text(rig, "JOURNAL")
    rig.daemon.tick()
    with rig.runtime.sessions() as session:
        person = session.scalars(select(Person).where(Person.phone == PHONE)).one()
        data = collect(session, person, clock.now())
    assert [(c["how"], c["status"]) for c in data["journal_copies"]] == [
        ("link", "issued"),
        ("email", "sent"),
    ]
    assert token not in str(data)
    [emailed] = [m for m in data["messages_out"] if m["to"] == "sam@example.org"]
    assert "your journal" in emailed["text_note"]


def test_journal_is_answered_even_while_a_coach_holds_the_conversation(
    rig: WebRig, clock: FakeClock
) -> None:
    write_journal(rig, clock)
    with rig.runtime.sessions.begin() as session:
        person = session.scalars(select(Person).where(Person.phone == PHONE)).one()
        session.add(Coaching(person_id=person.id, held_since=clock.now(), updated_at=clock.now()))
    response = rig.client.post(SMS, json={"from": PHONE, "body": "how are you?"})
    assert response.json()["reply"] is None  # the coach's to answer
    assert PUBLIC_URL + links.PATH in text(rig, "JOURNAL")  # their own journal: always

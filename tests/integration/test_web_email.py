"""Email webhooks through the real app: multipart posts parsed, size limits, and immediate
replies sent as messages of their own when the provider's answer cannot carry them."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from onward.channels import (
    DeliveryStatus,
    InboundMessage,
    Medium,
    OutboundMessage,
    SendResult,
    WebhookRejected,
    WebhookRequest,
)
from onward.channels.console import ConsoleChannel
from onward.engine.channel_set import ChannelSet
from onward.engine.clock import FakeClock
from onward.engine.daemon import Daemon
from onward.engine.people import create_person
from onward.engine.plan_store import install_shipped_plans
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from onward.engine.storage.models import Delivery
from onward.engine.storage.models import InboundMessage as InboundRow
from onward.engine.web.app import WebDeps, create_app
from tests.integration.web_helpers import LOOPBACK_CLIENT, engine_url

INBOUND = "/webhooks/postbox/inbound"


@dataclass
class PostboxChannel:
    """A real in-process email channel: multipart in, sends recorded, no inline replies."""

    name = "postbox"
    medium: Medium = "email"
    max_body = 1_000_000
    rate_per_sec = 100.0
    requires: tuple[str, ...] = ()
    replies_inline = False
    outbox: list[OutboundMessage] = field(default_factory=list)

    def send(self, message: OutboundMessage) -> SendResult:
        self.outbox.append(message)
        return SendResult(provider_id=f"pb-{message.delivery_id}", status="queued")

    def parse_inbound(self, request: WebhookRequest) -> InboundMessage:
        if "from" not in request.form:
            raise WebhookRejected("no sender", status=422)
        return InboundMessage(
            channel="postbox",
            medium="email",
            provider_message_id=request.form["message_id"],
            sender=request.form["from"],
            recipient=request.form.get("to", ""),
            body=request.form.get("text", ""),
            subject=request.form.get("subject", ""),
            extra={"verified": "1"},
        )

    def parse_status(self, request: WebhookRequest) -> list[DeliveryStatus]:
        return []

    def reply_response(self, text: str | None) -> tuple[str, bytes]:
        return "application/json", b"{}"

    def check(self) -> str:
        return "ok"


@pytest.fixture
def rig(
    db_engine: Engine, clock: FakeClock
) -> Iterator[tuple[TestClient, PostboxChannel, Runtime]]:
    postbox = PostboxChannel()
    console = ConsoleChannel(keep_sent=True)
    console.output = io.StringIO()  # type: ignore[attr-defined]
    channels = ChannelSet({"sms": ("console", console), "email": ("postbox", postbox)})
    settings = load_settings({"ONWARD_DATABASE_URL": engine_url(db_engine)})
    runtime = Runtime(settings, clock, channels=channels)
    with runtime.sessions.begin() as session:
        install_shipped_plans(session, clock)
    client = TestClient(Daemon(runtime).app(), client=LOOPBACK_CLIENT)
    yield client, postbox, runtime
    client.close()
    runtime.close()


def _post(client: TestClient, **fields: str) -> int:
    files = {"attachment1": ("photo.png", b"\x89PNG" + b"0" * 100, "image/png")}
    return client.post(INBOUND, data=fields, files=files).status_code


def test_a_multipart_email_is_parsed_and_answered_by_email(
    rig: tuple[TestClient, PostboxChannel, Runtime],
) -> None:
    client, postbox, runtime = rig
    status = _post(
        client,
        message_id="<m1@mail>",
        **{"from": "Sam@Example.org"},
        subject="REJECTED Acme",
        text="It stings.",
    )
    assert status == 200
    [reply] = postbox.outbox  # sent after the response, as the provider's answer can't carry it
    assert reply.to == "sam@example.org"
    assert reply.subject == "Re: REJECTED Acme"
    assert "Acme" in reply.body and reply.unsubscribe_url
    with runtime.sessions() as session:
        [delivery] = session.scalars(select(Delivery).where(Delivery.step_id.is_(None))).all()
        # The provider's "queued" is its first word: a delivery only moves up from `sending`.
        assert (delivery.status, delivery.provider_id) == ("sending", f"pb-{delivery.id}")
    assert (
        _post(
            client, message_id="<m1@mail>", **{"from": "sam@example.org"}, subject="REJECTED Acme"
        )
        == 200
    )
    assert len(postbox.outbox) == 1  # the provider's retry is not answered twice


def test_the_emailed_reply_goes_before_the_daemons_look_for_its_wake_up(
    rig: tuple[TestClient, PostboxChannel, Runtime],
) -> None:
    """Both follow the answer to the provider; the person's reply must not wait for the daemon's
    own bookkeeping (spaced a tenth of a second apart under load)."""
    _client, postbox, runtime = rig
    replies_sent_at_each_look: list[int] = []
    deps = WebDeps(
        runtime.settings,
        runtime.clock,
        runtime.inbox,
        runtime.channels,
        replier=runtime.replier,
        after_inbound=lambda: replies_sent_at_each_look.append(len(postbox.outbox)),
    )
    with TestClient(create_app(deps), client=LOOPBACK_CLIENT) as client:
        for n, who in enumerate(("sam@example.org", "kim@example.org"), start=1):
            assert (
                _post(client, message_id=f"<w{n}@mail>", **{"from": who}, subject="REJECTED Acme")
                == 200
            )
    assert len(postbox.outbox) == 2
    assert replies_sent_at_each_look == [1, 2]


def test_a_malformed_or_oversized_email_post_is_refused_and_nothing_stored(
    rig: tuple[TestClient, PostboxChannel, Runtime],
) -> None:
    client, _postbox, runtime = rig
    broken = client.post(
        INBOUND,
        content=b'--xyz\r\nContent-Disposition: form-data; name="from"\r\n\r\nsam',
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    assert broken.status_code in (400, 422)  # a truncated body: refused, whichever layer sees it
    no_boundary = client.post(
        INBOUND, content=b"junk", headers={"content-type": "multipart/form-data"}
    )
    assert no_boundary.status_code == 400
    huge = client.post(
        INBOUND,
        data={"from": "sam@example.org", "message_id": "m2"},
        files={"a": ("big.bin", b"0" * (10 * 1024 * 1024), "application/octet-stream")},
    )
    assert huge.status_code == 413
    assert client.post(INBOUND, data={"message_id": "m3"}).status_code == 422
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(InboundRow)) == 0


@dataclass
class MailDaemon:
    client: TestClient
    daemon: Daemon
    postbox: PostboxChannel
    console: ConsoleChannel
    runtime: Runtime
    clock: FakeClock


@pytest.fixture
def mail(db_engine: Engine, clock: FakeClock) -> Iterator[MailDaemon]:
    postbox, console = PostboxChannel(), ConsoleChannel(keep_sent=True)
    console.output = io.StringIO()  # type: ignore[attr-defined]
    channels = ChannelSet({"sms": ("console", console), "email": ("postbox", postbox)})
    settings = load_settings({"ONWARD_DATABASE_URL": engine_url(db_engine)})
    runtime = Runtime(settings, clock, channels=channels)
    with runtime.sessions.begin() as session:
        install_shipped_plans(session, clock)
    daemon = Daemon(runtime)
    client = TestClient(daemon.app(), client=LOOPBACK_CLIENT)
    yield MailDaemon(client, daemon, postbox, console, runtime, clock)
    client.close()
    runtime.close()


def _email(message_id: str, text: str, subject: str = "REJECTED Acme") -> InboundMessage:
    return InboundMessage(
        channel="postbox",
        medium="email",
        provider_message_id=message_id,
        sender="sam@example.org",
        recipient="",
        body=text,
        subject=subject,
        extra={"verified": "1"},
    )


def _sms_row(mail: MailDaemon, sid: str, body: str, **stored: object) -> InboundRow:
    """A stored SMS from +14155550100, routed once (how is up to `stored`)."""
    return InboundRow(
        channel="console",
        provider_message_id=sid,
        medium="sms",
        sender="+14155550100",
        recipient="",
        subject="",
        body=body,
        received_at=mail.clock.now(),
        attempts=1,
        **stored,
    )


def test_an_emailed_reply_cut_off_with_its_webhook_goes_out_on_the_retry_once(
    mail: MailDaemon,
) -> None:
    # What a webhook that timed out leaves: the message routed, its reply never sent.
    received = mail.daemon.inbox.receive(_email("<cut@mail>", "It stings."), replies_inline=False)
    assert received.reply and mail.postbox.outbox == []
    for _ in range(2):  # the provider's retries
        status = _post(
            mail.client, message_id="<cut@mail>", **{"from": "sam@example.org"}, text="It stings."
        )
        assert status == 200
    [reply] = mail.postbox.outbox
    assert reply.body == received.reply and reply.to == "sam@example.org"
    mail.clock.advance(timedelta(minutes=5))
    mail.daemon.housekeeping()  # nothing left unanswered
    assert len(mail.postbox.outbox) == 1


def test_a_reply_to_a_message_housekeeping_routed_again_reaches_the_person_once(
    mail: MailDaemon,
) -> None:
    """Routing failed while the provider's request was open; housekeeping routes the message
    later, when nobody waits for an answer: its reply goes out as a message of its own."""
    with mail.runtime.sessions.begin() as session:  # stored, its routing failed
        session.add(
            _sms_row(
                mail, "SM-failed-once", "REJECTED Acme", error="OperationalError: deadlock detected"
            )
        )
    mail.clock.advance(timedelta(seconds=31))
    mail.daemon.housekeeping()  # routes it: the run starts, the reply is kept
    with mail.runtime.sessions() as session:
        row = session.scalars(select(InboundRow)).one()
        assert row.handled_at is not None and row.reply and row.reply_owed
    mail.clock.advance(timedelta(seconds=61))
    mail.daemon.housekeeping()
    mail.daemon.housekeeping()
    replies = [m for m in mail.console.outbox if m.body == row.reply]
    assert [m.to for m in replies] == ["+14155550100"]


def test_a_reply_given_in_the_webhook_answer_is_not_sent_again(mail: MailDaemon) -> None:
    answered = mail.client.post(
        "/webhooks/console/sms", json={"from": "+14155550100", "body": "REJECTED Acme"}
    )
    assert answered.status_code == 200 and "Acme" in answered.text
    mail.clock.advance(timedelta(minutes=2))
    mail.daemon.housekeeping()
    assert mail.console.outbox == []


def test_a_reply_more_than_an_hour_late_is_not_sent(mail: MailDaemon) -> None:
    mail.daemon.inbox.receive(_email("<old@mail>", "It stings."), replies_inline=False)
    mail.clock.advance(timedelta(hours=2))
    mail.daemon.housekeeping()
    assert mail.postbox.outbox == []


def test_replies_answered_before_an_upgrade_or_by_an_older_replica_are_not_sent_again(
    mail: MailDaemon,
) -> None:
    """A row routed by a release that kept no reply bookkeeping (before `onward db upgrade`,
    or by an older replica still serving during a rolling upgrade) had its reply answered
    inline: housekeeping must not send it a second time."""
    now = mail.clock.now()
    with mail.runtime.sessions.begin() as session:
        person = create_person(session, "sms", "+14155550100", now)
        session.add(
            _sms_row(
                mail,
                "SM-older-release",
                "HELP",
                person_id=person.id,
                handled_at=now,
                command="help",
                reply="onward helps after a job rejection. Reply STOP to stop.",
            )
        )
    mail.clock.advance(timedelta(minutes=2))
    mail.daemon.housekeeping()
    assert mail.console.outbox == []


def test_an_owed_reply_is_not_sent_after_the_person_said_stop(mail: MailDaemon) -> None:
    """Nothing after STOP but its one confirmation, however late a reply was owed."""
    rejected = mail.daemon.inbox.receive(_email("<r@mail>", "It stings."), replies_inline=False)
    stop = mail.daemon.inbox.receive(_email("<s@mail>", "STOP", subject=""), replies_inline=False)
    assert rejected.reply and stop.reply
    mail.clock.advance(timedelta(seconds=31))
    mail.daemon.housekeeping()
    assert [m.body for m in mail.postbox.outbox] == [stop.reply]

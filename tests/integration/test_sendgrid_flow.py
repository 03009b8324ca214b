"""SendGrid end to end: Inbound Parse posts into the real app (basic auth, multipart), replies
and nudges out through the real SDK to the fake v3 API, signed event batches applied once."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from onward.channels import ChannelContext
from onward.channels.console import ConsoleChannel
from onward.channels.sendgrid_email import SendgridEmailChannel
from onward.engine.channel_set import ChannelSet, channel_settings
from onward.engine.clock import FakeClock
from onward.engine.daemon import Daemon
from onward.engine.plan_store import install_shipped_plans
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from onward.engine.storage.models import Delivery, Person
from tests.fakes.sendgrid_api import (
    API_KEY,
    EventSigner,
    FakeSendgridApi,
    basic_auth,
    multipart,
    running_fake,
)
from tests.integration.web_helpers import engine_url

PUBLIC = "https://onward.example"
SENDER = "sam@example.org"
USER, PASSWORD = "parse", "parse-secret-1"


@dataclass
class MailRig:
    runtime: Runtime
    daemon: Daemon
    client: TestClient
    fake: FakeSendgridApi
    signer: EventSigner
    clock: FakeClock

    def write(self, subject: str, text: str, message_id: str, **extra: str) -> Any:
        fields = {
            "from": f"Sam Doe <{SENDER}>",
            "to": "onward@onward.example",
            "subject": subject,
            "text": text,
            "headers": f"Message-ID: <{message_id}>\nFrom: {SENDER}\n",
            "dkim": "{@example.org : pass}",
            "SPF": "pass",
            "envelope": json.dumps({"from": SENDER, "to": ["onward@onward.example"]}),
            **extra,
        }
        body, content_type = multipart(fields, {"attachment1": ("note.txt", b"hello")})
        headers = {"content-type": content_type, **basic_auth(USER, PASSWORD)}
        return self.client.post("/webhooks/sendgrid/inbound", content=body, headers=headers)

    def events(self, events: list[dict[str, Any]], signer: EventSigner | None = None) -> Any:
        body = json.dumps(events).encode()
        timestamp = int(self.clock.now().timestamp())
        headers = {
            "content-type": "application/json",
            **(signer or self.signer).sign(body, timestamp),
        }
        return self.client.post("/webhooks/sendgrid/events", content=body, headers=headers)

    def deliveries(self) -> list[Delivery]:
        with self.runtime.sessions() as session:
            return list(session.scalars(select(Delivery).order_by(Delivery.id)))

    def person(self) -> Person:
        with self.runtime.sessions() as session:
            return session.scalars(select(Person)).one()


@pytest.fixture
def rig(db_engine: Engine, clock: FakeClock) -> Iterator[MailRig]:
    signer = EventSigner()
    with running_fake() as fake:
        settings = load_settings(
            {
                "ONWARD_DATABASE_URL": engine_url(db_engine),
                "ONWARD_PUBLIC_URL": PUBLIC,
                "SENDGRID_API_KEY": API_KEY,
                "ONWARD_EMAIL_FROM": "onward@onward.example",
                "ONWARD_SENDGRID_API_BASE": fake.base_url,
                "ONWARD_SENDGRID_EVENT_PUBLIC_KEY": signer.public_key,
                "ONWARD_INBOUND_EMAIL_USER": USER,
                "ONWARD_INBOUND_EMAIL_PASSWORD": PASSWORD,
            }
        )
        context = ChannelContext(
            settings=channel_settings(settings), public_url=PUBLIC, medium="email", clock=clock.now
        )
        sms = ConsoleChannel(ChannelContext(output=io.StringIO()))
        channels = ChannelSet(
            {"sms": ("console", sms), "email": ("sendgrid", SendgridEmailChannel(context))}
        )
        runtime = Runtime(settings, clock, channels=channels)
        with runtime.sessions.begin() as session:
            install_shipped_plans(session, clock)
        daemon = Daemon(runtime)
        with TestClient(daemon.app(), client=("203.0.113.7", 443)) as client:
            yield MailRig(runtime, daemon, client, fake, signer, clock)
        runtime.close()


def test_an_emailed_rejection_is_answered_by_email_and_nudges_follow(rig: MailRig) -> None:
    answer = rig.write("REJECTED Acme - Designer", "I'm gutted.\n\n-- \nSam", "m1@example.org")
    assert answer.status_code == 200
    [reply] = rig.fake.mail_sent()
    sent = reply.json
    assert sent["personalizations"][0]["to"][0]["email"] == SENDER
    assert sent["subject"].startswith("Re: REJECTED Acme")
    assert {c["type"] for c in sent["content"]} == {"text/plain", "text/html"}
    assert sent["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert sent["headers"]["List-Unsubscribe"].startswith(f"<{PUBLIC}/unsubscribe/")
    assert rig.person().email_status == "active"  # DKIM passed: the address is theirs

    due = rig.daemon.dispatcher.earliest_due()
    assert due is not None
    rig.clock.set(due)
    assert rig.daemon.dispatcher.tick() == {"sent": 1}
    nudge = rig.fake.mail_sent()[-1].json
    [delivery] = [d for d in rig.deliveries() if d.step_id is not None and d.provider_id]
    assert nudge["custom_args"]["onward_delivery_id"] == str(delivery.id)

    event = {
        "event": "delivered",
        "sg_event_id": "ev-1",
        "sg_message_id": f"{delivery.provider_id}.filter0001",
        "timestamp": int(rig.clock.now().timestamp()),
        "onward_delivery_id": str(delivery.id),
        "email": SENDER,
    }
    assert rig.events([event]).status_code == 204
    assert rig.events([event]).status_code == 204  # the batch retried: applied once
    spam = {**event, "event": "spamreport", "sg_event_id": "ev-2"}
    assert rig.events([spam]).status_code == 204
    assert rig.person().email_status == "opted_out"
    assert [d.status for d in rig.deliveries() if d.id == delivery.id] == ["delivered"]


def test_inbound_parse_needs_its_password_and_forged_events_are_refused(rig: MailRig) -> None:
    body, content_type = multipart(
        {"from": SENDER, "to": "x@y.z", "subject": "REJECTED Acme", "text": ""}
    )
    no_auth = rig.client.post(
        "/webhooks/sendgrid/inbound", content=body, headers={"content-type": content_type}
    )
    wrong = rig.client.post(
        "/webhooks/sendgrid/inbound",
        content=body,
        headers={"content-type": content_type, **basic_auth(USER, "guess")},
    )
    assert no_auth.status_code == wrong.status_code == 401
    assert no_auth.headers["www-authenticate"].startswith("Basic")
    forged = rig.events([{"event": "delivered", "sg_event_id": "x"}], signer=EventSigner())
    assert forged.status_code == 403
    with rig.runtime.sessions() as session:
        assert session.scalars(select(Person)).first() is None
    assert rig.fake.mail_sent() == []


def test_a_reply_keeps_only_what_the_person_wrote(rig: MailRig) -> None:
    rig.write("REJECTED Acme", "", "m2@example.org")
    from onward.engine.storage.models import JournalEntry, Step

    with rig.runtime.sessions.begin() as session:
        reflect = session.scalars(select(Step).where(Step.step_key == "reflect")).one()
        reflect.status, reflect.sent_at = "sent", rig.clock.now()
    quoted = (
        "The panel liked my portfolio.\n\nOn Tue, onward wrote:\n> What went well?\n> Reply STOP"
    )
    assert rig.write("Re: A few minutes to look back", quoted, "m3@example.org").status_code == 200
    with rig.runtime.sessions() as session:
        [entry] = session.scalars(select(JournalEntry)).all()
    assert entry.text == "The panel liked my portfolio."

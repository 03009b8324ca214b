"""Twilio end to end: signed webhooks into the real app, nudges out through the real SDK to the
fake Twilio API, status callbacks back in, and Twilio's error codes acting on the person."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from onward.channels import ChannelContext
from onward.channels.console import ConsoleChannel
from onward.channels.twilio_sms import TwilioSmsChannel
from onward.engine.channel_set import ChannelSet
from onward.engine.clock import FakeClock
from onward.engine.daemon import Daemon
from onward.engine.plan_store import install_shipped_plans
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from onward.engine.storage.models import Delivery, Person, Step
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FakeTwilioApi, running_fake, sign
from tests.integration.web_helpers import engine_url

PUBLIC = "https://onward.example"
PHONE = "+14155550100"
OUR_NUMBER = "+15005550006"


@dataclass
class TwilioRig:
    runtime: Runtime
    daemon: Daemon
    client: TestClient
    fake: FakeTwilioApi
    clock: FakeClock

    def text(self, body: str, sid: str, **extra: str) -> Any:
        params = {"MessageSid": sid, "From": PHONE, "To": OUR_NUMBER, "Body": body, **extra}
        signature = sign(f"{PUBLIC}/webhooks/twilio/sms", params)
        return self.client.post(
            "/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
        )

    def status(self, delivery_id: int, sid: str, state: str, **extra: str) -> Any:
        url = f"{PUBLIC}/webhooks/twilio/status?delivery={delivery_id}"
        params = {"MessageSid": sid, "MessageStatus": state, "AccountSid": ACCOUNT_SID, **extra}
        return self.client.post(
            f"/webhooks/twilio/status?delivery={delivery_id}",
            data=params,
            headers={"X-Twilio-Signature": sign(url, params)},
        )

    def run_due(self) -> dict[str, int]:
        due = self.daemon.dispatcher.earliest_due()
        assert due is not None
        self.clock.set(due)
        return self.daemon.dispatcher.tick()

    def deliveries(self) -> list[Delivery]:
        with self.runtime.sessions() as session:
            return list(session.scalars(select(Delivery).order_by(Delivery.id)))

    def person(self) -> Person:
        with self.runtime.sessions() as session:
            return session.scalars(select(Person)).one()


@pytest.fixture
def rig(db_engine: Engine, clock: FakeClock) -> Iterator[TwilioRig]:
    env = {
        "ONWARD_DATABASE_URL": engine_url(db_engine),
        "ONWARD_PUBLIC_URL": PUBLIC,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "ONWARD_TWILIO_FROM": OUR_NUMBER,
    }
    with running_fake() as fake:
        settings = load_settings({**env, "ONWARD_TWILIO_API_BASE": fake.base_url})
        from onward.engine.channel_set import channel_settings

        context = ChannelContext(
            settings=channel_settings(settings), public_url=PUBLIC, medium="sms", clock=clock.now
        )
        email = ConsoleChannel(ChannelContext(output=io.StringIO(), medium="email"))
        channels = ChannelSet(
            {"sms": ("twilio", TwilioSmsChannel(context, timeout=0.5)), "email": ("console", email)}
        )
        runtime = Runtime(settings, clock, channels=channels)
        with runtime.sessions.begin() as session:
            install_shipped_plans(session, clock)
        daemon = Daemon(runtime)
        with TestClient(daemon.app(), client=("203.0.113.7", 443)) as client:
            yield TwilioRig(runtime, daemon, client, fake, clock)
        runtime.close()


def test_a_texted_rejection_is_answered_in_twiml_and_nudges_go_out_through_twilio(
    rig: TwilioRig,
) -> None:
    answer = rig.text("REJECTED Acme - Data Analyst", "SM001")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/xml")
    assert "<Message>" in answer.text and "Acme" in answer.text
    assert rig.text("REJECTED Acme - Data Analyst", "SM001").text == answer.text  # a retry
    assert rig.fake.messages_sent() == []  # the reply rode in the TwiML, not the API

    assert rig.run_due() == {"sent": 1}
    [request] = rig.fake.messages_sent()
    [delivery] = [d for d in rig.deliveries() if d.provider_id]
    assert request.form["To"] == PHONE and request.form["From"] == OUR_NUMBER
    assert (
        request.form["StatusCallback"] == f"{PUBLIC}/webhooks/twilio/status?delivery={delivery.id}"
    )
    assert 1 <= int(request.form["ValidityPeriod"]) <= 36000
    assert delivery.provider_id and delivery.provider_id.startswith("SM")

    sid = delivery.provider_id
    assert rig.status(delivery.id, sid, "delivered").status_code == 204
    assert rig.status(delivery.id, sid, "sent").status_code == 204  # late: never moves back
    assert [d.status for d in rig.deliveries() if d.provider_id] == ["delivered"]


def test_forged_webhooks_are_refused_and_nothing_is_stored(rig: TwilioRig) -> None:
    params = {"MessageSid": "SM002", "From": PHONE, "To": OUR_NUMBER, "Body": "REJECTED Acme"}
    forged = rig.client.post(
        "/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": "bm9wZQ=="}
    )
    missing = rig.client.post("/webhooks/twilio/sms", data=params)
    altered = dict(params, Body="STOP")
    tampered = rig.client.post(
        "/webhooks/twilio/sms",
        data=altered,
        headers={"X-Twilio-Signature": sign(f"{PUBLIC}/webhooks/twilio/sms", params)},
    )
    assert (forged.status_code, missing.status_code, tampered.status_code) == (403, 403, 403)
    with rig.runtime.sessions() as session:
        assert session.scalars(select(Person)).first() is None


def test_stop_at_the_carrier_opts_the_person_out_of_sms(rig: TwilioRig) -> None:
    rig.text("REJECTED Acme", "SM003")
    rig.fake.fail_next(status=400, code=21610, message="Attempt to send to unsubscribed recipient")
    assert rig.run_due() == {"skipped": 1}
    person = rig.person()
    assert person.sms_status == "opted_out"
    metrics = rig.client.get("/metrics").text
    assert 'onward_send_errors_total{channel="twilio",code="21610"}' in metrics
    with rig.runtime.sessions() as session:
        waiting = session.scalars(select(Step).where(Step.status == "pending")).all()
        ended = session.scalars(select(Step).where(Step.status == "cancelled")).all()
    rig.clock.advance(timedelta(days=3))
    rig.daemon.dispatcher.tick()
    assert len(rig.fake.messages_sent()) == 1  # nothing more after the carrier's STOP
    # The same as a STOP they texted: nothing else can carry the plan, so it ends (START
    # brings it back); nothing waits to be claimed.
    assert not waiting and ended


def test_a_carrier_error_hands_the_step_to_email_once(rig: TwilioRig) -> None:
    rig.text("REJECTED Acme", "SM004")
    with rig.runtime.sessions.begin() as session:
        person = session.scalars(select(Person)).one()
        person.email, person.email_status = "sam@example.org", "active"
    assert rig.run_due() == {"sent": 1}
    [delivery] = [d for d in rig.deliveries() if d.provider_id]
    assert (
        rig.status(
            delivery.id, delivery.provider_id or "", "undelivered", ErrorCode="30003"
        ).status_code
        == 204
    )
    assert rig.daemon.dispatcher.tick() == {"sent": 1}
    by_email = [
        d for d in rig.deliveries() if d.medium == "email" and d.step_id == delivery.step_id
    ]
    assert len(by_email) == 1


def test_channels_check_asks_twilio_and_never_prints_the_token(
    tmp_path: Any, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    from onward.engine.cli import main
    from onward.engine.cli.state import state

    with running_fake() as fake:
        settings = load_settings(
            {
                "ONWARD_DATABASE_URL": f"sqlite:///{tmp_path}/c.db",
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "ONWARD_TWILIO_FROM": OUR_NUMBER,
                "ONWARD_TWILIO_API_BASE": fake.base_url,
            }
        )
        state.use(Runtime(settings, clock))
        try:
            assert main(["channels", "check"]) == 0
            assert main(["channels", "list", "--json"]) == 0
            printed = capsys.readouterr().out
            assert "active" in printed and "twilio" in printed
            assert AUTH_TOKEN not in printed
            fake.auth_token = "a-different-token"
            assert main(["channels", "check"]) == 1
        finally:
            state.use(None)

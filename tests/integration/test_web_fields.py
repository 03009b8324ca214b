"""Junk in webhook fields (NUL bytes, control characters, lone surrogates) never reaches the
database: an identifier carrying it is refused with 400, a person's words are cleaned and kept.
On SQLite and PostgreSQL (which refuses NUL in text and answered 500 on every retry)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, func, select

from onward.engine.clock import FakeClock
from onward.engine.storage.models import InboundMessage
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, sign
from tests.integration.web_helpers import WebRig, build_rig, engine_url

SMS = "/webhooks/console/sms"
TWILIO_SMS = "/webhooks/twilio/sms"
PUBLIC = "https://onward.example.org"


@pytest.fixture
def twilio_rig(db_engine: Engine, clock: FakeClock) -> Iterator[WebRig]:
    rig = build_rig(
        engine_url(db_engine),
        clock,
        ONWARD_PUBLIC_URL=PUBLIC,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        ONWARD_TWILIO_FROM="+15005550006",
    )
    yield rig
    rig.client.close()
    rig.runtime.close()


def _stored(rig: WebRig) -> list[InboundMessage]:
    with rig.runtime.sessions() as session:
        return list(session.scalars(select(InboundMessage)))


def _count(rig: WebRig) -> int:
    with rig.runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(InboundMessage)) or 0


@pytest.mark.parametrize(
    "payload",
    [
        {"from": "+14155550100\u0000", "body": "hi"},
        {"from": "+14155550100", "to": "+1500555\u00000006", "body": "hi"},
        {"from": "+14155550100", "to": "+15005550006\u001b[2J", "body": "hi"},
        {"from": "+14155550100\ud800", "body": "hi"},
    ],
    ids=["NUL in from", "NUL in to", "escape in to", "lone surrogate in from"],
)
def test_junk_in_an_identifier_is_refused_with_400_and_nothing_is_stored(
    rig: WebRig, payload: dict[str, str]
) -> None:
    body = json.dumps(payload).encode()  # ASCII with \u escapes: the JSON itself is valid
    for _ in range(2):  # and again on the provider's retry: the same clear answer
        response = rig.client.post(SMS, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400, response.text
        assert "error" in response.json()
    assert _count(rig) == 0


def test_junk_in_a_persons_words_is_cleaned_and_the_message_kept(rig: WebRig) -> None:
    body = json.dumps(
        {"from": "+14155550100", "body": "REJECTED Ac\u0000me\u0007 \ud83d today\r\n\tsad"}
    )
    response = rig.client.post(SMS, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200
    (stored,) = _stored(rig)
    assert stored.body == "REJECTED Acme \ufffd today\r\n\tsad"


def test_a_nul_in_a_message_id_header_is_refused(rig: WebRig) -> None:
    response = rig.client.post(
        SMS,
        json={"from": "+14155550100", "body": "hi"},
        headers={"X-Console-Message-Id": "msg\u00001"},
    )
    assert response.status_code == 400
    assert _count(rig) == 0


@pytest.mark.parametrize("field", ["MessageSid", "To", "From", "Body"])
def test_a_signed_twilio_webhook_with_a_nul_in_any_field(twilio_rig: WebRig, field: str) -> None:
    rig = twilio_rig
    params = {
        "MessageSid": "SM" + "a" * 32,
        "AccountSid": ACCOUNT_SID,
        "From": "+14155550100",
        "To": "+15005550006",
        "Body": "REJECTED Acme",
    }
    params[field] = params[field][:5] + "\u0000" + params[field][5:]
    url = f"{PUBLIC}{TWILIO_SMS}"
    response = rig.client.post(
        TWILIO_SMS,
        content=urlencode(params).encode(),
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": sign(url, params),
        },
    )
    if field == "Body":
        assert response.status_code == 200, response.text
        (stored,) = _stored(rig)
        assert stored.body == "REJECTED Acme"
    else:
        assert response.status_code == 400, response.text
        assert _count(rig) == 0

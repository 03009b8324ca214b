"""The Twilio channel through the real twilio SDK against a fake Twilio API on 127.0.0.1."""

from __future__ import annotations

import base64
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from twilio.twiml.messaging_response import MessagingResponse

from onward.channels.base import Channel, ChannelContext, FindsSent, SendInDoubt, body_digest
from onward.channels.errors import (
    ChannelError,
    ChannelNotConfigured,
    InvalidAddress,
    PermanentSendError,
    ProviderAuthError,
    RecipientOptedOut,
    SendOutcomeUnknown,
    TransientSendError,
    WebhookRejected,
)
from onward.channels.registry import ChannelRegistry
from onward.channels.twilio_sms import MAX_VALIDITY, TwilioSmsChannel
from onward.channels.twilio_webhooks import STATES
from onward.channels.values import OutboundMessage, SendResult, WebhookRequest
from tests.fakes.twilio_api import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FakeTwilioApi,
    running_fake,
    sign,
    webhook,
)

NOW = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)

FROM = "+15005550006"
SERVICE = "MG" + "f" * 32
PUBLIC = "https://onward.example.org"
INBOUND_URL = f"{PUBLIC}/webhooks/twilio/sms"
STATUS_URL = f"{PUBLIC}/webhooks/twilio/status?delivery=42"
CLIENT_TIMEOUT = 0.3


@pytest.fixture
def fake() -> Iterator[FakeTwilioApi]:
    with running_fake() as api:
        yield api


def settings(fake: FakeTwilioApi | None = None, **overrides: str | None) -> dict[str, object]:
    values: dict[str, str | None] = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "ONWARD_TWILIO_FROM": FROM,
        "ONWARD_TWILIO_API_BASE": fake.base_url if fake else None,
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def make_channel(
    fake: FakeTwilioApi | None = None,
    clock: Callable[[], datetime] | None = lambda: NOW,
    **overrides: str | None,
) -> TwilioSmsChannel:
    context = ChannelContext(settings=settings(fake, **overrides), public_url=PUBLIC, clock=clock)
    return TwilioSmsChannel(context, timeout=CLIENT_TIMEOUT)


def outbound(**fields: Any) -> OutboundMessage:
    values: dict[str, Any] = {
        "delivery_id": 42,
        "medium": "sms",
        "to": "+15551234567",
        "body": "Rejections sting. Be gentle with yourself today — café & <3",
        "status_callback_url": STATUS_URL,
        "expires_at": NOW + timedelta(hours=2),
    }
    values.update(fields)
    return OutboundMessage(**values)


# --- sending -------------------------------------------------------------------------------


def test_send_makes_exactly_one_request_with_the_message(fake: FakeTwilioApi) -> None:
    result = make_channel(fake).send(outbound())

    [request] = fake.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.form == {
        "To": "+15551234567",
        "From": FROM,
        "Body": "Rejections sting. Be gentle with yourself today — café & <3",
        "StatusCallback": STATUS_URL,
        "ValidityPeriod": "7200",
    }
    credentials = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {credentials}"
    assert result.provider_id.startswith("SM") and len(result.provider_id) == 34
    assert result.status == "queued"


def test_a_messaging_service_wins_over_a_from_number(fake: FakeTwilioApi) -> None:
    channel = make_channel(fake, ONWARD_TWILIO_MESSAGING_SERVICE_SID=SERVICE)

    result = channel.send(outbound())

    [request] = fake.messages_sent()
    assert request.form["MessagingServiceSid"] == SERVICE
    assert "From" not in request.form
    assert result.status == "queued"  # Twilio's "accepted" while the service picks a sender


def test_without_callback_or_expiry_neither_is_sent(fake: FakeTwilioApi) -> None:
    make_channel(fake).send(outbound(status_callback_url=None, expires_at=None))

    [request] = fake.requests
    assert set(request.form) == {"To", "From", "Body"}


def test_without_a_clock_the_validity_period_is_left_to_twilio(fake: FakeTwilioApi) -> None:
    make_channel(fake, clock=None).send(outbound())

    [request] = fake.requests
    assert "ValidityPeriod" not in request.form


@pytest.mark.parametrize(
    ("expires_in", "expected"),
    [
        (timedelta(seconds=90), 90),
        (timedelta(seconds=90, milliseconds=900), 90),  # never past the window's close
        (timedelta(hours=20), MAX_VALIDITY),  # Twilio keeps a message at most ten hours
        (timedelta(milliseconds=400), 1),
        (timedelta(minutes=-5), 1),
    ],
)
def test_validity_period_runs_to_expiry_within_twilios_bounds(
    fake: FakeTwilioApi, expires_in: timedelta, expected: int
) -> None:
    make_channel(fake).send(outbound(expires_at=NOW + expires_in))

    [request] = fake.requests
    assert request.form["ValidityPeriod"] == str(expected)


def test_a_body_twilio_would_refuse_is_not_sent(fake: FakeTwilioApi) -> None:
    with pytest.raises(PermanentSendError) as raised:
        make_channel(fake).send(outbound(body="x" * 1601))

    assert raised.value.code == "body-too-long"
    assert fake.requests == []


# --- the failure table -----------------------------------------------------------------------

FAILURES = [
    pytest.param({"status": 400, "code": 21610}, RecipientOptedOut, "21610", None, id="stop"),
    pytest.param({"status": 400, "code": 21211}, InvalidAddress, "21211", None, id="to"),
    pytest.param({"status": 400, "code": 21214}, InvalidAddress, "21214", None, id="unreached"),
    pytest.param({"status": 400, "code": 21401}, InvalidAddress, "21401", None, id="number"),
    pytest.param({"status": 400, "code": 21407}, InvalidAddress, "21407", None, id="no-sms"),
    pytest.param({"status": 400, "code": 21614}, InvalidAddress, "21614", None, id="mobile"),
    pytest.param({"status": 400, "code": 21408}, PermanentSendError, "21408", None, id="geo"),
    pytest.param({"status": 400, "code": 21602}, PermanentSendError, "21602", None, id="4xx"),
    pytest.param({"status": 404, "code": 20404}, PermanentSendError, "20404", None, id="404"),
    pytest.param({"status": 401, "code": 20003}, ProviderAuthError, "20003", None, id="401"),
    pytest.param({"status": 403}, ProviderAuthError, "http-403", None, id="403"),
    pytest.param(
        {"status": 429, "code": 20429, "retry_after": "7"}, TransientSendError, None, 7, id="429"
    ),
    pytest.param({"status": 429, "code": 20429}, TransientSendError, None, None, id="20429"),
    pytest.param({"status": 400, "code": 21611}, TransientSendError, None, None, id="queue"),
    pytest.param({"status": 500}, TransientSendError, None, None, id="500"),
    pytest.param({"status": 503, "retry_after": "30"}, TransientSendError, None, 30, id="503"),
    pytest.param({"hang_seconds": 5.0}, SendOutcomeUnknown, None, None, id="timeout"),
    pytest.param({"close": True}, TransientSendError, None, None, id="dropped"),
    pytest.param(
        {"status": 201, "raw_body": "{not json"},
        SendOutcomeUnknown,
        None,
        None,
        id="bad-json-2xx",
    ),
    pytest.param(
        {"status": 502, "raw_body": "<html>Bad Gateway</html>"},
        TransientSendError,
        None,
        None,
        id="html-502",
    ),
    pytest.param(
        {"status": 400, "raw_body": "{oops"}, PermanentSendError, "http-400", None, id="bad-4xx"
    ),
]


@pytest.mark.parametrize(("fault", "error", "code", "retry_after"), FAILURES)
def test_every_failure_maps_to_what_to_do_next(
    fake: FakeTwilioApi,
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, Any],
    error: type[ChannelError],
    code: str | None,
    retry_after: int | None,
) -> None:
    fake.fail_next(**fault)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ChannelError) as raised:
        make_channel(fake).send(outbound())

    assert type(raised.value) is error
    if code is not None:
        assert isinstance(raised.value, PermanentSendError) and raised.value.code == code
    if isinstance(raised.value, TransientSendError):
        expected = None if retry_after is None else timedelta(seconds=retry_after)
        assert raised.value.retry_after == expected
    assert len(fake.messages_sent()) == 1  # the SDK never retried behind our back
    assert AUTH_TOKEN not in str(raised.value)
    assert AUTH_TOKEN not in caplog.text


def test_connection_refused_is_transient() -> None:
    with running_fake() as stopped:
        channel = make_channel(stopped)
    with pytest.raises(TransientSendError) as raised:
        channel.send(outbound())
    assert "could not reach Twilio" in str(raised.value)


def test_retry_after_as_an_http_date_counts_from_the_clock(fake: FakeTwilioApi) -> None:
    fake.fail_next(status=429, code=20429, retry_after="Mon, 06 May 2024 12:02:00 GMT")

    with pytest.raises(TransientSendError) as raised:
        make_channel(fake).send(outbound())

    assert raised.value.retry_after == timedelta(minutes=2)


def test_a_retry_after_is_never_carried_over_to_the_next_failure(fake: FakeTwilioApi) -> None:
    channel = make_channel(fake)
    fake.fail_next(status=429, code=20429, retry_after="7")
    fake.fail_next(status=500)
    with pytest.raises(TransientSendError):
        channel.send(outbound())

    with pytest.raises(TransientSendError) as second:
        channel.send(outbound())

    assert second.value.retry_after is None


def test_wrong_credentials_are_an_auth_error_that_never_shows_the_token(
    fake: FakeTwilioApi,
) -> None:
    wrong = "wrong-token-0000000000000000000"
    with pytest.raises(ProviderAuthError) as raised:
        make_channel(fake, TWILIO_AUTH_TOKEN=wrong).send(outbound())

    assert "TWILIO_AUTH_TOKEN" in str(raised.value)
    assert wrong not in str(raised.value) and AUTH_TOKEN not in str(raised.value)


# --- webhook signatures ---------------------------------------------------------------------

INBOUND = {
    "MessageSid": "SM" + "a" * 32,
    "AccountSid": ACCOUNT_SID,
    "From": "+15557654321",
    "To": FROM,
    "Body": "REJECTED Acme - designer",
    "NumMedia": "0",
}


def test_a_correctly_signed_inbound_message_is_parsed() -> None:
    message = make_channel().parse_inbound(webhook(INBOUND_URL, INBOUND))

    assert message.channel == "twilio" and message.medium == "sms"
    assert message.provider_message_id == INBOUND["MessageSid"]
    assert (message.sender, message.recipient) == ("+15557654321", FROM)
    assert message.body == "REJECTED Acme - designer"
    assert message.extra == {}


@pytest.mark.parametrize(
    ("called", "signed"),
    [
        (INBOUND_URL, INBOUND_URL),
        (INBOUND_URL, INBOUND_URL.replace(".org/", ".org:443/")),  # Twilio may sign the port
        (INBOUND_URL.replace(".org/", ".org:443/"), INBOUND_URL),
        ("http://127.0.0.1:8000/webhooks/twilio/sms", "http://127.0.0.1:8000/webhooks/twilio/sms"),
    ],
)
def test_a_signature_with_or_without_the_port_is_accepted(called: str, signed: str) -> None:
    message = make_channel().parse_inbound(
        webhook(called, INBOUND, signature=sign(signed, INBOUND))
    )
    assert message.provider_message_id == INBOUND["MessageSid"]


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(webhook(INBOUND_URL, INBOUND, signature=""), id="missing"),
        pytest.param(
            webhook(INBOUND_URL, INBOUND, auth_token="someone-elses-token"), id="other-token"
        ),
        pytest.param(webhook(INBOUND_URL, INBOUND, signature="bm90IGEgc2lnbmF0dXJl"), id="forged"),
        pytest.param(
            webhook(INBOUND_URL, INBOUND, signature=sign(INBOUND_URL, {**INBOUND, "Body": "x"})),
            id="body-altered",
        ),
        pytest.param(
            webhook(INBOUND_URL, {**INBOUND, "Extra": "1"}, signature=sign(INBOUND_URL, INBOUND)),
            id="param-added",
        ),
        pytest.param(
            webhook(
                INBOUND_URL.replace("https:", "http:"),
                INBOUND,
                signature=sign(INBOUND_URL, INBOUND),
            ),
            id="http-not-https",
        ),
        pytest.param(
            webhook(
                INBOUND_URL.replace("onward.example.org", "evil.example.org"),
                INBOUND,
                signature=sign(INBOUND_URL, INBOUND),
            ),
            id="other-host",
        ),
        pytest.param(
            webhook(INBOUND_URL + "/", INBOUND, signature=sign(INBOUND_URL, INBOUND)),
            id="trailing-slash",
        ),
        pytest.param(
            webhook(
                INBOUND_URL,
                INBOUND,
                headers={"X-Twilio-Webhooks-Signature-Settings": "key=KS1,algorithm=HMAC_SHA256"},
            ),
            id="shared-key",
        ),
    ],
)
def test_a_request_twilio_did_not_sign_for_this_url_is_refused(request_: WebhookRequest) -> None:
    channel = make_channel()
    with pytest.raises(WebhookRejected) as inbound:
        channel.parse_inbound(request_)
    with pytest.raises(WebhookRejected) as status:
        channel.parse_status(request_)
    assert inbound.value.status == status.value.status == 403
    assert AUTH_TOKEN not in str(inbound.value)


def test_status_callbacks_sign_the_query_too() -> None:
    params = {"MessageSid": "SM" + "b" * 32, "MessageStatus": "delivered"}
    other_delivery = STATUS_URL.replace("delivery=42", "delivery=43")
    with pytest.raises(WebhookRejected):
        make_channel().parse_status(
            webhook(other_delivery, params, signature=sign(STATUS_URL, params))
        )


# --- inbound fields -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opt_out_type", "answered"),
    [("STOP", "opted_out"), ("START", "opted_in"), ("HELP", "help"), ("stop", "opted_out")],
)
def test_advanced_opt_out_becomes_what_the_provider_already_answered(
    opt_out_type: str, answered: str
) -> None:
    params = {**INBOUND, "Body": "Stop", "OptOutType": opt_out_type}
    message = make_channel().parse_inbound(webhook(INBOUND_URL, params))
    assert message.provider_answered == answered
    assert message.extra == {}  # no Twilio field name travels on into the engine


def test_an_unknown_opt_out_type_is_not_taken_as_answered():
    params = {**INBOUND, "Body": "Stop", "OptOutType": "MAYBE"}
    assert make_channel().parse_inbound(webhook(INBOUND_URL, params)).provider_answered is None


def test_media_count_is_kept_and_an_empty_body_is_allowed() -> None:
    params = {**INBOUND, "Body": "", "NumMedia": "2"}
    message = make_channel().parse_inbound(webhook(INBOUND_URL, params))
    assert message.body == ""
    assert (message.attachments, message.extra) == (2, {})


@pytest.mark.parametrize("missing", ["MessageSid", "From"])
def test_a_signed_inbound_message_missing_a_field_is_unprocessable(missing: str) -> None:
    params = {key: value for key, value in INBOUND.items() if key != missing}
    with pytest.raises(WebhookRejected) as raised:
        make_channel().parse_inbound(webhook(INBOUND_URL, params))
    assert raised.value.status == 422
    assert missing in str(raised.value)


# --- status callbacks -----------------------------------------------------------------------

TWILIO_STATUSES = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "partially_delivered": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "cancelled",
}


def test_the_status_table_covers_every_outbound_twilio_status() -> None:
    assert dict(STATES) == TWILIO_STATUSES


@pytest.mark.parametrize(("twilio_status", "state"), sorted(TWILIO_STATUSES.items()))
def test_each_twilio_status_maps_to_a_delivery_state(twilio_status: str, state: str) -> None:
    params = {"MessageSid": "SM" + "c" * 32, "MessageStatus": twilio_status}

    [status] = make_channel().parse_status(webhook(STATUS_URL, params))

    assert status.state == state
    assert (status.channel, status.provider_id, status.delivery_id) == (
        "twilio",
        "SM" + "c" * 32,
        42,
    )
    assert status.error_code is None and status.consent is None


@pytest.mark.parametrize("twilio_status", ["received", "receiving", "exploded", ""])
def test_an_unknown_status_is_unprocessable(twilio_status: str) -> None:
    params = {"MessageSid": "SM" + "d" * 32, "MessageStatus": twilio_status}
    with pytest.raises(WebhookRejected) as raised:
        make_channel().parse_status(webhook(STATUS_URL, params))
    assert raised.value.status == 422


@pytest.mark.parametrize(
    ("error_code", "consent", "unreachable"),
    [
        *[(str(code), None, True) for code in range(30003, 30009)],  # the carrier could not
        ("30001", None, False),  # Twilio's own queue overflowed: nothing about the person
        ("21610", "opted_out", False),
        ("21211", "invalid", False),
        ("21614", "invalid", False),
    ],
)
def test_error_codes_are_kept_and_say_what_they_mean_for_the_address(
    error_code: str, consent: str | None, unreachable: bool
) -> None:
    params = {
        "MessageSid": "SM" + "e" * 32,
        "MessageStatus": "undelivered",
        "ErrorCode": error_code,
    }
    [status] = make_channel().parse_status(webhook(STATUS_URL, params))
    assert (status.state, status.error_code, status.consent, status.unreachable) == (
        "undelivered",
        error_code,
        consent,
        unreachable,
    )


def test_a_callback_without_our_delivery_id_is_found_by_provider_id() -> None:
    url = f"{PUBLIC}/webhooks/twilio/status"
    params = {"MessageSid": "SM" + "f" * 32, "SmsStatus": "sent"}  # the legacy field name
    [status] = make_channel().parse_status(webhook(url, params))
    assert (status.delivery_id, status.state) == (None, "sent")


def test_a_delivery_id_that_is_not_a_number_is_unprocessable() -> None:
    url = f"{PUBLIC}/webhooks/twilio/status?delivery=abc"
    params = {"MessageSid": "SM" + "f" * 32, "MessageStatus": "sent"}
    with pytest.raises(WebhookRejected) as raised:
        make_channel().parse_status(webhook(url, params))
    assert raised.value.status == 422


# --- TwiML replies --------------------------------------------------------------------------


def test_a_reply_is_twiml_with_the_text_escaped() -> None:
    text = "Sorry about Acme <3 & take care"
    content_type, body = make_channel().reply_response(text)

    assert content_type == "application/xml"
    assert b"&lt;3 &amp; take care" in body
    root = ET.fromstring(body)
    assert root.tag == "Response"
    assert [(child.tag, child.text) for child in root] == [("Message", text)]


@pytest.mark.parametrize(
    "text", [None, "", "ok", "a <b> & 'c' \"d\"", "two\nlines\r\n\ttab", "🙂 Grüße — 日本", "]]>"]
)
def test_a_reply_is_byte_for_byte_what_the_sdk_writes(text: str | None) -> None:
    expected = MessagingResponse()
    if text:
        expected.message(text)
    assert make_channel().reply_response(text)[1] == str(expected.to_xml()).encode("utf-8")


@pytest.mark.parametrize("text", [None, ""])
def test_no_reply_is_an_empty_response(text: str | None) -> None:
    content_type, body = make_channel().reply_response(text)
    assert content_type == "application/xml"
    root = ET.fromstring(body)
    assert root.tag == "Response" and list(root) == []


# --- check ----------------------------------------------------------------------------------


def test_check_fetches_the_account_and_never_shows_the_token(fake: FakeTwilioApi) -> None:
    line = make_channel(fake).check()

    assert line == "account AC01…ef is active (Full; onward test account)"
    [request] = fake.requests
    assert (request.method, request.path) == ("GET", f"/2010-04-01/Accounts/{ACCOUNT_SID}.json")


def test_check_with_a_wrong_token_is_an_auth_error(fake: FakeTwilioApi) -> None:
    with pytest.raises(ProviderAuthError) as raised:
        make_channel(fake, TWILIO_AUTH_TOKEN="not-the-token").check()
    assert "AC01…ef" in str(raised.value)
    assert "not-the-token" not in str(raised.value)


def test_check_refuses_a_suspended_account() -> None:
    with (
        running_fake(account_status="suspended") as fake,
        pytest.raises(ProviderAuthError) as raised,
    ):
        make_channel(fake).check()
    assert "suspended" in str(raised.value)


# --- configuration --------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"])
def test_a_missing_credential_names_its_variable(missing: str) -> None:
    with pytest.raises(ChannelNotConfigured) as raised:
        make_channel(None, lambda: NOW, **{missing: None})
    assert raised.value.setting == missing
    assert missing in str(raised.value)
    assert AUTH_TOKEN not in str(raised.value)


def test_a_missing_sender_names_both_ways_to_set_one() -> None:
    with pytest.raises(ChannelNotConfigured) as raised:
        make_channel(ONWARD_TWILIO_FROM="  ")
    assert "ONWARD_TWILIO_FROM" in str(raised.value)
    assert "ONWARD_TWILIO_MESSAGING_SERVICE_SID" in str(raised.value)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ONWARD_TWILIO_RATE_PER_SEC", "fast"),
        ("ONWARD_TWILIO_RATE_PER_SEC", "0"),
        ("ONWARD_TWILIO_RATE_PER_SEC", "nan"),
        ("ONWARD_TWILIO_API_BASE", "api.twilio.com"),
        ("ONWARD_TWILIO_API_BASE", "ftp://api.twilio.com"),
    ],
)
def test_a_bad_setting_names_its_variable(key: str, value: str) -> None:
    with pytest.raises(ChannelNotConfigured) as raised:
        make_channel(None, lambda: NOW, **{key: value})
    assert raised.value.setting == key


def test_the_rate_defaults_to_a_long_codes_and_can_be_raised() -> None:
    assert make_channel().rate_per_sec == 1.0
    assert make_channel(ONWARD_TWILIO_RATE_PER_SEC="30").rate_per_sec == 30.0
    assert TwilioSmsChannel.rate_per_sec == 1.0


def test_the_token_is_not_in_the_channels_repr() -> None:
    channel = make_channel()
    assert AUTH_TOKEN not in repr(channel)
    assert "AC01…ef" in repr(channel)


def test_the_registry_builds_it_from_its_entry_point() -> None:
    registry = ChannelRegistry()
    context = ChannelContext(settings=settings(), public_url=PUBLIC)

    channel = registry.create("twilio", context)
    info = registry.describe("twilio")

    assert isinstance(channel, TwilioSmsChannel) and isinstance(channel, Channel)
    assert (info.media, info.requires, info.max_body, info.problem) == (
        ("sms",),
        ("twilio",),
        1600,
        None,
    )


# --- settling a send in doubt ------------------------------------------------------------------


def _doubt(message: OutboundMessage, handed_over_at: datetime = NOW) -> SendInDoubt:
    return SendInDoubt(message.delivery_id, message.to, body_digest(message.body), handed_over_at)


def test_a_send_in_doubt_that_twilio_took_is_found_with_its_sid() -> None:
    with running_fake(clock=lambda: NOW + timedelta(seconds=1)) as fake:
        channel = make_channel(fake)
        assert isinstance(make_channel(fake), FindsSent)  # the capability, found by its shape
        other = outbound(body="Another step, to the same person")
        channel.send(other)
        sent = channel.send(outbound())
        found = channel.find_sent(_doubt(outbound()))
        assert found == SendResult(provider_id=sent.provider_id, status="queued")
        assert len(fake.lists()) == 1


@pytest.mark.parametrize(
    "doubt",
    [
        pytest.param(outbound(body="a text it never took"), id="other-text"),
        pytest.param(outbound(to="+15557654321"), id="other-person"),
    ],
)
def test_a_send_in_doubt_twilio_never_took_is_not_found(doubt: OutboundMessage) -> None:
    with running_fake(clock=lambda: NOW + timedelta(seconds=1)) as fake:
        channel = make_channel(fake)
        channel.send(outbound())
        assert channel.find_sent(_doubt(doubt)) is None


def test_the_same_text_taken_before_the_send_was_handed_over_is_not_it() -> None:
    """An earlier message with the same words (a plan may repeat one) does not settle it."""
    with running_fake(clock=lambda: NOW - timedelta(minutes=5)) as fake:
        channel = make_channel(fake)
        channel.send(outbound())
        assert channel.find_sent(_doubt(outbound(), handed_over_at=NOW)) is None


def test_a_failed_listing_is_an_error_not_a_verdict(fake: FakeTwilioApi) -> None:
    fake.fail_next(status=503)
    with pytest.raises(TransientSendError):
        make_channel(fake).find_sent(_doubt(outbound()))


def test_a_send_in_doubt_from_a_messaging_service_is_matched_by_the_service() -> None:
    with running_fake(clock=lambda: NOW + timedelta(seconds=1)) as fake:
        channel = make_channel(fake, ONWARD_TWILIO_MESSAGING_SERVICE_SID=SERVICE)
        sent = channel.send(outbound())
        found = channel.find_sent(_doubt(outbound()))
        assert found is not None and found.provider_id == sent.provider_id

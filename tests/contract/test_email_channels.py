"""The email channels against real servers: SendGrid through its real SDK and a fake v3 API,
its two webhooks signed and posted as SendGrid does, and SMTP against a real aiosmtpd."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from onward.channels.base import Channel, ChannelContext, FindsSent
from onward.channels.console import ConsoleChannel
from onward.channels.email_format import email_parts, html_to_text, reply_text
from onward.channels.errors import (
    ChannelError,
    ChannelNotConfigured,
    InvalidAddress,
    PermanentSendError,
    ProviderAuthError,
    SendOutcomeUnknown,
    TransientSendError,
    WebhookRejected,
)
from onward.channels.registry import ChannelRegistry
from onward.channels.sendgrid_email import SendgridEmailChannel
from onward.channels.smtp_email import SmtpEmailChannel
from onward.channels.values import OutboundMessage
from onward.engine.clock import FakeClock
from tests.fakes.sendgrid_api import (
    API_KEY,
    EventSigner,
    FakeSendgridApi,
    basic_auth,
    events_request,
    inbound_request,
    running_fake,
)
from tests.fakes.smtp_server import (
    CertFiles,
    free_port,
    self_signed_cert,
    silent_server,
    smtp_sink,
)

FROM = "onward <hello@onward.example>"
UNSUBSCRIBE = "https://onward.example/unsubscribe/tok123"
PARSE_USER, PARSE_PASSWORD = "parse", "inbound-pw-Secret9"
SMTP_PASSWORD = "smtp-pw-Secret7"


def outbound(**overrides: Any) -> OutboundMessage:
    values: dict[str, Any] = {
        "delivery_id": 42,
        "medium": "email",
        "to": "ada@example.com",
        "body": "Today, just rest.\n\nTomorrow: one <small> step & a walk.",
        "subject": "Be gentle with yourself",
        "unsubscribe_url": UNSUBSCRIBE,
    }
    return OutboundMessage(**{**values, **overrides})


@pytest.fixture
def fake() -> Iterator[FakeSendgridApi]:
    with running_fake() as api:
        yield api


@pytest.fixture(scope="module")
def signer() -> EventSigner:
    return EventSigner()


@pytest.fixture
def settings(fake: FakeSendgridApi, signer: EventSigner) -> dict[str, object]:
    return {
        "SENDGRID_API_KEY": API_KEY,
        "ONWARD_EMAIL_FROM": FROM,
        "ONWARD_SENDGRID_API_BASE": fake.base_url,
        "ONWARD_SENDGRID_EVENT_PUBLIC_KEY": signer.public_key,
        "ONWARD_INBOUND_EMAIL_USER": PARSE_USER,
        "ONWARD_INBOUND_EMAIL_PASSWORD": PARSE_PASSWORD,
    }


@pytest.fixture
def sendgrid(settings: dict[str, object], clock: FakeClock) -> SendgridEmailChannel:
    return SendgridEmailChannel(ChannelContext(settings=settings, clock=clock.now), timeout=0.5)


def assert_no_secret(error: BaseException, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in str(error) and secret not in repr(error.args)


# --- SendGrid: mail send through the real SDK -------------------------------------------------


def test_send_posts_one_mail_with_both_parts_custom_args_and_unsubscribe_headers(
    sendgrid: SendgridEmailChannel, fake: FakeSendgridApi
) -> None:
    result = sendgrid.send(outbound())

    [request] = fake.requests
    assert (request.method, request.path) == ("POST", "/v3/mail/send")
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    mail = request.json
    assert mail["from"] == {"email": "hello@onward.example", "name": "onward"}
    assert mail["personalizations"][0]["to"] == [{"email": "ada@example.com"}]
    assert mail["subject"] == "Be gentle with yourself"
    plain, html = mail["content"]
    assert plain == {
        "type": "text/plain",
        "value": "Today, just rest.\n\nTomorrow: one <small> step & a walk.\n",
    }
    assert html["type"] == "text/html"
    assert "<p>Today, just rest.</p>" in html["value"]
    assert "<p>Tomorrow: one &lt;small&gt; step &amp; a walk.</p>" in html["value"]
    assert mail["custom_args"] == {"onward_delivery_id": "42"}
    assert mail["headers"] == {
        "List-Unsubscribe": f"<{UNSUBSCRIBE}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert (result.provider_id, result.status) == (fake.message_ids[0], "queued")


def test_send_without_subject_or_unsubscribe_url_uses_a_kind_default(
    sendgrid: SendgridEmailChannel, fake: FakeSendgridApi
) -> None:
    sendgrid.send(outbound(subject="", unsubscribe_url=None))
    mail = fake.mail_sent()[0].json
    assert mail["subject"] == "A note from onward"
    assert "headers" not in mail


FAILURES = [
    pytest.param({"status": 429, "headers": (("Retry-After", "7"),)}, TransientSendError,
                 None, timedelta(seconds=7), id="429-retry-after"),
    pytest.param({"status": 500}, TransientSendError, None, None, id="500"),
    pytest.param({"status": 503, "headers": (("Retry-After", "120"),)}, TransientSendError,
                 None, timedelta(minutes=2), id="503"),
    pytest.param({"status": 502}, TransientSendError, None, None, id="502-unmapped-by-sdk"),
    pytest.param({"status": 401}, ProviderAuthError, None, None, id="401"),
    pytest.param({"status": 403, "errors": (("from", "does not match a verified Sender"),)},
                 ProviderAuthError, None, None, id="403"),
    pytest.param({"status": 400, "errors": (("personalizations.0.to.0.email",
                                             "Does not contain a valid address."),)},
                 InvalidAddress, "invalid_address", None, id="400-invalid-email"),
    pytest.param({"status": 400, "errors": (("subject", "The subject is required."),)},
                 PermanentSendError, "http_400", None, id="400-other"),
    pytest.param({"status": 413}, PermanentSendError, "http_413", None, id="413"),
    pytest.param({"close": True}, TransientSendError, None, None, id="connection-closed"),
]  # fmt: skip


@pytest.mark.parametrize(("fault", "error", "code", "retry_after"), FAILURES)
def test_send_failures_map_to_what_to_do_next(
    sendgrid: SendgridEmailChannel,
    fake: FakeSendgridApi,
    fault: dict[str, Any],
    error: type[ChannelError],
    code: str | None,
    retry_after: timedelta | None,
) -> None:
    fake.fail_next(**fault)
    with pytest.raises(error) as raised:
        sendgrid.send(outbound())
    assert type(raised.value) is error
    if isinstance(raised.value, PermanentSendError) and not isinstance(
        raised.value, ProviderAuthError
    ):
        assert raised.value.code == code
    if isinstance(raised.value, TransientSendError):
        assert raised.value.retry_after == retry_after
    assert len(fake.requests) == 1
    assert_no_secret(raised.value, API_KEY)


def test_rate_limit_reset_header_gives_the_wait(
    sendgrid: SendgridEmailChannel, fake: FakeSendgridApi, clock: FakeClock
) -> None:
    reset = int((clock.now() + timedelta(seconds=30)).timestamp())
    fake.fail_next(status=429, headers=(("X-RateLimit-Reset", str(reset)),))
    with pytest.raises(TransientSendError) as raised:
        sendgrid.send(outbound())
    assert raised.value.retry_after == timedelta(seconds=30)


def test_an_address_the_api_refuses_is_permanent_invalid_address(
    sendgrid: SendgridEmailChannel, fake: FakeSendgridApi
) -> None:
    with pytest.raises(InvalidAddress) as raised:
        sendgrid.send(outbound(to="ada..lovelace@example.com"))
    assert raised.value.code == "invalid_address"
    assert "valid address" in str(raised.value)
    assert len(fake.requests) == 1
    with pytest.raises(InvalidAddress) as raised:
        sendgrid.send(outbound(to="not-an-address"))
    assert raised.value.code == "invalid_address"
    assert len(fake.requests) == 1  # refused before any request


def test_a_wrong_key_is_an_auth_error_that_never_shows_the_key(
    settings: dict[str, object], fake: FakeSendgridApi
) -> None:
    wrong = "SG.wrongKeyId.wrongSecret-123456"
    channel = SendgridEmailChannel(ChannelContext(settings={**settings, "SENDGRID_API_KEY": wrong}))
    with pytest.raises(ProviderAuthError) as raised:
        channel.send(outbound())
    assert_no_secret(raised.value, wrong, API_KEY)
    assert fake.requests[0].headers["Authorization"] == f"Bearer {wrong}"


def test_connection_refused_is_transient_and_a_timeout_is_an_unknown_outcome(
    settings: dict[str, object], fake: FakeSendgridApi
) -> None:
    down = {**settings, "ONWARD_SENDGRID_API_BASE": f"http://127.0.0.1:{free_port()}"}
    with pytest.raises(TransientSendError) as refused:
        SendgridEmailChannel(ChannelContext(settings=down)).send(outbound())
    assert "could not reach SendGrid" in str(refused.value)

    fake.fail_next(hang_seconds=3.0)
    channel = SendgridEmailChannel(ChannelContext(settings=settings), timeout=0.3)
    started = time.monotonic()
    with pytest.raises(SendOutcomeUnknown) as timed_out:
        channel.send(outbound())
    assert time.monotonic() - started < 2.0
    assert "in time" in str(timed_out.value)
    assert_no_secret(timed_out.value, API_KEY)


def test_a_body_that_looks_like_an_api_key_is_refused_before_any_request(
    sendgrid: SendgridEmailChannel, fake: FakeSendgridApi
) -> None:
    with pytest.raises(PermanentSendError) as raised:
        sendgrid.send(outbound(body="SG.abcdef.ghijkl"))
    assert raised.value.code == "rejected"
    assert fake.requests == []


def test_check_asks_the_api(
    sendgrid: SendgridEmailChannel, fake: FakeSendgridApi, settings: dict[str, object]
) -> None:
    assert sendgrid.check() == "ok"
    assert (fake.requests[0].method, fake.requests[0].path) == ("GET", "/v3/scopes")
    fake.scopes = ["user.profile.read"]
    with pytest.raises(ProviderAuthError, match=r"mail\.send"):
        sendgrid.check()
    wrong = {**settings, "SENDGRID_API_KEY": "SG.nope.nope"}
    with pytest.raises(ProviderAuthError):
        SendgridEmailChannel(ChannelContext(settings=wrong)).check()
    fake.fail_next(status=503)
    with pytest.raises(TransientSendError):
        sendgrid.check()


@pytest.mark.parametrize(
    ("missing", "replacement"),
    [
        ("SENDGRID_API_KEY", None),
        ("ONWARD_EMAIL_FROM", None),
        ("ONWARD_EMAIL_FROM", "not an address"),
        ("ONWARD_SENDGRID_EVENT_PUBLIC_KEY", "bm90IGEga2V5"),
        ("ONWARD_SENDGRID_API_BASE", "ftp://example.com"),
    ],
)
def test_bad_settings_name_the_variable_and_never_the_secret(
    settings: dict[str, object], missing: str, replacement: str | None
) -> None:
    changed = {**settings, missing: replacement}
    with pytest.raises(ChannelNotConfigured) as raised:
        SendgridEmailChannel(ChannelContext(settings=changed))
    assert raised.value.setting == missing and missing in str(raised.value)
    assert_no_secret(raised.value, API_KEY, PARSE_PASSWORD)


# --- SendGrid: the signed Event Webhook -------------------------------------------------------


def signed(signer: EventSigner, events: Any, at: datetime) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(events).encode()
    return body, signer.sign(body, int(at.timestamp()))


def event(kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "email": "ada@example.com",
        "timestamp": 1795100000,
        "event": kind,
        "sg_event_id": f"ev-{kind}-{fields.get('type', '')}{fields.get('reason', '')}",
        "sg_message_id": "abcDEF123_-xyz0123456A.filter0001.16648.5515E0B88.0",
        "onward_delivery_id": "42",
        **fields,
    }


def test_signed_events_are_mapped(
    sendgrid: SendgridEmailChannel, signer: EventSigner, clock: FakeClock
) -> None:
    events = [
        event("processed"),
        event("deferred", response="400 try again later"),
        event("delivered", sg_message_id="euo2iKxdSayPF4YE4--I7A.recvd-5f54b5d587-pczjm-1-0"),
        event("bounce", type="bounce", status="5.1.1", reason="550 no such user"),
        event("bounce", type="blocked", status="4.0.0"),
        event("dropped", reason="Bounced Address"),
        event("dropped", reason="Invalid SMTPAPI header"),
        event("dropped", reason="Unsubscribed Address"),
        event("spamreport"),
        event("unsubscribe"),
        event("group_unsubscribe", asm_group_id=1),
        event("open"),
        event("click", url="https://x"),
        event("delivered", onward_delivery_id=None, sg_message_id=None),  # nothing to find it by
        "not an event",
    ]
    body, headers = signed(signer, events, clock.now())
    statuses = sendgrid.parse_status(events_request(body, headers))
    table = [(s.state, s.consent, s.error_code, s.unreachable) for s in statuses]
    assert table == [
        ("queued", None, None, False),
        ("sending", None, None, False),
        ("delivered", None, None, False),
        ("undelivered", "invalid", "5.1.1", True),  # a hard bounce: email cannot reach them
        ("undelivered", None, "4.0.0", False),
        ("failed", "invalid", "dropped", True),
        ("failed", None, "dropped", False),
        ("failed", "opted_out", "dropped", False),
        ("delivered", "opted_out", None, False),
        ("delivered", "opted_out", None, False),
        ("delivered", "opted_out", None, False),
    ]
    first = statuses[0]
    assert (first.channel, first.delivery_id, first.provider_id) == (
        "sendgrid", 42, "abcDEF123_-xyz0123456A",
    )  # fmt: skip
    assert statuses[2].provider_id == "euo2iKxdSayPF4YE4--I7A"
    assert first.event_id == "ev-processed-"
    assert first.occurred_at == datetime.fromtimestamp(1795100000, UTC)


def test_events_in_the_legacy_unique_args_find_their_delivery(
    sendgrid: SendgridEmailChannel, signer: EventSigner, clock: FakeClock
) -> None:
    late_bounce = event("bounce", type="bounce", sg_message_id=None, onward_delivery_id=None)
    late_bounce["unique_args"] = {"onward_delivery_id": "7"}
    body, headers = signed(signer, [late_bounce], clock.now())
    [status] = sendgrid.parse_status(events_request(body, headers))
    assert (status.delivery_id, status.provider_id, status.consent) == (7, None, "invalid")


@pytest.mark.parametrize("minutes_old", [0, 9, -4])
def test_a_fresh_signature_is_accepted(
    sendgrid: SendgridEmailChannel, signer: EventSigner, clock: FakeClock, minutes_old: int
) -> None:
    body, headers = signed(
        signer, [event("delivered")], clock.now() - timedelta(minutes=minutes_old)
    )
    assert len(sendgrid.parse_status(events_request(body, headers))) == 1


def test_forged_missing_and_stale_signatures_are_refused_with_403(
    sendgrid: SendgridEmailChannel, signer: EventSigner, clock: FakeClock
) -> None:
    now = clock.now()
    body, headers = signed(signer, [event("delivered")], now)
    signature, timestamp = sorted(headers.items(), key=lambda item: "Timestamp" in item[0])
    cases: dict[str, dict[str, str]] = {
        "other key": EventSigner().sign(body, int(now.timestamp())),
        "missing signature": dict([timestamp]),
        "missing timestamp": dict([signature]),
        "missing both": {},
        "garbage signature": {**headers, signature[0]: "%%%not b64"},
        "timestamp changed": {**headers, timestamp[0]: str(int(now.timestamp()) - 1)},
        "stale": signer.sign(body, int((now - timedelta(minutes=11)).timestamp())),
        "future": signer.sign(body, int((now + timedelta(minutes=6)).timestamp())),
    }
    for name, bad_headers in cases.items():
        with pytest.raises(WebhookRejected) as raised:
            sendgrid.parse_status(events_request(body, bad_headers))
        assert raised.value.status == 403, name
    tampered = body.replace(b"delivered", b"bounce")
    with pytest.raises(WebhookRejected) as raised:
        sendgrid.parse_status(events_request(tampered, headers))
    assert raised.value.status == 403


def test_a_signed_batch_that_is_not_a_json_array_is_400(
    sendgrid: SendgridEmailChannel, signer: EventSigner, clock: FakeClock
) -> None:
    for body in (b'{"event": "delivered"}', b"not json"):
        headers = signer.sign(body, int(clock.now().timestamp()))
        with pytest.raises(WebhookRejected) as raised:
            sendgrid.parse_status(events_request(body, headers))
        assert raised.value.status == 400


def test_a_public_key_pasted_as_pem_works_too(
    settings: dict[str, object], signer: EventSigner, clock: FakeClock
) -> None:
    pem = f"-----BEGIN PUBLIC KEY-----\n{signer.public_key}\n-----END PUBLIC KEY-----\n"
    pasted = {**settings, "ONWARD_SENDGRID_EVENT_PUBLIC_KEY": pem}
    channel = SendgridEmailChannel(ChannelContext(settings=pasted, clock=clock.now))
    body, headers = signed(signer, [event("delivered")], clock.now())
    assert len(channel.parse_status(events_request(body, headers))) == 1


def test_without_a_public_key_every_event_post_is_refused(
    settings: dict[str, object], signer: EventSigner, clock: FakeClock
) -> None:
    unset = {**settings, "ONWARD_SENDGRID_EVENT_PUBLIC_KEY": None}
    channel = SendgridEmailChannel(ChannelContext(settings=unset, clock=clock.now))
    body, headers = signed(signer, [event("delivered")], clock.now())
    with pytest.raises(WebhookRejected, match="ONWARD_SENDGRID_EVENT_PUBLIC_KEY") as raised:
        channel.parse_status(events_request(body, headers))
    assert raised.value.status == 403


# --- SendGrid: Inbound Parse ------------------------------------------------------------------

AUTH = basic_auth(PARSE_USER, PARSE_PASSWORD)
QUOTED_REPLY = (
    "DONE, and thank you.\n\nI wrote the reflection.\n\n"
    "-- \nAda\n\n"
    "On Tue, Nov 24, 2026 at 3:00 PM onward <hello@onward.example> wrote:\n"
    "> Take a moment to write down what went well.\n> \n> onward\n"
)
HEADERS = (
    "Received: by mx.sendgrid.net\nMessage-ID: <CAF=abc123@mail.example.com>\n"
    "From: Ada Lovelace <Ada@Example.com>\nSubject: Re: Be gentle with yourself\n"
)


def post(**fields: str) -> dict[str, str]:
    base = {
        "headers": HEADERS,
        "from": "Ada Lovelace <Ada@Example.com>",
        "to": "replies@in.onward.example",
        "subject": "Re: Be gentle with yourself",
        "text": QUOTED_REPLY,
        "envelope": json.dumps({"to": ["replies@in.onward.example"], "from": "ada@example.com"}),
        "charsets": json.dumps({"to": "UTF-8", "subject": "UTF-8", "text": "UTF-8"}),
        "SPF": "none",
        "dkim": "none",
    }
    return {k: v for k, v in {**base, **fields}.items() if v != "<omit>"}


def test_a_good_inbound_post_is_parsed_with_history_and_signature_stripped(
    sendgrid: SendgridEmailChannel,
) -> None:
    files = {"attachment1": ("cv.pdf", b"%PDF-1.4 binary \x00\xff")}
    message = sendgrid.parse_inbound(inbound_request(post(), AUTH, files))
    assert (message.channel, message.medium) == ("sendgrid", "email")
    assert (message.sender, message.recipient) == ("ada@example.com", "replies@in.onward.example")
    assert message.subject == "Re: Be gentle with yourself"
    assert message.body == "DONE, and thank you.\n\nI wrote the reflection."
    assert message.provider_message_id == "<CAF=abc123@mail.example.com>"
    assert dict(message.extra) == {}
    assert sendgrid.reply_response("hello") == ("application/json", b"{}")
    assert sendgrid.replies_inline is False


def test_an_html_only_reply_becomes_text(sendgrid: SendgridEmailChannel) -> None:
    html = (
        "<html><head><style>p {color: red}</style></head><body>"
        "<div dir='ltr'>PAUSE 1w<br>I need a &amp; break.</div><br>"
        "<div class='gmail_quote'>On Tue, Nov 24, 2026 at 3:00 PM onward wrote:<br>"
        "<blockquote><p>How are you feeling today?</p></blockquote></div></body></html>"
    )
    message = sendgrid.parse_inbound(inbound_request(post(text="<omit>", html=html), AUTH))
    assert message.body == "PAUSE 1w\nI need a & break."


@pytest.mark.parametrize(
    ("spf", "dkim", "envelope_from", "verified"),
    [
        ("none", "{@example.com : pass}", "ada@example.com", True),
        ("none", "{@mail.example.com : pass}", "ada@example.com", True),
        ("pass", "none", "bounce@mail.example.com", True),
        ("pass", "none", "attacker@evil.example", False),
        ("none", "{@evil.example : pass}", "ada@example.com", False),
        ("softfail", "{@example.com : fail}", "ada@example.com", False),
        ("none", "{@com : pass}", "ada@example.com", False),
    ],
)
def test_spf_or_dkim_for_the_senders_domain_marks_the_message_verified(
    sendgrid: SendgridEmailChannel, spf: str, dkim: str, envelope_from: str, verified: bool
) -> None:
    envelope = json.dumps({"to": ["replies@in.onward.example"], "from": envelope_from})
    message = sendgrid.parse_inbound(
        inbound_request(post(SPF=spf, dkim=dkim, envelope=envelope), AUTH)
    )
    assert (message.extra.get("verified") == "1") is verified


def test_without_a_message_id_the_id_is_a_stable_digest(sendgrid: SendgridEmailChannel) -> None:
    first = sendgrid.parse_inbound(inbound_request(post(headers="Subject: x\n"), AUTH))
    retried = sendgrid.parse_inbound(inbound_request(post(headers="Subject: x\n"), AUTH))
    other = sendgrid.parse_inbound(inbound_request(post(headers="", text="STOP"), AUTH))
    assert first.provider_message_id == retried.provider_message_id
    assert first.provider_message_id.startswith("sha256:")
    assert other.provider_message_id != first.provider_message_id


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic_auth(PARSE_USER, "wrong"),
        basic_auth("someone", PARSE_PASSWORD),
        {"Authorization": f"Bearer {PARSE_PASSWORD}"},
        {"Authorization": "Basic !!!not-base64"},
    ],
)
def test_inbound_without_the_right_basic_auth_is_401(
    sendgrid: SendgridEmailChannel, headers: dict[str, str]
) -> None:
    with pytest.raises(WebhookRejected) as raised:
        sendgrid.parse_inbound(inbound_request(post(), headers))
    assert raised.value.status == 401
    assert_no_secret(raised.value, PARSE_PASSWORD)


def test_inbound_is_refused_when_no_credentials_are_configured(
    settings: dict[str, object],
) -> None:
    unset = {**settings, "ONWARD_INBOUND_EMAIL_USER": None, "ONWARD_INBOUND_EMAIL_PASSWORD": None}
    channel = SendgridEmailChannel(ChannelContext(settings=unset))
    with pytest.raises(WebhookRejected) as raised:
        channel.parse_inbound(inbound_request(post(), AUTH))
    assert raised.value.status == 403


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"from": "<omit>"}, 422),
        ({"from": "Ada Lovelace"}, 422),
        ({"to": "<omit>", "envelope": "<omit>"}, 422),
        ({"to": "nobody", "envelope": "<omit>"}, 422),
    ],
)
def test_malformed_inbound_posts_are_4xx(
    sendgrid: SendgridEmailChannel, fields: dict[str, str], status: int
) -> None:
    with pytest.raises(WebhookRejected) as raised:
        sendgrid.parse_inbound(inbound_request(post(**fields), AUTH))
    assert raised.value.status == status


def test_an_inbound_post_that_is_not_multipart_is_400(sendgrid: SendgridEmailChannel) -> None:
    request = inbound_request(post(), AUTH)
    urlencoded = type(request)(**{**request.__dict__, "headers": {
        **request.headers, "content-type": "application/x-www-form-urlencoded"}})  # fmt: skip
    with pytest.raises(WebhookRejected) as raised:
        sendgrid.parse_inbound(urlencoded)
    assert raised.value.status == 400


def test_raw_mode_posts_carry_the_whole_mime_message(sendgrid: SendgridEmailChannel) -> None:
    raw = (
        "Message-ID: <raw-1@example.com>\nFrom: ada@example.com\nTo: r@in.onward.example\n"
        "Subject: NEXT\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"
        "What is next?\n\n> old stuff\n"
    )
    fields = post(text="<omit>", headers="<omit>", email=raw)
    message = sendgrid.parse_inbound(inbound_request(fields, AUTH))
    assert (message.body, message.provider_message_id) == ("What is next?", "<raw-1@example.com>")


# --- the shared email format ------------------------------------------------------------------


def test_email_parts_escape_and_make_paragraphs() -> None:
    parts = email_parts("Hi <Ada>,\r\nline two\r\n\r\n\r\nA & B")
    assert parts.text == "Hi <Ada>,\nline two\n\n\nA & B\n"
    assert "<p>Hi &lt;Ada&gt;,<br>\nline two</p>\n<p>A &amp; B</p>" in parts.html


def test_reply_text_keeps_a_reply_that_is_all_quotes_rather_than_lose_it() -> None:
    assert reply_text("STOP\n\nSent from my iPhone", None) == "STOP"
    assert reply_text("> quoted\nmine below", None) == "mine below"
    assert reply_text("", None) == ""
    assert html_to_text("<p>a</p><ul><li>one</li><li>two</li></ul>") == "a\none\ntwo"


# --- SMTP against a real aiosmtpd -------------------------------------------------------------


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> CertFiles:
    return self_signed_cert(tmp_path_factory.mktemp("tls"))


def smtp_channel(
    url: str | None, clock: FakeClock | None = None, **extra: object
) -> SmtpEmailChannel:
    settings = {"ONWARD_SMTP_URL": url, "ONWARD_EMAIL_FROM": FROM, **extra}
    context = ChannelContext(settings=settings, clock=clock.now if clock else None)
    return SmtpEmailChannel(context, timeout=2.0)


def test_smtp_delivers_a_message_with_headers_and_both_parts(clock: FakeClock) -> None:
    with smtp_sink() as sink:
        result = smtp_channel(sink.url(), clock).send(outbound())
    [received] = sink.messages
    assert (received.mail_from, received.rcpt_tos) == ("hello@onward.example", ["ada@example.com"])
    email = received.message
    assert email["From"] == FROM and email["To"] == "ada@example.com"
    assert email["Subject"] == "Be gentle with yourself"
    assert email["Message-ID"] == result.provider_id and result.status == "sent"
    assert result.provider_id.endswith("@onward.example>")
    assert parsedate_to_datetime(email["Date"]) == clock.now()
    assert email["X-Onward-Delivery"] == "42"
    assert email["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain = email.get_body(preferencelist=("plain",))
    html = email.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert (
        plain.get_content().replace("\r\n", "\n")
        == "Today, just rest.\n\nTomorrow: one <small> step & a walk.\n"
    )
    assert "one &lt;small&gt; step &amp; a walk." in html.get_content()


@pytest.mark.parametrize("query", ["", "starttls=required"])
def test_smtp_starttls_with_auth(cert: CertFiles, query: str) -> None:
    users = {"onward": SMTP_PASSWORD}
    with smtp_sink("starttls", cert, users, auth_required=True, require_starttls=True) as sink:
        channel = smtp_channel(
            sink.url("onward", SMTP_PASSWORD, query), ONWARD_SMTP_CA_FILE=str(cert.cert)
        )
        channel.send(outbound())
        assert channel.check() == "ok"
    assert len(sink.messages) == 1
    assert sink.authenticator is not None and sink.authenticator.attempts == ["onward"] * 2


def test_smtps_implicit_tls(cert: CertFiles) -> None:
    with smtp_sink("implicit", cert, {"onward": SMTP_PASSWORD}) as sink:
        url = sink.url("onward", SMTP_PASSWORD)
        assert url.startswith("smtps://")
        smtp_channel(url, ONWARD_SMTP_CA_FILE=str(cert.cert)).send(outbound())
    assert len(sink.messages) == 1


def test_an_untrusted_certificate_holds_the_channel(cert: CertFiles) -> None:
    with smtp_sink("starttls", cert) as sink, pytest.raises(ProviderAuthError, match="certif"):
        smtp_channel(sink.url()).send(outbound())
    assert sink.messages == []


def test_starttls_required_but_not_offered_holds_the_channel() -> None:
    with smtp_sink() as sink, pytest.raises(ProviderAuthError, match="STARTTLS"):
        smtp_channel(sink.url(query="starttls=required")).send(outbound())
    assert sink.messages == []


def test_a_refused_login_is_an_auth_error_without_the_password(cert: CertFiles) -> None:
    with smtp_sink("starttls", cert, {"onward": SMTP_PASSWORD}, auth_required=True) as sink:
        channel = smtp_channel(
            sink.url("onward", "wrong-pw-Zz"), ONWARD_SMTP_CA_FILE=str(cert.cert)
        )
        with pytest.raises(ProviderAuthError) as raised:
            channel.send(outbound())
        assert "535" in str(raised.value)
        assert_no_secret(raised.value, "wrong-pw-Zz", SMTP_PASSWORD)
        anonymous = smtp_channel(sink.url(), ONWARD_SMTP_CA_FILE=str(cert.cert))
        with pytest.raises(ProviderAuthError, match="530"):
            anonymous.send(outbound())
        with pytest.raises(ProviderAuthError):
            channel.check()


SMTP_REPLIES = [
    pytest.param("rcpt_reply", "451 4.3.0 try later", TransientSendError, None, id="451-rcpt"),
    pytest.param("data_reply", "451 4.3.0 queue full", TransientSendError, None, id="451-data"),
    pytest.param("mail_reply", "421 4.7.0 slow down", TransientSendError, None, id="421-mail"),
    pytest.param("rcpt_reply", "550 5.1.1 no such user", InvalidAddress, "invalid_address",
                 id="550-rcpt"),
    pytest.param("rcpt_reply", "553 5.1.3 bad address syntax", InvalidAddress,
                 "invalid_address", id="553-rcpt"),
    pytest.param("data_reply", "552 5.3.4 message too big", PermanentSendError, "smtp_552",
                 id="552-data"),
    pytest.param("data_reply", "550 5.7.1 content rejected", PermanentSendError, "smtp_550",
                 id="550-data-not-the-address"),
    pytest.param("mail_reply", "553 5.7.1 sender not allowed", PermanentSendError, "smtp_553",
                 id="553-mail-not-the-recipient"),
]  # fmt: skip


@pytest.mark.parametrize(("hook", "reply", "error", "code"), SMTP_REPLIES)
def test_smtp_replies_map_to_what_to_do_next(
    hook: str, reply: str, error: type[ChannelError], code: str | None
) -> None:
    with smtp_sink() as sink:
        setattr(sink.handler, hook, reply)
        with pytest.raises(error) as raised:
            smtp_channel(sink.url()).send(outbound())
    assert type(raised.value) is error
    assert reply.split()[0] in str(raised.value)
    if isinstance(raised.value, PermanentSendError):
        assert raised.value.code == code
    assert sink.messages == []


def test_smtp_server_down_or_silent_is_transient() -> None:
    with pytest.raises(TransientSendError):
        smtp_channel(f"smtp://127.0.0.1:{free_port()}").send(outbound())
    with silent_server() as port:
        channel = SmtpEmailChannel(
            ChannelContext(
                settings={"ONWARD_SMTP_URL": f"smtp://127.0.0.1:{port}", "ONWARD_EMAIL_FROM": FROM}
            ),
            timeout=0.3,
        )
        with pytest.raises(TransientSendError):
            channel.send(outbound())
        with pytest.raises(TransientSendError):
            channel.check()


def test_a_timeout_after_the_message_went_out_is_an_unknown_outcome_never_a_retry() -> None:
    """The server may have taken the message when it falls silent after DATA: sending again
    could give the person the same nudge twice."""
    with smtp_sink() as sink:
        sink.handler.data_stall = 1.0
        channel = SmtpEmailChannel(
            ChannelContext(settings={"ONWARD_SMTP_URL": sink.url(), "ONWARD_EMAIL_FROM": FROM}),
            timeout=0.3,
        )
        with pytest.raises(SendOutcomeUnknown, match="may have taken"):
            channel.send(outbound())
    assert len(sink.messages) == 1  # it had: a retry would have been a second copy


def test_smtp_takes_no_webhooks() -> None:
    channel = smtp_channel("smtp://127.0.0.1:2525")
    request = events_request(b"[]", {})
    for parse in (channel.parse_inbound, channel.parse_status):
        with pytest.raises(WebhookRejected, match="no webhooks") as raised:
            parse(request)
        assert raised.value.status == 403


@pytest.mark.parametrize(
    ("url", "setting"),
    [
        (None, "ONWARD_SMTP_URL"),
        (f"http://u:{SMTP_PASSWORD}@host", "ONWARD_SMTP_URL"),
        (f"smtp://u:{SMTP_PASSWORD}@", "ONWARD_SMTP_URL"),
        (f"smtp://u:{SMTP_PASSWORD}@host:99999", "ONWARD_SMTP_URL"),
        (f"smtp://u:{SMTP_PASSWORD}@host?starttls=maybe", "ONWARD_SMTP_URL"),
        (f"smtp://u:{SMTP_PASSWORD}@host?tls=1", "ONWARD_SMTP_URL"),
        (f"smtp://u@host?{SMTP_PASSWORD}", "ONWARD_SMTP_URL"),
    ],
)
def test_bad_smtp_settings_name_the_variable_never_the_password(
    url: str | None, setting: str
) -> None:
    with pytest.raises(ChannelNotConfigured) as raised:
        smtp_channel(url)
    assert raised.value.setting == setting and setting in str(raised.value)
    assert_no_secret(raised.value, SMTP_PASSWORD)


def test_a_percent_encoded_login_is_decoded(cert: CertFiles) -> None:
    users = {"me@onward.example": "p@ss:word/1"}
    with smtp_sink("starttls", cert, users, auth_required=True) as sink:
        url = sink.url("me%40onward.example", "p%40ss%3Aword%2F1")
        smtp_channel(url, ONWARD_SMTP_CA_FILE=str(cert.cert)).send(outbound())
    assert len(sink.messages) == 1


def test_missing_ca_file_is_a_configuration_error() -> None:
    with pytest.raises(ChannelNotConfigured) as raised:
        smtp_channel("smtp://h", ONWARD_SMTP_CA_FILE=str(Path("/nonexistent/ca.pem")))
    assert raised.value.setting == "ONWARD_SMTP_CA_FILE"


def test_both_channels_meet_the_protocol(sendgrid: SendgridEmailChannel) -> None:
    assert isinstance(sendgrid, Channel)
    assert isinstance(smtp_channel("smtp://127.0.0.1"), Channel)


def test_the_registry_builds_both_from_their_entry_points(settings: dict[str, object]) -> None:
    registry = ChannelRegistry()
    assert isinstance(registry.create("sendgrid", ChannelContext(settings=settings)), Channel)
    smtp_settings = {"ONWARD_SMTP_URL": "smtp://127.0.0.1", "ONWARD_EMAIL_FROM": FROM}
    assert isinstance(registry.create("smtp", ChannelContext(settings=smtp_settings)), Channel)


def test_debug_logging_never_shows_the_api_key(
    sendgrid: SendgridEmailChannel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sendgrid.send(outbound())
    assert API_KEY not in caplog.text


def test_email_channels_cannot_settle_a_send_in_doubt(sendgrid: SendgridEmailChannel) -> None:
    """Neither SMTP nor SendGrid (without its paid activity API) can say what it took: a send
    left in doubt stays `unknown` for an operator, and onward never guesses."""
    assert not isinstance(sendgrid, FindsSent)
    assert not isinstance(smtp_channel("smtp://127.0.0.1:2525"), FindsSent)
    assert not isinstance(ConsoleChannel(ChannelContext(output=io.StringIO())), FindsSent)

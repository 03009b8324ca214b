"""The console channel: framed printing, the outbox, and `onward simulate`'s inbound JSON."""

from __future__ import annotations

import io
import json
import re
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onward.channels import (
    Channel,
    ChannelContext,
    Medium,
    OutboundMessage,
    PermanentSendError,
    WebhookRejected,
    WebhookRequest,
)
from onward.channels.console import ConsoleChannel


def console(medium: Medium | None = None) -> tuple[ConsoleChannel, io.StringIO]:
    output = io.StringIO()
    return ConsoleChannel(ChannelContext(output=output, medium=medium), keep_sent=True), output


def request(
    payload: object,
    *,
    host: str | None = "127.0.0.1",
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> WebhookRequest:
    return WebhookRequest(
        method="POST",
        url="http://127.0.0.1:8000/webhooks/console/sms",
        path="/webhooks/console/sms",
        headers={"Content-Type": content_type, **(headers or {})},
        query={},
        form={},
        body=json.dumps(payload).encode() if raw is None else raw,
        client_host=host,
    )


def test_it_is_a_channel_for_either_medium() -> None:
    sms, _ = console()
    email, _ = console("email")
    assert isinstance(sms, Channel) and isinstance(email, Channel)
    assert (sms.medium, email.medium) == ("sms", "email")
    assert sms.check() == "ok"


def test_send_prints_a_framed_nudge_and_keeps_it() -> None:
    channel, output = console()
    message = OutboundMessage(
        delivery_id=12, medium="sms", to="+14155550100", body="Be kind to you."
    )
    result = channel.send(message)
    assert output.getvalue() == (
        "── onward → +14155550100 (sms) · delivery 12 ───────────────────────────\n"
        "Be kind to you.\n"
        "────────────────────────────────────────────────────────────────────────\n"
    )
    assert channel.outbox == [message]
    assert result.status == "delivered"
    assert re.fullmatch(r"console-[0-9a-f]{32}", result.provider_id)


def test_email_frames_show_the_subject() -> None:
    channel, output = console("email")
    channel.send(
        OutboundMessage(
            delivery_id=3, medium="email", to="jo@example.com", subject="A quiet day", body="Rest."
        )
    )
    lines = output.getvalue().splitlines()
    assert lines[0].startswith("── onward → jo@example.com (email) · delivery 3 ──")
    assert lines[1:4] == ["Subject: A quiet day", "", "Rest."]


def test_each_send_gets_its_own_provider_id() -> None:
    channel, _ = console()
    message = OutboundMessage(delivery_id=1, medium="sms", to="+15550100", body="hi")
    assert channel.send(message).provider_id != channel.send(message).provider_id


def test_without_a_stream_it_prints_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    ConsoleChannel(ChannelContext()).send(
        OutboundMessage(delivery_id=5, medium="sms", to="+15550100", body="hello")
    )
    assert "delivery 5" in capsys.readouterr().out


def test_sends_from_many_threads_never_interleave() -> None:
    channel, output = console()

    def send_many(worker: int) -> None:
        for n in range(25):
            number = worker * 100 + n
            channel.send(
                OutboundMessage(delivery_id=number, medium="sms", to="+1", body=f"body {number}")
            )

    threads = [threading.Thread(target=send_many, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(channel.outbox) == 200
    lines = output.getvalue().splitlines()
    assert len(lines) == 600
    for header, body, _rule in zip(lines[::3], lines[1::3], lines[2::3], strict=True):
        number = re.search(r"delivery (\d+)", header)
        assert number is not None and body == f"body {number.group(1)}"


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (OutboundMessage(delivery_id=1, medium="sms", to="  ", body="hi"), "no-address"),
        (OutboundMessage(delivery_id=1, medium="sms", to="+1", body="é" * 40_000), "body-too-long"),
    ],
)
def test_sends_it_cannot_make_fail_for_good(message: OutboundMessage, code: str) -> None:
    channel, output = console()
    with pytest.raises(PermanentSendError) as caught:
        channel.send(message)
    assert caught.value.code == code
    assert channel.outbox == [] and output.getvalue() == ""


def test_parse_inbound_reads_simulate_json() -> None:
    channel, _ = console()
    message = channel.parse_inbound(
        request(
            {"from": "  +14155550100 ", "to": "+18005550000", "body": " REJECTED Acme "},
            headers={"X-Console-Message-Id": "sim-1"},
        )
    )
    assert message.channel == "console" and message.medium == "sms"
    assert message.provider_message_id == "sim-1"
    assert message.sender == "+14155550100"
    assert message.recipient == "+18005550000"
    assert message.body == " REJECTED Acme "
    assert message.received_at is None


def test_parse_inbound_fills_in_what_simulate_leaves_out() -> None:
    channel, _ = console("email")
    first = channel.parse_inbound(
        request({"from": "jo@example.com", "body": "", "subject": "STOP"})
    )
    second = channel.parse_inbound(request({"from": "jo@example.com", "body": ""}))
    assert first.medium == "email" and first.subject == "STOP" and first.body == ""
    assert first.recipient == "console"
    assert first.provider_message_id != second.provider_message_id


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.10.0.3", "::1", "::ffff:127.0.0.1", "localhost"]
)
def test_loopback_callers_are_let_in(host: str) -> None:
    channel, _ = console()
    assert channel.parse_inbound(request({"from": "+1", "body": "hi"}, host=host)).sender == "+1"


@pytest.mark.parametrize("host", [None, "10.0.0.5", "203.0.113.9", "::ffff:10.0.0.1", "testclient"])
def test_callers_from_elsewhere_are_refused(host: str | None) -> None:
    channel, _ = console()
    with pytest.raises(WebhookRejected) as caught:
        channel.parse_inbound(request({"from": "+1", "body": "hi"}, host=host))
    assert caught.value.status == 403


@pytest.mark.parametrize(
    ("kwargs", "status", "says"),
    [
        ({"raw": b"{not json"}, 400, "not valid JSON"),
        ({"raw": b"\xff\xfe"}, 400, "not valid JSON"),
        ({"content_type": "text/plain"}, 400, "application/json, not text/plain"),
        ({"payload": ["+1", "hi"]}, 422, "must be a JSON object"),
        ({"payload": {"body": "hi"}}, 422, "'from' must be a non-empty string"),
        ({"payload": {"from": "  ", "body": "hi"}}, 422, "'from' must be a non-empty string"),
        ({"payload": {"from": 4155550100, "body": "hi"}}, 422, "'from' must be"),
        ({"payload": {"from": "+1"}}, 422, "'body' must be a string"),
        ({"payload": {"from": "+1", "body": 7}}, 422, "'body' must be a string"),
        ({"payload": {"from": "+1", "body": "", "to": 5}}, 422, "'to' must be a string"),
        ({"payload": {"from": "+1", "text": "hi", "body": ""}}, 422, "unknown fields 'text'"),
    ],
)
def test_bad_inbound_is_rejected_clearly(kwargs: dict[str, object], status: int, says: str) -> None:
    channel, _ = console()
    payload = kwargs.pop("payload", {"from": "+1", "body": "hi"})
    with pytest.raises(WebhookRejected) as caught:
        channel.parse_inbound(request(payload, **kwargs))  # type: ignore[arg-type]
    assert caught.value.status == status
    assert says in str(caught.value)


@settings(max_examples=50, deadline=None)
@given(body=st.text())
def test_any_body_arrives_unchanged(body: str) -> None:
    channel, _ = console()
    assert channel.parse_inbound(request({"from": "+1", "body": body})).body == body


def test_status_callbacks_never_come() -> None:
    channel, _ = console()
    assert channel.parse_status(request({})) == []


@pytest.mark.parametrize(
    ("text", "reply"), [("Take today gently.", "Take today gently."), (None, None)]
)
def test_reply_response_is_json(text: str | None, reply: str | None) -> None:
    channel, _ = console()
    content_type, body = channel.reply_response(text)
    assert content_type == "application/json"
    assert json.loads(body) == {"reply": reply}


def test_what_was_sent_is_kept_only_when_asked_for() -> None:
    daemon = ConsoleChannel(ChannelContext(output=io.StringIO()))
    kept = ConsoleChannel(ChannelContext(output=io.StringIO()), keep_sent=True)
    for n in range(3):
        message = OutboundMessage(to="+14155550100", body=f"nudge {n}", medium="sms", delivery_id=n)
        daemon.send(message)
        kept.send(message)
    assert daemon.outbox == []  # a long-running daemon does not grow with every nudge
    assert [m.body for m in kept.outbox] == ["nudge 0", "nudge 1", "nudge 2"]

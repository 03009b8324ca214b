"""The channel protocol's values: the delivery-state ladder, errors and their messages, contexts."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import get_args

import pytest

from onward.channels import (
    STATE_RANK,
    TERMINAL_STATES,
    ChannelContext,
    ChannelError,
    ChannelNotConfigured,
    ChannelUnavailable,
    DeliveryState,
    NotAChannel,
    PermanentSendError,
    RecipientOptedOut,
    TransientSendError,
    UnknownChannel,
    WebhookRejected,
    WebhookRequest,
    can_advance,
)

ALL_STATES: tuple[DeliveryState, ...] = get_args(DeliveryState)


def test_every_state_has_a_rank() -> None:
    assert set(STATE_RANK) == set(ALL_STATES)


def test_the_happy_path_climbs() -> None:
    path: list[DeliveryState] = ["queued", "sending", "sent", "delivered"]
    ranks = [STATE_RANK[state] for state in path]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)


def test_terminal_states_share_the_top_rung() -> None:
    assert {"delivered", "undelivered", "failed", "missed", "cancelled"} == TERMINAL_STATES
    top = max(STATE_RANK.values())
    assert all(STATE_RANK[state] == top for state in TERMINAL_STATES)


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("queued", "sending", True),
        ("sending", "sent", True),
        ("sent", "delivered", True),
        ("queued", "delivered", True),
        ("delivered", "sent", False),  # a late "sent" never overwrites "delivered"
        ("delivered", "queued", False),
        ("sent", "sent", False),  # a repeated callback changes nothing
        ("sent", "undelivered", True),
        ("sending", "failed", True),
        ("delivered", "failed", False),  # the first terminal state wins
        ("failed", "delivered", False),
        ("sending", "unknown", True),  # the send call timed out
        ("unknown", "delivered", True),  # ... and the callback tells us after all
        ("unknown", "sending", False),
        ("sent", "unknown", False),
        ("queued", "cancelled", True),
        ("cancelled", "queued", False),
        ("missed", "sent", False),
    ],
)
def test_can_advance(current: DeliveryState, new: DeliveryState, allowed: bool) -> None:
    assert can_advance(current, new) is allowed


def test_no_pair_moves_both_ways_and_terminal_states_never_move() -> None:
    for current, new in itertools.product(ALL_STATES, repeat=2):
        assert not (can_advance(current, new) and can_advance(new, current))
        if current in TERMINAL_STATES:
            assert not can_advance(current, new)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (ChannelError(), "A channel failed."),
        (TransientSendError(), "The provider could not take the message now; try again later."),
        (
            PermanentSendError(),
            "The provider refused the message; sending it again will not help.",
        ),
        (
            RecipientOptedOut(),
            "The recipient has opted out with the provider; send nothing more on this medium.",
        ),
        (WebhookRejected(), "The webhook request was refused."),
        (ChannelUnavailable(), "The channel cannot be loaded; install what it needs."),
        (UnknownChannel(), "No channel is registered under that name."),
        (NotAChannel(), "The registered object does not build a channel."),
    ],
)
def test_errors_default_to_their_docstring(error: ChannelError, message: str) -> None:
    assert str(error) == message == error.message
    assert isinstance(error, ChannelError)


def test_a_given_message_wins_over_the_docstring() -> None:
    assert str(PermanentSendError("number is a landline", code="21614")) == "number is a landline"


def test_errors_carry_what_the_caller_acts_on() -> None:
    transient = TransientSendError(retry_after=timedelta(seconds=30))
    assert transient.retry_after == timedelta(seconds=30)
    assert TransientSendError().retry_after is None
    opted_out = RecipientOptedOut(code="21610")
    assert isinstance(opted_out, PermanentSendError) and opted_out.code == "21610"
    assert WebhookRejected("bad signature", status=403).status == 403
    assert WebhookRejected().status == 400


def test_registry_errors_are_also_the_builtin_kinds() -> None:
    assert isinstance(UnknownChannel(), LookupError)
    assert isinstance(NotAChannel(), TypeError)


def test_a_webhook_rejection_must_be_a_client_error() -> None:
    with pytest.raises(ValueError, match="must be one of"):
        WebhookRejected(status=500)


def test_not_configured_names_the_setting() -> None:
    error = ChannelNotConfigured("TWILIO_AUTH_TOKEN")
    assert str(error) == "A setting the channel needs is missing: TWILIO_AUTH_TOKEN"
    assert error.setting == "TWILIO_AUTH_TOKEN"


def test_context_require_names_the_setting_and_never_a_value() -> None:
    context = ChannelContext(settings={"TWILIO_ACCOUNT_SID": "AC-secret-sid", "BLANK": "  "})
    assert context.require("TWILIO_ACCOUNT_SID") == "AC-secret-sid"
    for key in ("TWILIO_AUTH_TOKEN", "BLANK"):
        with pytest.raises(ChannelNotConfigured) as caught:
            context.require(key)
        assert caught.value.setting == key
        assert "secret" not in str(caught.value)


def test_context_optional() -> None:
    context = ChannelContext(settings={"PORT": 25, "EMPTY": ""})
    assert context.optional("PORT") == "25"
    assert context.optional("EMPTY") is None
    assert context.optional("MISSING") is None


def test_webhook_request_lowercases_header_names() -> None:
    request = WebhookRequest(
        method="POST",
        url="https://onward.example/webhooks/twilio/sms",
        path="/webhooks/twilio/sms",
        headers={"X-Twilio-Signature": "abc", "Content-Type": "Application/JSON; charset=utf-8"},
        query={},
        form={},
        body=b"",
        client_host=None,
    )
    assert request.headers == {
        "x-twilio-signature": "abc",
        "content-type": "Application/JSON; charset=utf-8",
    }
    assert request.content_type == "application/json"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.10.0.3", True),
        ("::1", True),
        ("0:0::1", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("127.mail.example.com", False),  # a name, not an address: could be anywhere
        ("10.0.0.5", False),
        ("::ffff:10.0.0.1", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_is_an_address_on_this_machine_only(host: str | None, loopback: bool) -> None:
    from onward.channels.net import is_loopback_host

    assert is_loopback_host(host) is loopback

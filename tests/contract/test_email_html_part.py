"""An email's own HTML part (OutboundMessage.html, the journal's) goes out as given, beside the
plain part, through SendGrid's real SDK to a fake v3 API and through SMTP to a real aiosmtpd."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onward.channels.base import ChannelContext
from onward.channels.email_format import email_parts
from onward.channels.sendgrid_email import SendgridEmailChannel
from onward.channels.smtp_email import SmtpEmailChannel
from onward.channels.values import OutboundMessage
from tests.fakes.sendgrid_api import API_KEY, FakeSendgridApi, running_fake
from tests.fakes.smtp_server import smtp_sink

FROM = "onward <hello@onward.example>"
OWN_HTML = '<!doctype html><html lang="fr"><body><p>Votre journal &amp; vous</p></body></html>'
MESSAGE = OutboundMessage(
    delivery_id=7,
    medium="email",
    to="ada@example.com",
    body="Votre journal & vous",
    subject="Votre journal",
    html=OWN_HTML,
)


@pytest.fixture
def fake() -> Iterator[FakeSendgridApi]:
    with running_fake() as api:
        yield api


def test_the_parts_take_the_sender_s_html_or_make_one() -> None:
    own = email_parts("Votre journal & vous", OWN_HTML)
    assert (own.text, own.html) == ("Votre journal & vous\n", OWN_HTML)
    made = email_parts("Votre journal & vous")
    assert "<p>Votre journal &amp; vous</p>" in made.html and made.html != OWN_HTML


def test_sendgrid_sends_the_html_part_as_given(fake: FakeSendgridApi) -> None:
    settings = {
        "SENDGRID_API_KEY": API_KEY,
        "ONWARD_EMAIL_FROM": FROM,
        "ONWARD_SENDGRID_API_BASE": fake.base_url,
    }
    SendgridEmailChannel(ChannelContext(settings=settings), timeout=2.0).send(MESSAGE)
    [request] = fake.requests
    plain, html = request.json["content"]
    assert plain == {"type": "text/plain", "value": "Votre journal & vous\n"}
    assert html == {"type": "text/html", "value": OWN_HTML}


def test_smtp_sends_the_html_part_as_given() -> None:
    with smtp_sink() as sink:
        settings = {"ONWARD_SMTP_URL": sink.url(), "ONWARD_EMAIL_FROM": FROM}
        SmtpEmailChannel(ChannelContext(settings=settings, medium="email"), timeout=2.0).send(
            MESSAGE
        )
    [received] = sink.messages
    html = received.message.get_body(("html",))
    plain = received.message.get_body(("plain",))
    assert html is not None and plain is not None
    assert html.get_content().strip() == OWN_HTML
    assert plain.get_content().strip() == "Votre journal & vous"

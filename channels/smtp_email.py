"""The SMTP email channel: any mail server through smtplib, its replies mapped at one boundary."""

from __future__ import annotations

import smtplib
import ssl
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from onward.channels.base import ChannelContext
from onward.channels.email_format import (
    address_of,
    domain_of,
    email_parts,
    subject_for,
    unsubscribe_headers,
)
from onward.channels.errors import (
    ChannelNotConfigured,
    InvalidAddress,
    PermanentSendError,
    ProviderAuthError,
    SendOutcomeUnknown,
    TransientSendError,
    WebhookRejected,
)
from onward.channels.net import is_loopback_host
from onward.channels.values import (
    DeliveryStatus,
    InboundMessage,
    Medium,
    OutboundMessage,
    SendResult,
    WebhookRequest,
)

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

DEFAULT_TIMEOUT = 15.0
DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
STARTTLS_MODES = ("auto", "required")
INVALID_RECIPIENT_CODES = frozenset({550, 551, 553})
DELIVERY_HEADER = "X-Onward-Delivery"
_URL = "ONWARD_SMTP_URL"


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to submit mail, read from ``ONWARD_SMTP_URL``."""

    host: str
    port: int
    implicit_tls: bool
    starttls: str
    user: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """Parse ``smtp[s]://[user:pass@]host[:port][?starttls=required]``.

        Errors name the variable and never echo the URL: it holds the password.
        """
        parts = urlsplit(url.strip())
        if parts.scheme not in DEFAULT_PORTS:
            raise ChannelNotConfigured(_URL, f"{_URL} must start with smtp:// or smtps://")
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise ChannelNotConfigured(_URL, f"{_URL} has an invalid port") from None
        if not parts.hostname:
            raise ChannelNotConfigured(_URL, f"{_URL} names no host")
        options = parse_qs(parts.query, keep_blank_values=True)
        if set(options) - {"starttls"}:
            # Not named: a mistyped URL can put the password where an option would be.
            raise ChannelNotConfigured(_URL, f"{_URL} has an unknown option; only starttls=")
        starttls = options.get("starttls", ["auto"])[-1].lower()
        if starttls not in STARTTLS_MODES:
            raise ChannelNotConfigured(_URL, f"{_URL}: starttls must be auto or required")
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        if (user is None) != (password is None):
            raise ChannelNotConfigured(_URL, f"{_URL} has a user without a password")
        return cls(parts.hostname, port, parts.scheme == "smtps", starttls, user, password)


class SmtpEmailChannel:
    """Email through any SMTP submission server. There are no webhooks: replies and bounces come
    back by mail, so a sent message stays ``sent`` and inbound email needs another channel."""

    name = "smtp"
    medium: Medium = "email"
    max_body = 1_000_000
    rate_per_sec = 10.0
    requires: tuple[str, ...] = ()
    replies_inline = False

    def __init__(self, context: ChannelContext, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._server = SmtpServer.from_url(context.require(_URL))
        sender = context.require("ONWARD_EMAIL_FROM")
        address = address_of(sender)
        if address is None:
            raise ChannelNotConfigured(
                "ONWARD_EMAIL_FROM", "ONWARD_EMAIL_FROM is not an email address"
            )
        self._from, self._from_address = sender.strip(), address
        self._domain = domain_of(address)
        try:
            self._tls = ssl.create_default_context(cafile=context.optional("ONWARD_SMTP_CA_FILE"))
        except OSError as exc:
            raise ChannelNotConfigured(
                "ONWARD_SMTP_CA_FILE", f"ONWARD_SMTP_CA_FILE cannot be read: {exc.strerror}"
            ) from None
        self._timeout = timeout
        self._clock: Callable[[], datetime] | None = context.clock

    def send(self, message: OutboundMessage) -> SendResult:
        email = self._compose(message)
        recipient = message.to.strip()
        with self._smtp_errors(), self._session() as smtp:
            try:
                # One recipient: smtplib raises for a refusal instead of returning it.
                smtp.send_message(email, from_addr=self._from_address, to_addrs=[recipient])
            except smtplib.SMTPResponseException:
                raise  # the server answered (a refusal): mapped below like any other
            except OSError as exc:  # a timeout, a reset, a disconnect: no answer at all
                if isinstance(smtp, _Sending) and smtp.message_out:
                    # The whole message went out; only the server's answer was lost.
                    raise SendOutcomeUnknown(
                        "the SMTP server may have taken the message (the connection failed "
                        f"before it answered): {type(exc).__name__}: {exc}"
                    ) from None
                raise
        return SendResult(provider_id=str(email["Message-ID"]), status="sent")

    def parse_inbound(self, request: WebhookRequest) -> InboundMessage:
        raise WebhookRejected("the smtp channel takes no webhooks", status=403)

    def parse_status(self, request: WebhookRequest) -> list[DeliveryStatus]:
        raise WebhookRejected("the smtp channel takes no webhooks", status=403)

    def reply_response(self, text: str | None) -> tuple[str, bytes]:
        return "application/json", b"{}"

    def check(self) -> str:
        with self._smtp_errors(), self._session() as smtp:
            smtp.noop()
        return "ok"

    def _compose(self, message: OutboundMessage) -> EmailMessage:
        parts = email_parts(message.body, message.html)
        email = EmailMessage()
        # Our own id, known before the server answers, doubles as the provider id.
        email["Message-ID"] = f"<{uuid.uuid4().hex}.{message.delivery_id}@{self._domain}>"
        if self._clock is not None:  # otherwise the submission server stamps the Date
            email["Date"] = format_datetime(self._clock())
        email["From"] = self._from
        email["To"] = message.to.strip()
        email["Subject"] = subject_for(message)
        for key, value in unsubscribe_headers(message.unsubscribe_url).items():
            email[key] = value
        email[DELIVERY_HEADER] = str(message.delivery_id)
        email.set_content(parts.text)
        email.add_alternative(parts.html, subtype="html")
        return email

    @contextmanager
    def _session(self) -> Iterator[smtplib.SMTP]:
        """A connected, greeted, encrypted (when possible) and logged-in SMTP session."""
        server = self._server
        # local_hostname skips smtplib's getfqdn(), which can stall on DNS for seconds.
        smtp: smtplib.SMTP
        if server.implicit_tls:
            smtp = _SendingSSL(
                server.host, server.port, local_hostname=self._domain,
                timeout=self._timeout, context=self._tls,
            )  # fmt: skip
        else:
            smtp = _SendingPlain(
                server.host, server.port, local_hostname=self._domain, timeout=self._timeout
            )
        try:
            smtp.ehlo()
            encrypted = server.implicit_tls
            if not encrypted and smtp.has_extn("starttls"):
                smtp.starttls(context=self._tls)
                smtp.ehlo()
                encrypted = True
            if not encrypted and server.starttls == "required":
                raise ProviderAuthError(
                    f"the SMTP server does not offer STARTTLS, which {_URL} requires"
                )
            if server.user is not None and server.password is not None:
                if not encrypted and not is_loopback_host(server.host):
                    raise ProviderAuthError(
                        "the SMTP server offers no encryption; refusing to send the password "
                        "in the clear (use smtps:// or a server with STARTTLS)"
                    )
                smtp.login(server.user, server.password)
            yield smtp
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    @contextmanager
    def _smtp_errors(self) -> Iterator[None]:
        """The one place smtplib's and the network's exceptions become onward's."""
        try:
            yield
        except smtplib.SMTPAuthenticationError as exc:
            raise ProviderAuthError(f"the SMTP server refused our login: {_reply(exc)}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (550, b"refused"))
            raise _by_code(code, f"the SMTP server refused the recipient: {code} {_text(text)}",
                           recipient=True) from None  # fmt: skip
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, f"the SMTP server answered {_reply(exc)}") from None
        except ssl.SSLCertVerificationError as exc:
            raise ProviderAuthError(
                f"the SMTP server's certificate failed verification: {exc.verify_message}"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise ProviderAuthError(f"the SMTP server cannot do what we need: {exc}") from None
        except (smtplib.SMTPException, OSError) as exc:
            # Disconnects, refused connections, timeouts, DNS and TLS trouble: try again later.
            raise TransientSendError(
                f"could not talk to the SMTP server: {type(exc).__name__}: {exc}"
            ) from None


class _Sending(smtplib.SMTP):
    """Knows when the message itself has gone out: DATA's text ends with CRLF "." CRLF, and
    after that a failed connection may have lost only the server's "250 accepted"."""

    message_out = False

    def send(self, s: ReadableBuffer | str) -> None:
        super().send(s)
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.message_out = True


class _SendingPlain(_Sending):
    pass


class _SendingSSL(_Sending, smtplib.SMTP_SSL):
    pass


def _by_code(code: int, text: str, *, recipient: bool = False) -> Exception:
    if 400 <= code < 500:
        return TransientSendError(text)
    if code == 530:  # "authentication required": our configuration, not this message
        return ProviderAuthError(text)
    if recipient and code in INVALID_RECIPIENT_CODES:
        return InvalidAddress(text, code="invalid_address")
    return PermanentSendError(text, code=f"smtp_{code}")


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"


def _text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())[:300]

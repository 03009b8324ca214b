"""A real SMTP server (aiosmtpd) on 127.0.0.1 that collects what it is sent: plain, STARTTLS or
implicit TLS, optionally with AUTH, and answering chosen failures on demand."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Tls = Literal["none", "starttls", "implicit"]
# TLS clients check a certificate's dates against the real clock, which tests never read: the
# certificate simply spans a century.
_NOT_BEFORE = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CertFiles:
    cert: Path
    key: Path


def self_signed_cert(directory: Path) -> CertFiles:
    """A self-signed certificate for localhost and 127.0.0.1, its own CA file for the client."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_BEFORE + timedelta(days=365 * 100))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    files = CertFiles(directory / "smtp-cert.pem", directory / "smtp-key.pem")
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SinkHandler:
    """Collects messages; set a ``*_reply`` (``"451 4.3.0 try later"``) to answer that instead."""

    messages: list[Received] = field(default_factory=list)
    mail_reply: str | None = None
    rcpt_reply: str | None = None
    data_reply: str | None = None
    # Seconds to wait, having taken the message, before saying so (a client may time out).
    data_stall: float = 0.0

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        if self.data_stall:
            await asyncio.sleep(self.data_stall)
        return "250 Message accepted for delivery"


@dataclass
class Authenticator:
    users: Mapping[str, str]
    attempts: list[str] = field(default_factory=list)

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.attempts.append(login)
        # handled=False on failure: aiosmtpd then answers 535 itself.
        success = self.users.get(login) == password
        return AuthResult(success=success, handled=success)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpSink:
    """A running server: ``url()`` builds the ONWARD_SMTP_URL that reaches it."""

    handler: SinkHandler
    authenticator: Authenticator | None
    port: int
    tls: Tls

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def url(self, user: str | None = None, password: str | None = None, query: str = "") -> str:
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        auth = f"{user}:{password}@" if user is not None else ""
        return f"{scheme}://{auth}127.0.0.1:{self.port}" + (f"?{query}" if query else "")


@contextmanager
def smtp_sink(
    tls: Tls = "none",
    cert: CertFiles | None = None,
    users: Mapping[str, str] | None = None,
    auth_required: bool = False,
    require_starttls: bool = False,
) -> Iterator[SmtpSink]:
    """Run an aiosmtpd server for the block. ``users`` turns AUTH on (PLAIN/LOGIN); without TLS
    it is offered in the clear, which only a loopback test should ever do."""
    handler = SinkHandler()
    server_tls: ssl.SSLContext | None = None
    if tls != "none":
        assert cert is not None, "TLS needs a certificate"
        server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_tls.load_cert_chain(cert.cert, cert.key)
    authenticator = Authenticator(users) if users is not None else None
    options: dict[str, Any] = {"server_hostname": "localhost", "ready_timeout": 5.0}
    if tls == "implicit":
        options["ssl_context"] = server_tls
    elif tls == "starttls":
        options.update(tls_context=server_tls, require_starttls=require_starttls)
    if authenticator is not None:
        options.update(
            authenticator=authenticator,
            auth_required=auth_required,
            auth_require_tls=tls == "starttls",
        )
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield SmtpSink(handler, authenticator, port, tls)
    finally:
        controller.stop()


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word: every read times out."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        yield int(listener.getsockname()[1])

"""A fake SendGrid v3 API on 127.0.0.1 that the real SDK talks to, plus signed Event Webhook
batches and real multipart Inbound Parse posts for the channel's webhooks."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.requests import Request

from onward.channels.values import WebhookRequest
from onward.engine.web.request import parse_form
from tests.fakes.provider_server import FakeProvider, QuietHandler, running

API_KEY = "SG.fakeKeyId0123.fakeSecret-" + "7" * 20
EVENTS_URL = "http://127.0.0.1:8000/webhooks/sendgrid/events"
INBOUND_URL = "http://127.0.0.1:8000/webhooks/sendgrid/inbound"
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Fault:
    """What the fake does instead of answering normally, for one request."""

    status: int = 500
    errors: tuple[tuple[str | None, str], ...] = ((None, "Internal server error"),)
    headers: tuple[tuple[str, str], ...] = ()
    hang_seconds: float = 0.0  # > 0: wait this long (or until the fake stops), then answer
    close: bool = False  # drop the connection without a byte of answer


@dataclass
class FakeSendgridApi(FakeProvider):
    """``POST /v3/mail/send`` and ``GET /v3/scopes``, with ``Authorization: Bearer <key>``.

    Every request is recorded; ``faults`` are consumed one per request before the normal answer.
    """

    api_key: str = API_KEY
    scopes: list[str] = field(default_factory=lambda: ["mail.send", "user.profile.read"])
    message_ids: list[str] = field(default_factory=list)

    def mail_sent(self) -> list[RecordedRequest]:
        return [r for r in self.requests if (r.method, r.path) == ("POST", "/v3/mail/send")]

    def _new_message_id(self) -> str:
        # SendGrid's X-Message-Id: 22 characters of URL-safe base64.
        message_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        with self._lock:
            self.message_ids.append(message_id)
        return message_id


def running_fake(**options: Any) -> AbstractContextManager[FakeSendgridApi]:
    return running(FakeSendgridApi(**options))


class _Handler(QuietHandler):
    fake: FakeSendgridApi

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        self.fake._record(RecordedRequest(method, path, dict(self.headers.items()), body))
        fault = self.fake._take_fault()
        if fault is not None:
            if fault.hang_seconds:
                self.fake._stopping.wait(fault.hang_seconds)
            if fault.close:
                self.close_connection = True
                return
            self._errors(fault.status, fault.errors, dict(fault.headers))
            return
        if self.headers.get("Authorization") != f"Bearer {self.fake.api_key}":
            message = "The provided authorization grant is invalid, expired, or revoked"
            self._errors(401, ((None, message),))
        elif (method, path) == ("POST", "/v3/mail/send"):
            self._mail_send(body)
        elif (method, path) == ("GET", "/v3/scopes"):
            self._answer(200, json.dumps({"scopes": self.fake.scopes}).encode())
        else:
            self._errors(404, ((None, f"no such resource {path}"),))

    def _mail_send(self, body: bytes) -> None:
        try:
            mail = json.loads(body)
        except ValueError:
            self._errors(400, ((None, "Bad Request"),))
            return
        to = [t.get("email", "") for p in mail.get("personalizations", []) for t in p["to"]]
        if not to or not all(_valid_address(address) for address in to):
            field_name = "personalizations.0.to.0.email"
            self._errors(400, ((field_name, "Does not contain a valid address."),))
        elif not mail.get("from", {}).get("email") or not mail.get("content"):
            self._errors(400, (("from.email", "The from email is required."),))
        else:
            self._answer(202, b"", {"X-Message-Id": self.fake._new_message_id()})

    def _errors(
        self,
        status: int,
        errors: tuple[tuple[str | None, str], ...],
        headers: Mapping[str, str] | None = None,
    ) -> None:
        items = [{"field": f, "message": m, "help": None} for f, m in errors]
        self._answer(status, json.dumps({"errors": items}).encode(), headers)

    def _answer(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


FakeSendgridApi.handler = _Handler
FakeSendgridApi.fault_type = Fault


def _valid_address(address: str) -> bool:
    # SendGrid checks syntax only; a doubled dot in the local part is one thing it refuses.
    local, _, domain = address.partition("@")
    return bool(local) and ".." not in local and "." in domain and "@" not in domain


class EventSigner:
    """Signs Event Webhook batches the way SendGrid does: ECDSA P-256 over timestamp + body."""

    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())

    @property
    def public_key(self) -> str:
        """Base64 DER SubjectPublicKeyInfo: what SendGrid's settings page shows."""
        der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def sign(self, body: bytes, timestamp: int) -> dict[str, str]:
        signature = self._key.sign(str(timestamp).encode() + body, ec.ECDSA(hashes.SHA256()))
        return {
            SIGNATURE_HEADER: base64.b64encode(signature).decode(),
            TIMESTAMP_HEADER: str(timestamp),
        }


def events_request(body: bytes, headers: Mapping[str, str]) -> WebhookRequest:
    return WebhookRequest(
        method="POST",
        url=EVENTS_URL,
        path=urlsplit(EVENTS_URL).path,
        headers={"Content-Type": "application/json", **headers},
        query={},
        form={},
        body=body,
        client_host="127.0.0.1",
    )


def multipart(
    fields: Mapping[str, str], files: Mapping[str, tuple[str, bytes]] | None = None
) -> tuple[bytes, str]:
    """A multipart/form-data body as Inbound Parse posts it: fields, then attachments."""
    boundary = "xYzZY" + uuid.uuid4().hex
    chunks: list[bytes] = []
    for name, value in fields.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode("utf-8")
            + b"\r\n"
        )
    for name, (filename, content) in (files or {}).items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def basic_auth(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def inbound_request(
    fields: Mapping[str, str],
    headers: Mapping[str, str] | None = None,
    files: Mapping[str, tuple[str, bytes]] | None = None,
) -> WebhookRequest:
    """An Inbound Parse post, its form parsed by the engine's own multipart reader."""
    body, content_type = multipart(fields, files)
    scope = {
        "type": "http",
        "method": "POST",
        "path": urlsplit(INBOUND_URL).path,
        "query_string": b"",
        "headers": [(b"content-type", content_type.encode())],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    form = asyncio.run(parse_form(Request(scope, receive), body))
    return WebhookRequest(
        method="POST",
        url=INBOUND_URL,
        path=urlsplit(INBOUND_URL).path,
        headers={"Content-Type": content_type, **(headers or {})},
        query={},
        form=form,
        body=body,
        client_host="127.0.0.1",
    )

"""A fake Twilio REST API on 127.0.0.1 that the real SDK talks to, programmable per test."""

from __future__ import annotations

import base64
import json
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from twilio.request_validator import RequestValidator

from onward.channels.values import WebhookRequest
from tests.fakes.provider_server import FakeProvider, QuietHandler, running

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "s3cr3t-auth-token-" + "9" * 14
# Twilio's resources carry RFC 2822 dates; a fixed one keeps the fake free of the wall clock.
CREATED = "Mon, 06 May 2024 12:00:00 +0000"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    form: dict[str, str]
    headers: dict[str, str]


@dataclass(frozen=True)
class Fault:
    """What the fake does instead of answering normally, for one request."""

    status: int = 500
    code: int | None = None
    message: str = "Internal Server Error"
    retry_after: str | None = None
    hang_seconds: float = 0.0  # > 0: wait this long (or until the fake stops), then answer
    close: bool = False  # drop the connection without a byte of answer
    raw_body: str | None = None  # answer this text instead of Twilio's JSON error


@dataclass
class FakeTwilioApi(FakeProvider):
    """The two resources the channel uses: Messages (create) and the Account (fetch).

    Every request is recorded in ``requests``; ``faults`` are consumed one per request, first in
    first out, before the normal answer. Basic auth must be ``account_sid:auth_token``.
    """

    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    account_status: str = "active"
    # Stamps the messages it takes (their date_created); None: one fixed date for all.
    clock: Callable[[], datetime] | None = None
    # Every message it took, as its Messages resource: what the list call answers from.
    created: list[dict[str, Any]] = field(default_factory=list)

    def messages_sent(self) -> list[RecordedRequest]:
        suffix = f"/Accounts/{self.account_sid}/Messages.json"
        return [r for r in self.requests if r.method == "POST" and r.path.endswith(suffix)]

    def received(self) -> Counter[tuple[str, str]]:
        """How many messages it took for each (recipient, text): a count above 1 is a double."""
        with self._lock:
            return Counter((m["to"], m["body"]) for m in self.created)

    def lists(self) -> list[RecordedRequest]:
        """The Messages list calls it answered."""
        suffix = f"/Accounts/{self.account_sid}/Messages.json"
        return [r for r in self.requests if r.method == "GET" and r.path.endswith(suffix)]

    def take(self, message: dict[str, Any]) -> None:
        with self._lock:
            self.created.append(message)

    def listing(self, to: str | None, sender: str | None, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            found = [
                m
                for m in reversed(self.created)  # newest first, as Twilio lists them
                if (to is None or m["to"] == to) and (sender is None or m["from"] == sender)
            ]
        return found[:limit]

    def _authorised(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"


def running_fake(**options: Any) -> AbstractContextManager[FakeTwilioApi]:
    return running(FakeTwilioApi(**options))


class _Handler(QuietHandler):
    fake: FakeTwilioApi

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        form = {key: values[-1] for key, values in parse_qs(raw, keep_blank_values=True).items()}
        path = urlsplit(self.path).path
        self.fake._record(RecordedRequest(method, path, form, dict(self.headers.items())))
        fault = self.fake._take_fault()
        if fault is not None:
            self._fault(fault)
            return
        if not self.fake._authorised(self.headers.get("Authorization", "")):
            self._error(401, 20003, "Authenticate")
            return
        prefix = f"/2010-04-01/Accounts/{self.fake.account_sid}"
        if method == "POST" and path == f"{prefix}/Messages.json":
            self._create_message(form)
        elif method == "GET" and path == f"{prefix}/Messages.json":
            self._list_messages(parse_qs(urlsplit(self.path).query))
        elif method == "GET" and path == f"{prefix}.json":
            self._json(200, self._account())
        else:
            self._error(404, 20404, f"The requested resource {path} was not found")

    def _create_message(self, form: Mapping[str, str]) -> None:
        if not form.get("To"):
            self._error(400, 21604, "A 'To' phone number is required.")
        elif not form.get("Body"):
            self._error(400, 21602, "Message body is required.")
        elif not (form.get("From") or form.get("MessagingServiceSid")):
            self._error(400, 21603, "A 'From' phone number is required.")
        else:
            message = self._message(form)
            self.fake.take(message)
            self._json(201, message)

    def _list_messages(self, query: Mapping[str, list[str]]) -> None:
        size = int(query.get("PageSize", ["50"])[-1])
        to, sender = query.get("To", [None])[-1], query.get("From", [None])[-1]
        uri = f"/2010-04-01/Accounts/{self.fake.account_sid}/Messages.json"
        self._json(
            200,
            {
                "messages": self.fake.listing(to, sender, size),
                "end": 0,
                "first_page_uri": uri,
                "next_page_uri": None,
                "page": 0,
                "page_size": size,
                "previous_page_uri": None,
                "start": 0,
                "uri": uri,
            },
        )

    def _message(self, form: Mapping[str, str]) -> dict[str, Any]:
        sid = "SM" + uuid.uuid4().hex
        service = form.get("MessagingServiceSid")
        clock = self.fake.clock
        created = format_datetime(clock(), usegmt=True) if clock else CREATED
        return {
            "sid": sid,
            "account_sid": self.fake.account_sid,
            "to": form["To"],
            "from": None if service else form["From"],
            "messaging_service_sid": service,
            "body": form["Body"],
            # Twilio answers "accepted" while a Messaging Service is still choosing a sender.
            "status": "accepted" if service else "queued",
            "num_segments": "1",
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "price": None,
            "error_code": None,
            "error_message": None,
            "date_created": created,
            "date_updated": created,
            "date_sent": None,
            "uri": f"/2010-04-01/Accounts/{self.fake.account_sid}/Messages/{sid}.json",
        }

    def _account(self) -> dict[str, Any]:
        sid = self.fake.account_sid
        return {
            "sid": sid,
            "owner_account_sid": sid,
            "friendly_name": "onward test account",
            "status": self.fake.account_status,
            "type": "Full",
            # The real resource carries the token too: the channel must never show it.
            "auth_token": self.fake.auth_token,
            "date_created": CREATED,
            "date_updated": CREATED,
            "uri": f"/2010-04-01/Accounts/{sid}.json",
        }

    def _fault(self, fault: Fault) -> None:
        if fault.hang_seconds:
            self.fake._stopping.wait(fault.hang_seconds)
        if fault.close:
            self.close_connection = True
            return
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        if fault.raw_body is not None:
            self._send(fault.status, fault.raw_body.encode(), headers)
        else:
            self._error(fault.status, fault.code, fault.message, headers)

    def _error(
        self, status: int, code: int | None, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        body: dict[str, Any] = {"code": code, "message": message, "status": status}
        if code is not None:
            body["more_info"] = f"https://www.twilio.com/docs/errors/{code}"
        self._json(status, body, headers)

    def _json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        self._send(status, json.dumps(body).encode(), all_headers)

    def _send(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (a timeout test): nothing left to tell it


FakeTwilioApi.handler = _Handler
FakeTwilioApi.fault_type = Fault


def sign(url: str, params: Mapping[str, str], auth_token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send for a POST of ``params`` to ``url``."""
    return str(RequestValidator(auth_token).compute_signature(url, dict(params)))


def webhook(
    url: str,
    params: Mapping[str, str],
    *,
    signature: str | None = None,
    auth_token: str = AUTH_TOKEN,
    headers: Mapping[str, str] | None = None,
) -> WebhookRequest:
    """A webhook request as the engine hands it to the channel, signed unless told otherwise.

    ``signature=""`` leaves the header out; any other string replaces the correct signature.
    """
    parts = urlsplit(url)
    all_headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    sig = sign(url, params, auth_token) if signature is None else signature
    if sig:
        all_headers["X-Twilio-Signature"] = sig
    return WebhookRequest(
        method="POST",
        url=url,
        path=parts.path,
        headers=all_headers,
        query={key: values[-1] for key, values in parse_qs(parts.query).items()},
        form=dict(params),
        body=urlencode(params).encode(),
        client_host="54.172.60.1",
    )

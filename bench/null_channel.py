"""A zero-latency channel for the dispatcher benchmarks: onward's Channel protocol with no provider
behind it, able to enforce a provider's rate limit."""

from __future__ import annotations

import threading
from typing import Any

from common import now_s

from onward.channels import SendResult, TransientSendError, WebhookRejected


class NullChannel:
    """The onward Channel protocol with no provider behind it: `send` returns at once.

    With `limit_per_sec` set it also behaves like a provider that enforces a rate: a token
    bucket holding one second of sends, refilled at that rate; a send finding it empty is
    refused with a TransientSendError (counted in `refused`), as a provider's HTTP 429 would be.
    `rate_per_sec` is what the dispatcher paces to (0, the default: no pace, as a provider that
    sets none). Send instants are kept (monotonic seconds).
    """

    name = "bench"
    medium = "sms"
    max_body = 64 * 1024
    requires: tuple[str, ...] = ()

    def __init__(self, rate_per_sec: float = 0.0, limit_per_sec: float | None = None):
        self.rate_per_sec = rate_per_sec
        self.limit = limit_per_sec
        self.capacity = max(1.0, limit_per_sec or 0.0)
        self.tokens = self.capacity
        self.refilled = now_s()
        self.sent_at: list[float] = []
        self.delivery_ids: list[int] = []
        self.refused = 0
        self._lock = threading.Lock()

    def send(self, message: Any) -> Any:
        with self._lock:
            instant = now_s()
            if self.limit is not None:
                self.tokens = min(
                    self.capacity, self.tokens + (instant - self.refilled) * self.limit
                )
                self.refilled = instant
                if self.tokens < 1.0:
                    self.refused += 1
                    raise TransientSendError("rate limit exceeded (HTTP 429)")
                self.tokens -= 1.0
            self.sent_at.append(instant)
            self.delivery_ids.append(message.delivery_id)
        return SendResult(provider_id=f"bench-{message.delivery_id}", status="sent")

    def parse_inbound(self, request: Any) -> Any:
        raise WebhookRejected("the benchmark channel takes no inbound messages", status=403)

    def parse_status(self, request: Any) -> list[Any]:
        return []

    def reply_response(self, text: str | None) -> tuple[str, bytes]:
        return "text/plain", (text or "").encode()

    def check(self) -> str:
        return "ok"

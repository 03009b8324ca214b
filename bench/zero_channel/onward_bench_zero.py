"""A zero-latency onward channel: a provider that takes every message at once and sets no pace.

Installed as a plugin through the `onward.channels` entry point (see pyproject.toml beside it;
bench/serve_drain.py makes it visible to `onward serve` as an installed distribution), so the
daemon finds it exactly as it finds a third party's channel.
"""

from __future__ import annotations

from typing import Any

from onward.channels import ChannelContext, SendResult, WebhookRejected


class ZeroChannel:
    """Sends nothing anywhere and answers `sent` at once, for sms and email alike."""

    name = "zero"
    medium = "sms"
    media = ("sms", "email")
    max_body = 64 * 1024
    rate_per_sec = 0.0  # the provider sets no pace
    requires: tuple[str, ...] = ()

    def __init__(self, context: ChannelContext | None = None) -> None:
        self.medium = (context.medium if context else None) or "sms"

    def send(self, message: Any) -> SendResult:
        return SendResult(provider_id=f"zero-{message.delivery_id}", status="sent")

    def parse_inbound(self, request: Any) -> Any:
        raise WebhookRejected("the zero channel takes no inbound messages", status=403)

    def parse_status(self, request: Any) -> list[Any]:
        return []

    def reply_response(self, text: str | None) -> tuple[str, bytes]:
        return "text/plain", (text or "").encode()

    def check(self) -> str:
        return "ok"

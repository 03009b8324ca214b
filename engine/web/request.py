"""An HTTP request turned into the plain `WebhookRequest` a channel verifies: size-limited, with
its form parsed (urlencoded or multipart) and its URL rebuilt from ONWARD_PUBLIC_URL."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message

from onward.channels import WebhookRejected, WebhookRequest

MAX_FORM_FIELDS = 200
MAX_FORM_FILES = 20


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"body larger than {limit} bytes")


class BodyTooSlow(Exception):
    """The client stopped sending its body (or never sent one): answered 408."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the request body did not arrive within {seconds:g} seconds")


class ClientGone(Exception):
    """The connection closed before the body arrived (the client, or admission control)."""


async def read_body(request: Request, limit: int, within_seconds: float = 10.0) -> bytes:
    """The whole body, refused as soon as it passes `limit` (declared or streamed), or when it
    takes longer than `within_seconds` to arrive."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks, size = [], 0
    try:
        async with asyncio.timeout(within_seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge(limit)
                chunks.append(chunk)
    except TimeoutError:
        raise BodyTooSlow(within_seconds) from None
    except ClientDisconnect:
        raise ClientGone from None
    return b"".join(chunks)


async def parse_form(request: Request, body: bytes) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    if not content_type.startswith("multipart/form-data"):
        return {}

    async def replay() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(
            max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS
        )
    except Exception as exc:  # starlette's MultiPartException and the parser's own errors
        raise WebhookRejected(f"malformed multipart body: {exc}", status=400) from None
    fields: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):  # attachments are not kept: only what was written
            await value.close()
        else:
            fields[key] = value
    return fields


async def as_webhook(
    request: Request, public_url: str, limit: int, within_seconds: float = 10.0
) -> WebhookRequest:
    body = await read_body(request, limit, within_seconds)
    # Providers sign the URL they were given: rebuild it from ONWARD_PUBLIC_URL, not Host.
    # Read from the ASGI scope and escaped as starlette's URL escapes the path: building that
    # URL object cost more than the rest of this.
    path = request.scope["path"].replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    raw_query = request.scope.get("query_string", b"")
    query = f"?{raw_query.decode('latin-1')}" if raw_query else ""
    return WebhookRequest(
        method=request.method,
        url=f"{public_url}{path}{query}",
        path=path,
        headers=dict(request.headers),
        query=dict(request.query_params) if raw_query else {},
        form=await parse_form(request, body),
        body=body,
        client_host=request.client.host if request.client else None,
    )

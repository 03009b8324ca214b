"""The web app: provider webhooks (one generic route per channel), health, readiness, metrics."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Lifespan

from onward.channels import Channel, DeliveryStatus, InboundMessage, WebhookRejected, WebhookRequest
from onward.engine.channel_set import ChannelSet
from onward.engine.clock import Clock
from onward.engine.deliveries import apply_status
from onward.engine.inbox import Inbox
from onward.engine.logs import get_logger
from onward.engine.metrics import REGISTRY, SCHEMA_CURRENT
from onward.engine.phones import InvalidPhoneNumber, normalize_phone
from onward.engine.schema import current_revision, head_revision
from onward.engine.settings import Settings

log = get_logger("onward.web")
INBOUND_KINDS = {"sms": "sms", "email": "email", "inbound": None}
STATUS_KINDS = ("status", "events")


class BodyTooLarge(Exception):
    pass


@dataclass
class WebDeps:
    settings: Settings
    clock: Clock
    inbox: Inbox
    channels: ChannelSet


def create_app(deps: WebDeps, lifespan: Lifespan[Starlette] | None = None) -> Starlette:
    settings = deps.settings
    limit = settings.max_body_bytes
    head = head_revision()

    async def read_body(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    async def as_webhook(request: Request) -> WebhookRequest:
        body = await read_body(request)
        form: dict[str, str] = {}
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        # Providers sign the URL they were given: rebuild it from ONWARD_PUBLIC_URL, not Host.
        query = f"?{request.url.query}" if request.url.query else ""
        return WebhookRequest(
            method=request.method,
            url=f"{settings.public_url}{request.url.path}{query}",
            path=request.url.path,
            headers=dict(request.headers),
            query=dict(request.query_params),
            form=form,
            body=body,
            client_host=request.client.host if request.client else None,
        )

    def channel_for(name: str, medium: str | None) -> Channel | None:
        if name == "console" and not _is_loopback(settings.host):
            return None  # the console inbound exists only on a daemon that listens on loopback
        return deps.channels.by_name(name, medium)

    async def webhook(request: Request) -> Response:
        name, kind = request.path_params["channel"], request.path_params["kind"]
        if kind not in INBOUND_KINDS and kind not in STATUS_KINDS:
            return _problem(404, "no such webhook")
        medium = INBOUND_KINDS.get(kind)
        channel = channel_for(name, medium)
        if channel is None:
            status = 403 if name == "console" else 404
            return _problem(status, f"channel {name!r} does not take {kind} webhooks here")
        try:
            hook = await as_webhook(request)
            if kind in STATUS_KINDS:
                statuses = channel.parse_status(hook)
                await run_in_threadpool(_apply_statuses, deps, statuses)
                return Response(status_code=204)
            message = _normalised(channel.parse_inbound(hook))
            received = await run_in_threadpool(deps.inbox.receive, message)
        except BodyTooLarge:
            return _problem(413, f"body larger than {limit} bytes")
        except WebhookRejected as exc:
            log.warning(
                "webhook refused", channel=name, kind=kind, status=exc.status, reason=str(exc)
            )
            return _problem(exc.status, str(exc))
        except InvalidPhoneNumber as exc:
            return _problem(422, str(exc))
        except OperationalError:
            log.error("database unavailable while taking a webhook", channel=name)
            return _problem(503, "database unavailable, retry later", retry_after="10")
        content_type, payload = channel.reply_response(received.reply)
        return Response(payload, media_type=content_type)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> Response:
        ready, reason = await run_in_threadpool(_database_ready, deps, head)
        SCHEMA_CURRENT.set(1 if ready else 0)
        return JSONResponse({"ready": ready, "reason": reason}, status_code=200 if ready else 503)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/webhooks/{channel}/{kind}", webhook, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def _normalised(message: InboundMessage) -> InboundMessage:
    """Senders become E.164 numbers or lower-case addresses, the way people rows store them."""
    from dataclasses import replace

    if message.medium == "sms":
        return replace(message, sender=normalize_phone(message.sender))
    return replace(message, sender=message.sender.strip().lower())


def _apply_statuses(deps: WebDeps, statuses: list[DeliveryStatus]) -> None:
    factory = deps.inbox.sessions
    with factory.begin() as session:
        for status in statuses:
            apply_status(session, status, deps.clock.now())


def _database_ready(deps: WebDeps, head: str) -> tuple[bool, str]:
    try:
        with deps.inbox.sessions() as session:
            session.execute(text("select 1"))
            engine = session.get_bind()
        current = current_revision(engine)  # type: ignore[arg-type]
    except SQLAlchemyError as exc:
        return False, f"database unavailable: {type(exc).__name__}"
    if current != head:
        return False, f"schema at {current or 'nothing'}, needs {head}: run `onward db upgrade`"
    return True, "ok"


def _problem(status: int, detail: str, retry_after: str | None = None) -> Response:
    headers = {"Retry-After": retry_after} if retry_after else None
    return Response(
        json.dumps({"error": detail}),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

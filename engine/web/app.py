"""The web app: provider webhooks (one generic route per channel), one-click unsubscribe, the
page a JOURNAL link opens, health, readiness and metrics. Starlette only here and in the daemon."""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from functools import partial

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from starlette.applications import Starlette
from starlette.background import BackgroundTasks
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Lifespan

from onward.channels import Channel, DeliveryStatus, InboundMessage, WebhookRejected
from onward.channels.net import is_loopback_host
from onward.engine import replies_consent, runs
from onward.engine.channel_set import ChannelSet
from onward.engine.clock import Clock
from onward.engine.consent_ledger import by_unsubscribe_link
from onward.engine.dispatch.coach_replies import CoachReplies
from onward.engine.dispatch.owed_replies import Replier
from onward.engine.dispatch.pacing import ChannelHealth
from onward.engine.inbound.inbox import Inbox, Received
from onward.engine.language import DEFAULT as DEFAULT_LANGUAGE
from onward.engine.logs import get_logger
from onward.engine.metrics import REGISTRY, SCHEMA_CURRENT
from onward.engine.phones import InvalidPhoneNumber, NotAPhoneNumber, sender_number
from onward.engine.render import person_language
from onward.engine.settings import Settings
from onward.engine.status_callbacks import apply_status
from onward.engine.storage.migrate import current_revision, head_revision
from onward.engine.storage.models import Person
from onward.engine.storage.write_queue import InboundFirst, concurrent_writers
from onward.engine.unsubscribe import read_token
from onward.engine.web.coalesce import Coalesced
from onward.engine.web.console import ConsoleDeps, console_routes
from onward.engine.web.fields import clean_inbound, clean_statuses, is_junk
from onward.engine.web.journal_page import journal_routes
from onward.engine.web.loop_turns import LoopTurns
from onward.engine.web.request import BodyTooLarge, BodyTooSlow, ClientGone, as_webhook
from onward.engine.web.workers import Workers

log = get_logger("onward.web")
INBOUND_KINDS = {"sms": "sms", "email": "email", "inbound": None}
STATUS_KINDS = ("status", "events")


@dataclass
class WebDeps:
    settings: Settings
    clock: Clock
    inbox: Inbox
    channels: ChannelSet
    health: ChannelHealth | None = None
    # Sends the replies a provider's answer cannot carry (email); the daemon's own, if given.
    replier: Replier | None = None
    # Called after new inbound messages: they may have made a step due sooner (the daemon
    # moves its wake-up to the earliest due time). Coalesced: one call serves every message
    # stored before it starts.
    after_inbound: Callable[[], None] | None = None
    # Shared with the daemon's dispatcher, which lets inbound messages go first.
    inbound_first: InboundFirst | None = None
    # Sends coaches' replies from the console; the daemon's own, whose tick sends the kept ones.
    coach_replies: CoachReplies | None = None


def create_app(deps: WebDeps, lifespan: Lifespan[Starlette] | None = None) -> Starlette:
    settings = deps.settings
    head = head_revision()
    health = deps.health or ChannelHealth()
    replier = deps.replier or Replier(
        deps.inbox.sessions, deps.clock, deps.channels, settings.public_url
    )
    wake = Coalesced(deps.after_inbound) if deps.after_inbound else None
    # Inbound messages get threads of their own, no more than can write at once.
    inbound_workers = Workers(concurrent_writers(deps.inbox.sessions, settings.db_pool_size))
    turns = LoopTurns(deps.inbox)

    def channel_for(name: str, medium: str | None) -> Channel | None:
        if name == "console" and not is_loopback_host(settings.host):
            return None  # the console inbound exists only on a daemon that listens on loopback
        return deps.channels.by_name(name, medium)

    inbound_first = deps.inbound_first or InboundFirst()
    console = ConsoleDeps(
        settings,
        deps.clock,
        deps.inbox.sessions,
        deps.coach_replies
        or CoachReplies(
            deps.inbox.sessions,
            deps.clock,
            deps.channels,
            settings.public_url,
            settings.send_window,
        ),
    )

    async def webhook(request: Request) -> Response:
        if request.path_params["kind"] in STATUS_KINDS:
            return await handle_webhook(request)
        with inbound_first.handling():
            return await handle_webhook(request)

    async def handle_webhook(request: Request) -> Response:
        name, kind = request.path_params["channel"], request.path_params["kind"]
        if kind not in INBOUND_KINDS and kind not in STATUS_KINDS:
            return _problem(404, "no such webhook")
        channel = channel_for(name, INBOUND_KINDS.get(kind))
        if channel is None:
            status = 403 if name == "console" else 404
            return _problem(status, f"channel {name!r} does not take {kind} webhooks here")
        # An email post may carry a reply with its history; it gets more room than an SMS.
        limit = settings.max_email_bytes if kind == "inbound" else settings.max_body_bytes
        try:
            hook = await as_webhook(
                request, settings.public_url, limit, settings.body_timeout_seconds
            )
            if kind in STATUS_KINDS:
                statuses = clean_statuses(channel.parse_status(hook))
                await run_in_threadpool(_apply_statuses, deps, statuses)
                return Response(status_code=204)
            message = clean_inbound(channel.parse_inbound(hook))
            try:
                message = _normalised(message)
            except NotAPhoneNumber as exc:
                # Delivered by the provider, so kept; but there is nobody to answer.
                log.warning("message from no phone number kept", channel=name, reason=str(exc))
                await inbound_workers.run(partial(deps.inbox.keep, message, str(exc)))
                content_type, payload = channel.reply_response(None)
                return Response(payload, media_type=content_type)
            inline = getattr(channel, "replies_inline", True)
            # SQLite (one writer): done here, on the loop, with those that arrived with it
            # (loop_turns.py), waiting in line for half the time allowed if the lock is taken;
            # PostgreSQL, or a lock still taken then: in a worker thread. Providers give up
            # after about 15 s (Twilio) and may retry: answer 503 well before that rather than
            # late. The work goes on in its thread, which stores the message as soon as it can
            # (a provider may never retry); storing first makes a retry safe. (A future, not a
            # coroutine: waiting for it with a timeout starts no task.)
            loop, timeout = asyncio.get_running_loop(), settings.webhook_timeout_seconds
            deadline = loop.time() + timeout
            received = await turns.take(message, inline, timeout / 2)
            if not isinstance(received, Received):
                received = await asyncio.wait_for(
                    inbound_workers.submit(partial(deps.inbox.receive, message, inline)),
                    deadline - loop.time(),
                )
        except BodyTooLarge as exc:
            return _problem(413, str(exc))
        except BodyTooSlow as exc:
            # What was sent of the body is still on the wire: this connection cannot go on.
            return _problem(408, str(exc), headers={"Connection": "close"})
        except ClientGone:
            return Response(status_code=400)  # nobody is there to read it
        except WebhookRejected as exc:
            log.warning(
                "webhook refused", channel=name, kind=kind, status=exc.status, reason=str(exc)
            )
            challenge = {"WWW-Authenticate": 'Basic realm="onward"'} if exc.status == 401 else None
            return _problem(exc.status, str(exc), headers=challenge)
        except InvalidPhoneNumber as exc:
            return _problem(422, str(exc))
        except TimeoutError:
            log.error("a webhook took too long; the provider will retry", channel=name)
            return _problem(503, "busy, retry later", retry_after="5")
        except OperationalError as exc:
            # "database or disk is full", "attempt to write a readonly database", a lost server.
            reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
            log.error("database unavailable while taking a webhook", channel=name, reason=reason)
            return _problem(503, "database unavailable, retry later", retry_after="10")
        tasks = None
        moved = received.moves_schedule and not received.duplicate
        if wake is not None and moved and wake.request():
            tasks = BackgroundTasks()
            tasks.add_task(run_in_threadpool, wake.run)
        if inline or not received.reply:
            content_type, payload = channel.reply_response(received.reply)
            return Response(payload, media_type=content_type, background=tasks)
        # The provider's answer cannot carry a reply (email): send it as a message of its own.
        # A retry of a message whose webhook was cut off gets it too; never twice (Replier).
        tasks = tasks or BackgroundTasks()
        tasks.add_task(run_in_threadpool, replier.send, received.inbound_id, received.reply)
        content_type, payload = channel.reply_response(None)
        return Response(payload, media_type=content_type, background=tasks)

    async def unsubscribe(request: Request) -> Response:
        token = request.path_params["token"]
        if is_junk(token):
            return _unsubscribe_invalid(DEFAULT_LANGUAGE)
        try:
            if request.method == "GET":
                # Link checkers fetch URLs: a GET only shows the button (RFC 8058 one-click is
                # POST), in the language of the person the link was made for.
                lang = await run_in_threadpool(_token_language, deps, token)
                if lang is None:
                    return _unsubscribe_invalid(DEFAULT_LANGUAGE)
                return HTMLResponse(_unsubscribe_page(token, lang))
            lang = await run_in_threadpool(_unsubscribe, deps, token)
        except OperationalError:
            return _problem(503, "database unavailable, retry later", retry_after="10")
        if lang is None:
            return _unsubscribe_invalid(DEFAULT_LANGUAGE)
        return HTMLResponse(_paragraph(lang, replies_consent.unsubscribe_done(lang)))

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> Response:
        ready, reason = await run_in_threadpool(_database_ready, deps, head)
        SCHEMA_CURRENT.set(1 if ready else 0)
        problems = health.problems()
        if ready and problems:
            ready, reason = False, "; ".join(f"channel {n}: {why}" for n, why in problems.items())
        return JSONResponse({"ready": ready, "reason": reason}, status_code=200 if ready else 503)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @asynccontextmanager
    async def warmed(app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(deps.inbox.warm_up)
        if lifespan is None:
            yield
            return
        async with lifespan(app):
            yield

    return Starlette(
        routes=[
            Route("/webhooks/{channel}/{kind}", webhook, methods=["POST"]),
            Route("/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            *journal_routes(settings, deps.clock, deps.inbox.sessions),
            *console_routes(console),
        ],
        lifespan=warmed,
    )


def _normalised(message: InboundMessage) -> InboundMessage:
    """Senders become E.164 numbers or lower-case addresses, the way people rows store them."""
    if message.medium == "sms":
        return replace(message, sender=sender_number(message.sender))
    return replace(message, sender=message.sender.strip().lower())


def _apply_statuses(deps: WebDeps, statuses: list[DeliveryStatus]) -> None:
    with deps.inbox.sessions.begin() as session:
        for status in statuses:
            apply_status(session, status, deps.clock.now(), deps.channels.keys())


def _unsubscribe(deps: WebDeps, token: str) -> str | None:
    """Opt the link's person out; their language, or None when the link is not valid."""
    with deps.inbox.sessions.begin() as session:
        found = read_token(session, token)
        person = session.get(Person, found[0]) if found else None
        if found is None or person is None:
            return None
        runs.opt_out(session, person, found[1], deps.clock.now(), by_unsubscribe_link(found[1]))
        return person_language(person)


def _token_language(deps: WebDeps, token: str) -> str | None:
    with deps.inbox.sessions() as session:
        found = read_token(session, token)
        person = session.get(Person, found[0]) if found else None
        return person_language(person) if person is not None else None


def _paragraph(lang: str, text: str) -> str:
    return f"<!doctype html><html lang={lang}><meta charset=utf-8><p>{html.escape(text)}</p>"


def _unsubscribe_invalid(lang: str) -> Response:
    return HTMLResponse(_paragraph(lang, replies_consent.unsubscribe_invalid(lang)), 404)


def _unsubscribe_page(token: str, lang: str) -> str:
    action = html.escape(token, quote=True)
    question, button = (html.escape(text) for text in replies_consent.unsubscribe_question(lang))
    return (
        f"<!doctype html><html lang={lang}><meta charset=utf-8><title>{button}</title>"
        f"<p>{question}</p>"
        f'<form method="post" action="{action}"><button type="submit">{button}</button></form>'
    )


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


def _problem(
    status: int, detail: str, retry_after: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    headers = dict(headers or {})
    if retry_after:
        headers["Retry-After"] = retry_after
    return Response(
        json.dumps({"error": detail}),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )

"""The web app assembled: what it is given (WebDeps) and its routes, the provider webhooks
(webhooks.py), one-click unsubscribe, the page a JOURNAL link opens, the coaches' console, health,
readiness and metrics. Starlette only here (engine/web/) and in the daemon."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Lifespan

from onward.engine import replies_consent, runs
from onward.engine.channel_set import ChannelSet
from onward.engine.clock import Clock
from onward.engine.consent_ledger import by_unsubscribe_link
from onward.engine.dispatch.coach_replies import CoachReplies
from onward.engine.dispatch.owed_replies import Replier
from onward.engine.dispatch.pacing import ChannelHealth
from onward.engine.inbound.inbox import Inbox
from onward.engine.language import DEFAULT as DEFAULT_LANGUAGE
from onward.engine.metrics import REGISTRY, SCHEMA_CURRENT
from onward.engine.render import person_language
from onward.engine.settings import Settings
from onward.engine.storage.migrate import current_revision, head_revision
from onward.engine.storage.models import Person
from onward.engine.storage.write_queue import InboundFirst
from onward.engine.unsubscribe import read_token
from onward.engine.web.console import ConsoleDeps, console_routes
from onward.engine.web.fields import is_junk
from onward.engine.web.journal_page import journal_routes
from onward.engine.web.webhooks import problem, webhook_routes


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
    webhooks = webhook_routes(deps)
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
            return problem(503, "database unavailable, retry later", retry_after="10")
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
            *webhooks,
            Route("/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            *journal_routes(settings, deps.clock, deps.inbox.sessions),
            *console_routes(console),
        ],
        lifespan=warmed,
    )


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

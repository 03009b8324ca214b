"""Provider webhooks, one generic route per channel (`POST /webhooks/{channel}/{kind}`): an
inbound message stored and acted on, its reply given in the provider's answer or sent as a message
of its own; delivery statuses applied. What cannot be taken is answered with a JSON problem."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy.exc import OperationalError
from starlette.background import BackgroundTasks
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from onward.channels import Channel, DeliveryStatus, InboundMessage, WebhookRejected
from onward.channels.net import is_loopback_host
from onward.engine.dispatch.owed_replies import Replier
from onward.engine.inbound.inbox import Received
from onward.engine.logs import get_logger
from onward.engine.phones import InvalidPhoneNumber, NotAPhoneNumber, sender_number
from onward.engine.status_callbacks import apply_status
from onward.engine.storage.write_queue import InboundFirst, concurrent_writers
from onward.engine.web.coalesce import Coalesced
from onward.engine.web.fields import clean_inbound, clean_statuses
from onward.engine.web.loop_turns import LoopTurns
from onward.engine.web.request import BodyTooLarge, BodyTooSlow, ClientGone, as_webhook
from onward.engine.web.workers import Workers

if TYPE_CHECKING:  # app.py builds the app from these routes: its WebDeps is an annotation here
    from onward.engine.web.app import WebDeps

log = get_logger("onward.web")
INBOUND_KINDS = {"sms": "sms", "email": "email", "inbound": None}
STATUS_KINDS = ("status", "events")
# The daemon's look for its wake-up after inbound messages, at most this often: a step due
# sooner than the next tick (five seconds) goes this much later at most. One look a group
# of webhooks, in a thread, took a tenth of the loop's REJECTED rate (665 against 729 a
# second without, six pairs side by side: bench/README, stop 36).
WAKE_SPACING_SECONDS = 0.1


def webhook_routes(deps: WebDeps) -> list[Route]:
    settings = deps.settings
    replier = deps.replier or Replier(
        deps.inbox.sessions, deps.clock, deps.channels, settings.public_url
    )
    wake = Coalesced(deps.after_inbound, WAKE_SPACING_SECONDS) if deps.after_inbound else None
    # Inbound messages get threads of their own, no more than can write at once.
    inbound_workers = Workers(concurrent_writers(deps.inbox.sessions, settings.db_pool_size))
    turns = LoopTurns(deps.inbox)

    def channel_for(name: str, medium: str | None) -> Channel | None:
        if name == "console" and not is_loopback_host(settings.host):
            return None  # the console inbound exists only on a daemon that listens on loopback
        return deps.channels.by_name(name, medium)

    inbound_first = deps.inbound_first or InboundFirst()

    async def webhook(request: Request) -> Response:
        if request.path_params["kind"] in STATUS_KINDS:
            return await handle_webhook(request)
        with inbound_first.handling():
            return await handle_webhook(request)

    async def handle_webhook(request: Request) -> Response:
        name, kind = request.path_params["channel"], request.path_params["kind"]
        if kind not in INBOUND_KINDS and kind not in STATUS_KINDS:
            return problem(404, "no such webhook")
        channel = channel_for(name, INBOUND_KINDS.get(kind))
        if channel is None:
            status = 403 if name == "console" else 404
            return problem(status, f"channel {name!r} does not take {kind} webhooks here")
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
            return problem(413, str(exc))
        except BodyTooSlow as exc:
            # What was sent of the body is still on the wire: this connection cannot go on.
            return problem(408, str(exc), headers={"Connection": "close"})
        except ClientGone:
            return Response(status_code=400)  # nobody is there to read it
        except WebhookRejected as exc:
            log.warning(
                "webhook refused", channel=name, kind=kind, status=exc.status, reason=str(exc)
            )
            challenge = {"WWW-Authenticate": 'Basic realm="onward"'} if exc.status == 401 else None
            return problem(exc.status, str(exc), headers=challenge)
        except InvalidPhoneNumber as exc:
            return problem(422, str(exc))
        except TimeoutError:
            log.error("a webhook took too long; the provider will retry", channel=name)
            return problem(503, "busy, retry later", retry_after="5")
        except OperationalError as exc:
            # "database or disk is full", "attempt to write a readonly database", a lost server.
            reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
            log.error("database unavailable while taking a webhook", channel=name, reason=reason)
            return problem(503, "database unavailable, retry later", retry_after="10")
        # What follows the answer, in this order: the person's reply first, then the daemon's
        # look for its wake-up (which may wait out its spacing).
        tasks = BackgroundTasks()
        owed = None if inline else received.reply
        if owed:
            # The provider's answer cannot carry a reply (email): sent as a message of its own.
            # A retry of a message whose webhook was cut off gets it too; never twice (Replier).
            tasks.add_task(run_in_threadpool, replier.send, received.inbound_id, owed)
        moved = received.moves_schedule and not received.duplicate
        if wake is not None and moved and wake.request():
            tasks.add_task(_wake_up, wake)
        content_type, payload = channel.reply_response(None if owed else received.reply)
        return Response(payload, media_type=content_type, background=tasks if tasks.tasks else None)

    return [Route("/webhooks/{channel}/{kind}", webhook, methods=["POST"])]


async def _wake_up(wake: Coalesced) -> None:
    """After the answer has gone: the spaced follow-up, in a thread. (The connection serves its
    next request meanwhile: uvicorn starts it once the response is complete.)"""
    await asyncio.sleep(wake.delay())
    await run_in_threadpool(wake.run)


def _normalised(message: InboundMessage) -> InboundMessage:
    """Senders become E.164 numbers or lower-case addresses, the way people rows store them."""
    if message.medium == "sms":
        return replace(message, sender=sender_number(message.sender))
    return replace(message, sender=message.sender.strip().lower())


def _apply_statuses(deps: WebDeps, statuses: list[DeliveryStatus]) -> None:
    with deps.inbox.sessions.begin() as session:
        for status in statuses:
            apply_status(session, status, deps.clock.now(), deps.channels.keys())


def problem(
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

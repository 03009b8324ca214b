"""`GET /journal/{token}`: the page a JOURNAL link opens, once, within 24 hours.

A plain page, no script, readable on a phone, in the person's language; never cached, framed
or sent on as a referrer. A second use, a link past its 24 hours, or one onward never made gets
a kind page saying to text JOURNAL for a new one. A link preview (a messaging app fetching the
link to draw a card) and a HEAD request see a neutral page and leave the link unused.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from onward.engine.clock import Clock
from onward.engine.journal.document import expired_page, waiting_page
from onward.engine.journal.entries import journal_for
from onward.engine.journal.links import PATH, Opened, redeem
from onward.engine.language import DEFAULT, of_person
from onward.engine.settings import Settings
from onward.engine.web.fields import is_junk

# Link-preview fetchers name themselves (iMessage sends facebookexternalhit and Twitterbot).
_PREVIEWERS = re.compile(
    r"facebookexternalhit|facebot|twitterbot|whatsapp|slackbot|telegrambot|discordbot"
    r"|linkedinbot|skypeuripreview|google-pagerenderer|embedly|preview|\bbot\b",
    re.IGNORECASE,
)


def journal_routes(
    settings: Settings, clock: Clock, sessions: sessionmaker[Session]
) -> list[Route]:
    async def journal_page(request: Request) -> Response:
        token = request.path_params["token"]
        if request.method == "HEAD" or _PREVIEWERS.search(request.headers.get("user-agent", "")):
            return _page(waiting_page(DEFAULT), 200)
        secret = settings.secret_key
        if secret is None or is_junk(token) or len(token) > 200:
            return _page(expired_page(DEFAULT), 404)
        try:
            status, html = await run_in_threadpool(
                _open, sessions, secret.get_secret_value(), token, clock.now(), settings.org_name
            )
        except OperationalError:
            return _page(expired_page(DEFAULT), 503)
        return _page(html, status)

    return [Route(PATH + "{token}", journal_page, methods=["GET"])]


def _open(
    sessions: sessionmaker[Session], secret: str, token: str, now: datetime, org: str
) -> tuple[int, str]:
    """Use the link and render the journal in one transaction: if rendering fails, the link
    is not spent."""
    with sessions.begin() as session:
        opened = redeem(session, secret, token, now)
        if not isinstance(opened, Opened):
            who = opened.person
            lang = of_person(who.language, who.country) if who is not None else DEFAULT
            return opened.status, expired_page(lang)
        return 200, journal_for(session, opened.person, org, for_page=True).html


def _page(html: str, status: int) -> HTMLResponse:
    response = HTMLResponse(html, status_code=status)
    # The person's own words: never cached, framed, indexed, or named to another site.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response

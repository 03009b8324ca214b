"""What every console page shares: its dependencies and how a template becomes a response."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import HTMLResponse

from onward.engine.clock import Clock
from onward.engine.dispatch.coach_replies import CoachReplies
from onward.engine.settings import Settings
from onward.engine.web.console.session import Signer

_TEMPLATES = Environment(
    loader=PackageLoader("onward.engine.web.console", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class ConsoleDeps:
    settings: Settings
    clock: Clock
    sessions: sessionmaker[Session]
    replies: CoachReplies

    @property
    def signer(self) -> Signer | None:
        key = self.settings.secret_key
        if key is None:
            return None
        return Signer(
            key.get_secret_value(),
            secure=self.settings.public_url.startswith("https://"),
            idle=timedelta(minutes=self.settings.console_idle_minutes),
        )


def render(deps: ConsoleDeps, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _TEMPLATES.get_template(name).render(org=deps.settings.org_name, **context)
    response = HTMLResponse(html, status_code=status)
    # Pages name people and hold their words: never cached, never framed.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
        "frame-ancestors 'none'"
    )
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def forbidden(deps: ConsoleDeps, visitor: object, why: str) -> HTMLResponse:
    return render(deps, "message.html", 403, visitor=visitor, title="Not allowed", message=why)


def unconfigured(deps: ConsoleDeps) -> HTMLResponse:
    return render(
        deps,
        "message.html",
        503,
        visitor=None,
        title="Console not set up",
        message="The console needs ONWARD_SECRET_KEY (32 characters or more) to sign sessions.",
    )

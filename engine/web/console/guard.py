"""Who may see a console page: a signed-in, active staff member (an admin for admin pages),
and a CSRF token matching the session on every form posted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from onward.engine.coaches.staff import active_member
from onward.engine.storage.console_models import ROLE_ADMIN, Staff
from onward.engine.web.console.base import ConsoleDeps, forbidden, unconfigured
from onward.engine.web.console.session import SESSION_COOKIE, ConsoleSession, same_token

LOGIN_PATH = "/console/login"


@dataclass(frozen=True)
class Visitor:
    """The signed-in staff member of one request, as plain values."""

    id: int
    email: str
    name: str
    role: str
    csrf: str

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN


class EndSession(RedirectResponse):
    """Sign-out: the session cookie is deleted instead of refreshed."""


Page = Callable[[Request, Visitor], Awaitable[Response]]


def to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN_PATH}?next={quote(target, safe='/')}", status_code=303)


def guarded(
    deps: ConsoleDeps, page: Page, admin: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a page: no session (or an expired one, or a disabled account) goes to sign-in; a
    coach on an admin page gets 403; a POST without the session's CSRF token gets 403."""

    async def handler(request: Request) -> Response:
        signer = deps.signer
        if signer is None:
            return unconfigured(deps)
        now = deps.clock.now()
        session = signer.read_session(request.cookies.get(SESSION_COOKIE), now)
        if session is None:
            return to_login(request)
        visitor = await run_in_threadpool(_visitor, deps, session)
        if visitor is None:
            response = to_login(request)
            signer.end(response)
            return response
        if admin and not visitor.is_admin:
            return forbidden(deps, visitor, "This page is for admins.")
        if request.method == "POST":
            form = await request.form()
            if not same_token(visitor.csrf, str(form.get("csrf", ""))):
                return forbidden(deps, visitor, "This form has expired. Reload it and try again.")
        response = await page(request, visitor)
        if isinstance(response, EndSession):
            signer.end(response)
        else:
            signer.keep(response, session, now)
        return response

    return handler


def _visitor(deps: ConsoleDeps, session: ConsoleSession) -> Visitor | None:
    with deps.sessions() as db:
        member: Staff | None = active_member(db, session.staff_id, session.epoch)
        if member is None:
            return None
        return Visitor(member.id, member.email, member.name, member.role, session.csrf)

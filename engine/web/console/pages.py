"""The console's pages: sign-in and out, the queue, a person's page with its actions, plans,
numbers and staff. Database work runs in threads; every person view and action is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, cast
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from onward.engine import audit, coaching, staff
from onward.engine.errors import UsageError
from onward.engine.models import Person
from onward.engine.web.console.base import ConsoleDeps, render, unconfigured
from onward.engine.web.console.catalogue import numbers_page, plans_page, staff_page
from onward.engine.web.console.guard import EndSession, Visitor, guarded
from onward.engine.web.console.person_view import PersonView, person_view
from onward.engine.web.console.queue import queue
from onward.engine.web.console.session import LOGIN_COOKIE, SESSION_COOKIE

__all__ = ["ConsoleDeps", "console_routes"]


def console_routes(deps: ConsoleDeps) -> list[BaseRoute]:
    def page(handler: object, admin: bool = False) -> object:
        return guarded(deps, handler, admin)  # type: ignore[arg-type]

    async def login(request: Request) -> Response:
        return await _login(deps, request)

    routes: list[tuple[str, object, list[str]]] = [
        ("/console/login", login, ["GET", "POST"]),
        ("/console/logout", page(_logout(deps)), ["POST"]),
        ("/console/", page(_queue(deps)), ["GET"]),
        ("/console/people/{person_id:int}", page(_person(deps)), ["GET"]),
        ("/console/people/{person_id:int}/{action}", page(_act(deps)), ["POST"]),
        ("/console/plans", page(plans_page(deps), admin=True), ["GET"]),
        ("/console/staff", page(staff_page(deps), admin=True), ["GET"]),
        ("/console/numbers", page(numbers_page(deps)), ["GET"]),
    ]
    built: list[BaseRoute] = [
        Route(path, endpoint, methods=methods)  # type: ignore[arg-type]
        for path, endpoint, methods in routes
    ]
    built.append(Route("/console", _to_queue, methods=["GET"]))
    return built


async def _to_queue(request: Request) -> Response:
    return RedirectResponse("/console/", status_code=307)


# -- sign-in -------------------------------------------------------------------------------------


def _safe_next(target: str) -> str:
    """Only a console path of this site: never an address elsewhere (an open redirect)."""
    if target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console/"


async def _login(deps: ConsoleDeps, request: Request) -> Response:
    signer = deps.signer
    if signer is None:
        return unconfigured(deps)
    now = deps.clock.now()
    if signer.read_session(request.cookies.get(SESSION_COOKIE), now) is not None:
        return RedirectResponse("/console/", status_code=303)
    token = signer.login_token(request.cookies.get(LOGIN_COOKIE))
    target = _safe_next(request.query_params.get("next", "/console/"))
    if request.method == "GET":
        form_page = render(
            deps, "login.html", title="Sign in", visitor=None, csrf=token, next=target, error=""
        )
        signer.keep_login_token(form_page, token)
        return form_page
    form = await request.form()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    target = _safe_next(str(form.get("next", target)))
    if not signer.login_token_matches(request.cookies.get(LOGIN_COOKIE), str(form.get("csrf", ""))):
        error, status = "This form has expired. Please try again.", 403
        member = None
    else:
        address = request.client.host if request.client else "unknown"
        member, error, status = await run_in_threadpool(_check, deps, email, password, address)
    if member is None:
        page = render(
            deps,
            "login.html",
            status,
            title="Sign in",
            visitor=None,
            csrf=token,
            next=target,
            error=error,
            email=email,
        )
        signer.keep_login_token(page, token)
        return page
    response = RedirectResponse(target, status_code=303)
    signer.keep(response, signer.new_session(*member, now), now)
    response.delete_cookie(LOGIN_COOKIE, path="/console")
    return response


def _check(
    deps: ConsoleDeps, email: str, password: str, address: str
) -> tuple[tuple[int, int] | None, str, int]:
    now = deps.clock.now()
    with deps.sessions.begin() as db:
        if staff.locked_out(db, email.strip().lower(), address, now):
            return None, "Too many tries. Please wait 15 minutes and try again.", 429
        member = staff.sign_in(db, email, password, address, now)
        if member is None:
            return None, "That email and password don't match an active account.", 401
        return (member.id, member.session_epoch), "", 200


def _logout(deps: ConsoleDeps) -> object:
    async def handler(request: Request, visitor: Visitor) -> Response:
        await run_in_threadpool(_sign_out, deps, visitor.id)
        return EndSession("/console/login", status_code=303)

    return handler


def _sign_out(deps: ConsoleDeps, staff_id: int) -> None:
    with deps.sessions.begin() as db:
        staff.sign_out(db, staff_id)


# -- the queue and a person ----------------------------------------------------------------------


def _ago(then: datetime, now: datetime) -> str:
    minutes = int((now - then).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


def _queue(deps: ConsoleDeps) -> object:
    async def handler(request: Request, visitor: Visitor) -> Response:
        now = deps.clock.now()

        def load() -> list[dict[str, object]]:
            with deps.sessions() as db:
                return [
                    {**item.__dict__, "ago": _ago(item.when, now),
                     "at": f"{item.when:%d %b %H:%M} UTC"}
                    for item in queue(db, now)
                ]  # fmt: skip

        items = await run_in_threadpool(load)
        return render(deps, "queue.html", visitor=visitor, title="Queue", items=items)

    return handler


def _person(deps: ConsoleDeps) -> object:
    async def handler(request: Request, visitor: Visitor) -> Response:
        person_id = int(request.path_params["person_id"])
        now = deps.clock.now()

        def load() -> object:
            with deps.sessions.begin() as db:
                person = db.get(Person, person_id)
                if person is None:
                    return None
                view = person_view(db, person, now)
                audit.record(db, visitor.id, audit.VIEW_PERSON, person_id, now)
                if view.shared:
                    audit.record(db, visitor.id, audit.VIEW_JOURNAL, person_id, now)
                return view

        view = await run_in_threadpool(load)
        if view is None:
            return render(deps, "message.html", 404, visitor=visitor, title="Not found",
                          message="Nobody with that id: they may have been forgotten.")  # fmt: skip
        notice = request.query_params.get("notice", "")
        return render(deps, "person.html", visitor=visitor, title=f"Person {person_id}",
                      person=view, notice=notice[:200], choose=None, body="")  # fmt: skip

    return handler


ACTIONS = ("take", "hand-back", "reply", "resolve")


def _act(deps: ConsoleDeps) -> object:
    async def handler(request: Request, visitor: Visitor) -> Response:
        person_id, action = int(request.path_params["person_id"]), request.path_params["action"]
        if action not in ACTIONS:
            return render(deps, "message.html", 404, visitor=visitor, title="Not found",
                          message="No such action.")  # fmt: skip
        form = await request.form()
        back = f"/console/people/{person_id}"
        try:
            if action == "reply":
                return await _reply(deps, request, visitor, person_id, str(form.get("body", "")),
                                    str(form.get("when", "")))  # fmt: skip
            notice = await run_in_threadpool(_change, deps, visitor, person_id, action, form)
        except UsageError as exc:
            notice = str(exc)
        return RedirectResponse(f"{back}?notice={_quote(notice)}", status_code=303)

    return handler


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _change(deps: ConsoleDeps, visitor: Visitor, person_id: int, action: str, form: object) -> str:
    now = deps.clock.now()
    get = getattr(form, "get")  # noqa: B009  (a Starlette FormData)
    with deps.sessions.begin() as db:
        person = db.get(Person, person_id)
        member = staff.active_member(db, visitor.id)
        if person is None or member is None:
            raise UsageError("that person is no longer known to onward")
        if action == "take":
            coaching.take(db, person, member, now)
            audit.record(db, visitor.id, audit.TAKE, person_id, now)
            return "You hold this conversation: the plan is paused and their messages come to you."
        if action == "hand-back":
            coaching.hand_back(db, person, now, deps.settings.send_window)
            audit.record(db, visitor.id, audit.HAND_BACK, person_id, now)
            return "Handed back: the plan carries on, re-timed."
        kind = str(get("kind", ""))
        if kind not in ("crisis", "coach", "unplaced", "unsure", "failing"):
            raise UsageError("unknown item")
        ref = str(get("ref", ""))
        note = str(get("note", ""))
        coaching.resolve(
            db, person_id, kind, int(ref) if ref.isdigit() else None, member, note, now
        )
        audit.record(db, visitor.id, audit.RESOLVE, person_id, now, f"{kind}: {note.strip()}"[:500])
        return "Marked as handled."


async def _reply(
    deps: ConsoleDeps, request: Request, visitor: Visitor, person_id: int, body: str, when: str
) -> Response:
    choice = cast(Literal["now", "opening"] | None, when if when in ("now", "opening") else None)

    def send() -> object:
        try:
            return deps.replies.reply(person_id, visitor.id, body, choice)
        except UsageError as exc:
            return str(exc)

    result = await run_in_threadpool(send)
    back = f"/console/people/{person_id}"
    if isinstance(result, str):
        return RedirectResponse(f"{back}?notice={_quote(result)}", status_code=303)
    status = getattr(result, "status")  # noqa: B009
    if status == "choose":
        return await _choose(deps, visitor, person_id, body, result.opening)  # type: ignore[attr-defined]
    if status in ("sent", "scheduled"):
        await run_in_threadpool(_audit_reply, deps, visitor, person_id, body, status)
    notices = {
        "sent": "Reply sent.",
        "scheduled": "Reply kept: it goes when their window opens.",
        "refused": "Not sent: " + getattr(result, "detail", ""),
        "failed": "Not sent: " + getattr(result, "detail", ""),
    }
    return RedirectResponse(f"{back}?notice={_quote(notices.get(status, status))}", status_code=303)


def _audit_reply(
    deps: ConsoleDeps, visitor: Visitor, person_id: int, body: str, status: str
) -> None:
    with deps.sessions.begin() as db:
        audit.record(db, visitor.id, audit.REPLY, person_id, deps.clock.now(), body.strip())


async def _choose(
    deps: ConsoleDeps, visitor: Visitor, person_id: int, body: str, opening: datetime | None
) -> Response:
    now = deps.clock.now()

    def load() -> tuple[PersonView, str] | None:
        with deps.sessions() as db:
            person = db.get(Person, person_id)
            return None if person is None else (person_view(db, person, now), person.timezone)

    loaded = await run_in_threadpool(load)
    if loaded is None or opening is None:
        return RedirectResponse(f"/console/people/{person_id}", status_code=303)
    view, zone = loaded
    local = opening.astimezone(ZoneInfo(zone)).strftime("%a %H:%M")
    return render(deps, "person.html", visitor=visitor, title=f"Person {person_id}", person=view,
                  notice="", choose=local, body=body)  # fmt: skip

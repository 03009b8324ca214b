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

from onward.engine import audit
from onward.engine.coaches import coaching, staff
from onward.engine.errors import UsageError
from onward.engine.storage.models import Person
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
        ("/console/plans", page(plans_page(deps)), ["GET"]),  # read-only: every coach
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


# Notices after a redirect are named in the URL, never written there: a link cannot put words
# of its own on a coach's screen.
NOTICES = {
    "taken": "You hold this conversation: the plan is paused and their messages come to you.",
    "handed": "Handed back: the plan carries on, re-timed.",
    "resolved": "Marked as handled.",
    "sent": "Reply sent.",
    "scheduled": "Reply kept: it goes when their window opens.",
}
ACTIONS = ("take", "hand-back", "reply", "resolve")
ITEM_KINDS = ("crisis", "coach", "unplaced", "unsure", "failing")


def _person(deps: ConsoleDeps) -> object:
    async def handler(request: Request, visitor: Visitor) -> Response:
        notice = NOTICES.get(request.query_params.get("done", ""), "")
        return await _person_page(deps, visitor, int(request.path_params["person_id"]), notice)

    return handler


async def _person_page(
    deps: ConsoleDeps,
    visitor: Visitor,
    person_id: int,
    notice: str,
    status: int = 200,
    choose: str | None = None,
    body: str = "",
) -> Response:
    """The person's page; each showing is audited (and the journal's, once shared)."""
    now = deps.clock.now()

    def load() -> PersonView | None:
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
    return render(deps, "person.html", status, visitor=visitor, title=f"Person {person_id}",
                  person=view, notice=notice, choose=choose, body=body)  # fmt: skip


def _act(deps: ConsoleDeps) -> object:
    async def handler(request: Request, visitor: Visitor) -> Response:
        person_id, action = int(request.path_params["person_id"]), request.path_params["action"]
        if action not in ACTIONS:
            return render(deps, "message.html", 404, visitor=visitor, title="Not found",
                          message="No such action.")  # fmt: skip
        form = await request.form()
        fields = {key: str(form.get(key, "")) for key in ("body", "when", "kind", "ref", "note")}
        try:
            if action == "reply":
                return await _reply(deps, visitor, person_id, fields["body"], fields["when"])
            done = await run_in_threadpool(_change, deps, visitor, person_id, action, fields)
        except UsageError as exc:
            return await _person_page(deps, visitor, person_id, str(exc), status=400)
        return RedirectResponse(f"/console/people/{person_id}?done={done}", status_code=303)

    return handler


def _change(
    deps: ConsoleDeps, visitor: Visitor, person_id: int, action: str, fields: dict[str, str]
) -> str:
    now = deps.clock.now()
    with deps.sessions.begin() as db:
        person = db.get(Person, person_id)
        member = staff.active_member(db, visitor.id)
        if person is None or member is None:
            raise UsageError("that person is no longer known to onward")
        if action == "take":
            coaching.take(db, person, member, now)
            audit.record(db, visitor.id, audit.TAKE, person_id, now)
            return "taken"
        if action == "hand-back":
            coaching.hand_back(db, person, now, deps.settings.send_window)
            audit.record(db, visitor.id, audit.HAND_BACK, person_id, now)
            return "handed"
        kind, ref, note = fields["kind"], fields["ref"], fields["note"]
        if kind not in ITEM_KINDS:
            raise UsageError("unknown item")
        ref_id = int(ref) if ref.isdigit() else None
        coaching.resolve(db, person_id, kind, ref_id, member, note, now)
        audit.record(db, visitor.id, audit.RESOLVE, person_id, now, f"{kind}: {note.strip()}"[:500])
        return "resolved"


async def _reply(
    deps: ConsoleDeps, visitor: Visitor, person_id: int, body: str, when: str
) -> Response:
    """Send the coach's words, or ask when (outside the window), or say why they cannot go."""
    choice = cast(Literal["now", "opening"] | None, when if when in ("now", "opening") else None)
    result = await run_in_threadpool(deps.replies.reply, person_id, visitor.id, body, choice)
    if result.status == "choose" and result.opening is not None:
        zone = await run_in_threadpool(_zone_of, deps, person_id)
        local = result.opening.astimezone(ZoneInfo(zone)).strftime("%a %H:%M")
        return await _person_page(deps, visitor, person_id, "", choose=local, body=body)
    if result.status not in ("sent", "scheduled"):
        return await _person_page(deps, visitor, person_id, f"Not sent: {result.detail}", 400)
    await run_in_threadpool(_audit_reply, deps, visitor, person_id, body)
    return RedirectResponse(f"/console/people/{person_id}?done={result.status}", status_code=303)


def _zone_of(deps: ConsoleDeps, person_id: int) -> str:
    with deps.sessions() as db:
        person = db.get(Person, person_id)
        return person.timezone if person is not None else "UTC"


def _audit_reply(deps: ConsoleDeps, visitor: Visitor, person_id: int, body: str) -> None:
    with deps.sessions.begin() as db:
        audit.record(db, visitor.id, audit.REPLY, person_id, deps.clock.now(), body.strip())

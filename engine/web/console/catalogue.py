"""The console's reference pages: plans with their timeline preview (every coach, read only),
the staff list (admins), and the numbers of `onward stats`."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from onward.engine.coaches import staff
from onward.engine.numbers import stats
from onward.engine.plan_store import default_plan_name, parsed
from onward.engine.preview import preview
from onward.engine.storage.models import PlanVersion
from onward.engine.web.console.base import ConsoleDeps, render
from onward.engine.web.console.guard import Visitor

Handler = Callable[[Request, Visitor], Awaitable[Response]]
PREVIEW_ZONE = "UTC"


def plans_page(deps: ConsoleDeps) -> Handler:
    async def handler(request: Request, visitor: Visitor) -> Response:
        now = deps.clock.now()

        def load() -> list[dict[str, object]]:
            with deps.sessions() as db:
                default = default_plan_name(db)
                versions = db.scalars(
                    select(PlanVersion).order_by(PlanVersion.name, PlanVersion.version.desc())
                )
                plans = []
                for version in versions:
                    plan = parsed(version)
                    rows = preview(plan, now, PREVIEW_ZONE, deps.settings.send_window,
                                   org=deps.settings.org_name)  # fmt: skip
                    plans.append({
                        "name": version.name, "version": version.version,
                        "default": version.name == default, "description": plan.description,
                        "keywords": ", ".join(plan.keywords), "rows": rows,
                    })  # fmt: skip
                return plans

        plans = await run_in_threadpool(load)
        return render(deps, "plans.html", visitor=visitor, title="Plans", plans=plans,
                      zone=PREVIEW_ZONE)  # fmt: skip

    return handler


def staff_page(deps: ConsoleDeps) -> Handler:
    async def handler(request: Request, visitor: Visitor) -> Response:
        def load() -> list[dict[str, object]]:
            with deps.sessions() as db:
                return [
                    {"email": m.email, "name": m.name, "role": m.role, "active": m.active}
                    for m in staff.list_staff(db)
                ]

        members = await run_in_threadpool(load)
        return render(deps, "staff.html", visitor=visitor, title="Staff", members=members)

    return handler


def numbers_page(deps: ConsoleDeps) -> Handler:
    async def handler(request: Request, visitor: Visitor) -> Response:
        # Numbers only, never words; counts under 5 people are already null (shown "<5").
        with deps.sessions() as session:
            page = stats.numbers_page(session, deps.clock.now())
        chart = base64.b64encode(page.chart_png).decode()
        return render(
            deps,
            "numbers.html",
            visitor=visitor,
            title="Numbers",
            figures=page.figures,
            columns=stats.STEP_FIGURES,
            chart=chart,
        )

    return handler

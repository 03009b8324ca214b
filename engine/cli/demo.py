"""`onward demo`: one rejection through the standard plan on a throwaway database, fast."""

from __future__ import annotations

import io
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from onward.channels import InboundMessage
from onward.engine.clock import FakeClock
from onward.engine.plan_store import install_shipped_plans
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from onward.engine.storage.migrate import upgrade
from onward.engine.storage.models import Step

PHONE = "+14155550100"
ZONE = ZoneInfo("America/Los_Angeles")
# What the person in the demo writes back after each kind of prompt.
REPLIES = {
    "reflect": "The technical round went well; I rushed the salary question.",
    "feedback_ask": "DONE",
    "research": "The hire had five years of dbt and a portfolio of dashboards.",
    "apply": "APPLIED 2",
}


def demo_command(
    pace: float = typer.Option(
        1.2, "--pace", min=0.0, help="Real seconds between simulated events."
    ),
) -> None:
    """Run one rejection through the standard plan, every step shown at its simulated local time."""
    console = Console(highlight=False)
    with tempfile.TemporaryDirectory(prefix="onward-demo-") as folder:
        settings = load_settings(
            {
                "ONWARD_DATABASE_URL": f"sqlite:///{Path(folder) / 'demo.db'}",
                # Simulated time jumps days at once: no step is ever "missed".
                "ONWARD_MISSED_GRACE_HOURS": str(365 * 24),
            }
        )
        # Tuesday 14:30 in San Francisco: a plausible moment for the bad news to arrive.
        clock = FakeClock(datetime(2026, 12, 1, 22, 30, tzinfo=UTC))
        printed = io.StringIO()
        runtime = Runtime(settings, clock, output=printed, worker_id="demo")
        try:
            _run(console, runtime, clock, printed, pace)
        finally:
            runtime.close()


def _run(
    console: Console, runtime: Runtime, clock: FakeClock, printed: io.StringIO, pace: float
) -> None:
    upgrade(runtime.engine)
    with runtime.sessions.begin() as session:
        install_shipped_plans(session, clock)
    inbox, dispatcher = runtime.inbox, runtime.dispatcher

    def text(body: str) -> None:
        console.print(f"[bold cyan]{_local(clock)}[/]  person texts: [italic]{body}[/]")
        received = inbox.receive(
            InboundMessage(
                channel="console",
                medium="sms",
                provider_message_id=f"demo-{clock.now().timestamp()}-{body[:8]}",
                sender=PHONE,
                recipient="+15005550006",
                body=body,
            )
        )
        if received.reply:
            console.print(
                Panel(received.reply, title="onward replies at once", border_style="green")
            )

    console.rule("onward demo: one rejection, the standard plan, time compressed")
    text("REJECTED Acme - Data Analyst")
    total = _waiting(runtime)
    with Progress(
        TextColumn("plan"), BarColumn(), MofNCompleteColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task("plan", total=total)
        while (due := dispatcher.earliest_due()) is not None:
            time.sleep(pace)
            clock.set(due)
            dispatcher.tick()
            kinds = _sent_kinds_at(runtime, due)
            frame = printed.getvalue()
            printed.seek(0)
            printed.truncate()
            if frame:
                bar.console.print(f"[bold cyan]{_local(clock)}[/]  delivered:")
                bar.console.print(frame.rstrip("\n"), markup=False)
            bar.update(task, completed=total - _waiting(runtime))
            for kind in kinds:
                if kind in REPLIES:
                    clock.advance(timedelta(hours=2))
                    text(REPLIES[kind])
    console.rule("done: every step delivered; the journal keeps the replies")


def _local(clock: FakeClock) -> str:
    return clock.now().astimezone(ZONE).strftime("%a %d %b %H:%M %Z")


def _waiting(runtime: Runtime) -> int:
    from sqlalchemy import func, select

    with runtime.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(Step).where(Step.status == "pending"))
            or 0
        )


def _sent_kinds_at(runtime: Runtime, due: datetime) -> list[str]:
    from sqlalchemy import select

    with runtime.sessions() as session:
        return list(
            session.scalars(
                select(Step.kind).where(
                    Step.status == "sent", Step.reminder_of.is_(None), Step.due_at == due
                )
            )
        )

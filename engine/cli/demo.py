"""`onward demo`: one rejection through the standard plan on a throwaway database, fast.

`--story` runs the longer walk of demo_story.py instead: two rejections and an interview.
"""

from __future__ import annotations

import io
import secrets
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from onward.engine.cli.demo_story import tell_story
from onward.engine.cli.demo_world import SETTINGS, DemoWorld
from onward.engine.clock import FakeClock
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings

# What the person in the demo writes back after each kind of prompt.
REPLIES = {
    "reflect": "The technical round went well; I rushed the salary question.",
    "feedback_ask": "DONE",
    "research": "The hire had five years of dbt and a portfolio of dashboards.",
    "apply": "APPLIED 2",
}


def demo_command(
    pace: float | None = typer.Option(
        None, "--pace", min=0.0, help="Real seconds between simulated events (1.2; story 0.8)."
    ),
    story: bool = typer.Option(
        False, "--story", help="Two rejections and an interview for one person, about a minute."
    ),
) -> None:
    """Run one rejection through the standard plan, every step shown at its simulated local time."""
    console = Console(highlight=False)
    with tempfile.TemporaryDirectory(prefix="onward-demo-") as folder:
        settings = load_settings(
            {
                "ONWARD_DATABASE_URL": f"sqlite:///{Path(folder) / 'demo.db'}",
                # A key for this run only: JOURNAL's one-time link is signed with it.
                "ONWARD_SECRET_KEY": secrets.token_urlsafe(32),
                **SETTINGS,
            }
        )
        # Tuesday 14:30 in San Francisco: a plausible moment for the bad news to arrive.
        clock = FakeClock(datetime(2026, 12, 1, 22, 30, tzinfo=UTC))
        printed = io.StringIO()
        runtime = Runtime(settings, clock, output=printed, worker_id="demo")
        try:
            world = DemoWorld(console, runtime, clock, printed)
            if story:
                tell_story(world, 0.8 if pace is None else pace)
            else:
                _one_rejection(world, 1.2 if pace is None else pace)
        finally:
            runtime.close()


def _one_rejection(world: DemoWorld, pace: float) -> None:
    console = world.console
    console.rule("onward demo: one rejection, the standard plan, time compressed")
    world.text("REJECTED Acme - Data Analyst")
    total = world.waiting()
    with Progress(
        TextColumn("plan"), BarColumn(), MofNCompleteColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task("plan", total=total)
        while (sent := world.deliver_next(pace)) is not None:
            bar.update(task, completed=total - world.waiting())
            for step in sent:
                if step.kind in REPLIES:
                    world.clock.advance(timedelta(hours=2))
                    world.text(REPLIES[step.kind])
    console.rule("done: every step delivered; the journal keeps the replies")

"""What both demos run on: a throwaway database, a fake clock, and a person who texts.

`DemoWorld` sends a person's texts through the real inbox, lets the real dispatcher deliver what
falls due (through the console channel, captured here), and prints both at the person's local
time. The demos only decide what the person writes and when.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.panel import Panel
from sqlalchemy import func, select

from onward.channels import InboundMessage
from onward.engine.clock import FakeClock
from onward.engine.plan_store import install_shipped_plans
from onward.engine.runtime import Runtime
from onward.engine.storage.migrate import upgrade
from onward.engine.storage.models import Step, status_is

PHONE = "+14155550100"
ZONE = ZoneInfo("America/Los_Angeles")
# Simulated time jumps days at once: no step may count as "missed" for being late.
SETTINGS = {"ONWARD_MISSED_GRACE_HOURS": str(365 * 24)}


class DemoWorld:
    def __init__(
        self, console: Console, runtime: Runtime, clock: FakeClock, printed: io.StringIO
    ) -> None:
        self.console, self.runtime, self.clock, self.printed = console, runtime, clock, printed
        self._texts = 0
        upgrade(runtime.engine)
        with runtime.sessions.begin() as session:
            install_shipped_plans(session, clock)

    def local(self) -> str:
        return self.clock.now().astimezone(ZONE).strftime("%a %d %b %H:%M")

    def text(self, body: str) -> None:
        """The person writes `body`; onward's immediate reply, if any, is shown."""
        self._texts += 1
        self.console.print(f"[bold cyan]{self.local()}[/]  person texts: [italic]{body}[/]")
        received = self.runtime.inbox.receive(
            InboundMessage(
                channel="console",
                medium="sms",
                provider_message_id=f"demo-{self._texts}",
                sender=PHONE,
                recipient="+15005550006",
                body=body,
            )
        )
        if received.reply:
            self.console.print(
                Panel(received.reply, title="onward replies at once", border_style="green")
            )

    def deliver_next(self, pace: float, before: datetime | None = None) -> list[Step] | None:
        """Deliver what falls due next (not after `before`): the steps sent, or None if none."""
        dispatcher = self.runtime.dispatcher
        due = dispatcher.earliest_due()
        if due is None or (before is not None and due > before):
            return None
        time.sleep(pace)
        self.clock.set(due)
        dispatcher.tick()
        frame = self.printed.getvalue()
        self.printed.seek(0)
        self.printed.truncate()
        if frame:
            self.console.print(f"[bold cyan]{self.local()}[/]  delivered:")
            self.console.print(frame.rstrip("\n"), markup=False)
        return self._sent_at(due)

    def waiting(self) -> int:
        with self.runtime.sessions() as session:
            count = session.scalar(
                select(func.count()).select_from(Step).where(status_is(Step.status, "pending"))
            )
            return count or 0

    def _sent_at(self, due: datetime) -> list[Step]:
        with self.runtime.sessions() as session:
            steps = session.scalars(
                select(Step).where(
                    status_is(Step.status, "sent"), Step.reminder_of.is_(None), Step.due_at == due
                )
            )
            found = list(steps)
            session.expunge_all()
            return found


Answerer = Callable[[Step], str | None]

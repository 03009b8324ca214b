"""A plan's timeline for a hypothetical rejection: when each nudge would arrive, and its text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from onward.engine.replies_when import local_due
from onward.engine.timing import plan_timeline
from onward.plans import Plan, SendWindow, render, sample_context


@dataclass(frozen=True)
class PreviewRow:
    step: str
    kind: str
    due_utc: datetime
    due_local: datetime
    moved_by_window: bool
    text: str

    def as_json(self) -> dict[str, object]:
        return {
            "step": self.step,
            "kind": self.kind,
            "due_utc": self.due_utc.isoformat().replace("+00:00", "Z"),
            "due_local": self.due_local.isoformat(),
            "moved_by_window": self.moved_by_window,
            "text": self.text,
        }


def preview(
    plan: Plan,
    at: datetime,
    zone: str,
    default_window: SendWindow,
    country: str | None = None,
    org: str = "onward",
    lang: str = "en",
) -> list[PreviewRow]:
    """Every step in due order, placed in the plan's window (or the default), rendered in
    `lang` (the plan's own language when it has no translation in `lang`)."""
    window = plan.window or default_window
    timeline = plan_timeline(at, plan.steps, ZoneInfo(zone), window, country)
    steps = {step.id: step for step in plan.steps}
    context = sample_context(
        plan=plan.name,
        company="Acme",
        role="Data Analyst",
        applied=0,
        goal=plan.apply_goal,
        org=org,
        coach="",
    )
    text_lang = plan.text_language(lang)
    rows = []
    for step_id, placement in timeline:
        step = steps[step_id]
        rows.append(
            PreviewRow(
                step=step_id,
                kind=step.kind,
                due_utc=placement.due_utc,
                due_local=placement.due_local,
                moved_by_window=placement.moved_by_window,
                text=render(
                    step.text_for(lang),
                    {**context, "local_due": local_due(text_lang, placement.due_local)},
                ),
            )
        )
    return rows

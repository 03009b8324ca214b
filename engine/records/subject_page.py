"""A subject access export as one plain HTML page a person can read (no scripts, no links out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

SECTIONS = {
    "profile": ("About you", "What onward keeps to reach you at the right time."),
    "consent": (
        "Your consent",
        "Every time you joined, stopped or came back, how, and what you had been told.",
    ),
    "rejections": ("Rejections you told us about", ""),
    "runs": ("Plans", "Each plan onward ran for you, and how it ended."),
    "messages_in": ("Messages from you", "Everything you wrote, and what onward answered."),
    "messages_out": ("Messages to you", "Every message onward sent you."),
    "journal": ("Your journal", "Your answers to the questions in your plan."),
    "journal_copies": (
        "Copies of your journal",
        "Each time you asked for your journal (JOURNAL): by email, or as a link that opens once.",
    ),
    "staff_actions": (
        "Who on the staff saw or did what",
        "Each time a coach opened your page or journal, replied, or took your conversation.",
    ),
}
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "color:#222}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}"
    "th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}p.note{color:#555}"
)


def _text(value: object) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def _table(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return "<p class=note>Nothing here.</p>"
    columns = list(rows[0])
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_text(row.get(c)))}</td>" for c in columns) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def to_html(data: Mapping[str, Any], organisation: str) -> str:
    parts = [
        "<!doctype html><html lang=en><meta charset=utf-8>",
        f"<title>Your data at {escape(organisation)}</title><style>{_STYLE}</style>",
        f"<h1>Your data at {escape(organisation)}</h1>",
        f"<p class=note>Everything held about you on {escape(_text(data.get('exported_at')))}."
        " Text FORGET to have all of it erased.</p>",
    ]
    for key, value in data.items():
        if key == "exported_at":
            continue
        title, note = SECTIONS.get(key, (key.replace("_", " ").capitalize(), ""))
        parts.append(f"<h2>{escape(title)}</h2>")
        if note:
            parts.append(f"<p class=note>{escape(note)}</p>")
        if isinstance(value, Mapping):
            rows = [{"field": k, "value": v} for k, v in value.items()]
            parts.append(_table(rows))
        else:
            parts.append(_table(value))
    parts.append("</html>")
    return "\n".join(parts)

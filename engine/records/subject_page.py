"""A subject access export as one plain HTML page a person can read (no scripts, no links out),
in their language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from onward.engine.language import N_, speaker

SECTIONS = {
    "profile": (N_("About you"), N_("What onward keeps to reach you at the right time.")),
    "consent": (
        N_("Your consent"),
        N_("Every time you joined, stopped or came back, how, and what you had been told."),
    ),
    "rejections": (N_("Rejections you told us about"), ""),
    "runs": (N_("Plans"), N_("Each plan onward ran for you, and how it ended.")),
    "messages_in": (
        N_("Messages from you"),
        N_("Everything you wrote, and what onward answered."),
    ),
    "messages_out": (N_("Messages to you"), N_("Every message onward sent you.")),
    "journal": (N_("Your journal"), N_("Your answers to the questions in your plan.")),
    "journal_copies": (
        N_("Copies of your journal"),
        N_(
            "Each time you asked for your journal (JOURNAL): by email, or as a link that opens"
            " once."
        ),
    ),
    "staff_actions": (
        N_("Who on the staff saw or did what"),
        N_("Each time a coach opened your page or journal, replied, or took your conversation."),
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


def _table(rows: Sequence[Mapping[str, Any]], lang: str) -> str:
    if not rows:
        return f"<p class=note>{escape(speaker(lang).gettext('Nothing here.'))}</p>"
    columns = list(rows[0])
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_text(row.get(c)))}</td>" for c in columns) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def to_html(data: Mapping[str, Any], organisation: str, lang: str = "en") -> str:
    """The page, in `lang` (the person's: `profile.language` of the data)."""
    _ = speaker(lang).gettext
    heading = escape(_("Your data at {organisation}").format(organisation=organisation))
    held = _("Everything held about you on {date}. Text FORGET to have all of it erased.")
    parts = [
        f"<!doctype html><html lang={escape(lang)}><meta charset=utf-8>",
        f"<title>{heading}</title><style>{_STYLE}</style>",
        f"<h1>{heading}</h1>",
        f"<p class=note>{escape(held.format(date=_text(data.get('exported_at'))))}</p>",
    ]
    for key, value in data.items():
        if key == "exported_at":
            continue
        title, note = SECTIONS.get(key, (key.replace("_", " ").capitalize(), ""))
        parts.append(f"<h2>{escape(_(title))}</h2>")
        if note:
            parts.append(f"<p class=note>{escape(_(note))}</p>")
        if isinstance(value, Mapping):
            rows = [{"field": k, "value": v} for k, v in value.items()]
            parts.append(_table(rows, lang))
        else:
            parts.append(_table(value, lang))
    parts.append("</html>")
    return "\n".join(parts)

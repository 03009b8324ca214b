"""A journal made readable: plain text and HTML for the email, HTML for the page a link opens,
and the kind pages a used or unknown link shows. No I/O: the words come in as values.

The HTML is a Jinja2 template with autoescape on, so nothing a person wrote can become markup;
it has no script and only inline styles (email clients drop style sheets, and the page's
Content-Security-Policy allows nothing else), and reads on a phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from jinja2 import Environment, PackageLoader, select_autoescape

from onward.engine.journal import texts

_TEMPLATES = Environment(
    loader=PackageLoader("onward.engine.journal", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_RULE = "-" * 40


@dataclass(frozen=True)
class Reader:
    """Who the journal is rendered for: their language, time zone, organisation, and whether
    they let their coach read it (SHARE)."""

    lang: str
    zone: str
    org: str
    shared: bool


@dataclass(frozen=True)
class JournalDocument:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class _Shown:
    when: str
    label: str
    words: str


def when_written(at: datetime, lang: str, zone: str) -> str:
    """'Wednesday, November 25, 2026, 1:00 PM'; 'miércoles, 25 de noviembre de 2026, 13:00'."""
    local = at.astimezone(ZoneInfo(zone))
    day = format_date(local.date(), "full", locale=lang)
    return f"{day}, {format_time(local, 'short', locale=lang)}"


def render_journal(
    lines: Sequence[tuple[datetime, str | None, str]], reader: Reader, for_page: bool
) -> JournalDocument:
    """`lines` are (written at, the question it answered or None, the words), oldest first."""
    lang = reader.lang
    shown = [
        _Shown(
            when_written(at, lang, reader.zone),
            f"{texts.asked(lang, reader.org)} {prompt}" if prompt else texts.note(lang),
            words,
        )
        for at, prompt, words in lines
    ]
    lead = [texts.intro(lang, reader.org), texts.who_reads(lang, reader.shared)]
    closing = [texts.page_used(lang)] if for_page else []
    title = texts.title(lang)
    html = _TEMPLATES.get_template("journal.html").render(
        lang=lang, title=title, lead=lead, entries=shown, closing=closing
    )
    blocks = [f"{title}\n\n" + "\n".join(lead)]
    blocks += [f"{entry.when}\n{entry.label}\n{entry.words}" for entry in shown]
    blocks += closing
    text = f"\n\n{_RULE}\n\n".join(blocks) + "\n"
    return JournalDocument(texts.email_subject(lang, reader.org), text, html)


def message_page(lang: str, title: str, lines: Sequence[str]) -> str:
    """A short page of its own: a title and a few kind lines."""
    return _TEMPLATES.get_template("journal.html").render(
        lang=lang, title=title, lead=lines, entries=[], closing=[]
    )


def expired_page(lang: str) -> str:
    return message_page(lang, texts.expired_title(lang), [texts.expired_text(lang)])


def waiting_page(lang: str) -> str:
    return message_page(lang, texts.title(lang), [texts.waiting_text(lang)])

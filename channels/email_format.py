"""The shape of onward's email, shared by the email channels: parts, headers, addresses, replies."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from email_reply_parser import EmailReplyParser

from onward.channels.values import OutboundMessage

# A nudge without a subject of its own still needs one that reads gently in an inbox.
DEFAULT_SUBJECT = "A note from onward"
ONE_CLICK = "List-Unsubscribe=One-Click"
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")
_BLOCK_TAGS = frozenset(
    {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "pre"}
)
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "template"})


@dataclass(frozen=True)
class EmailParts:
    """One text as the two parts of a multipart/alternative email."""

    text: str
    html: str


def email_parts(text: str, html_part: str | None = None) -> EmailParts:
    """The plain part as written (line endings normalised) and an HTML part: `html_part` when
    the sender made its own (the journal's, escaped by its template), else one made from `text`.

    Blank lines separate paragraphs and single line breaks stay line breaks; everything is
    escaped, so a template can never inject markup into the HTML part.
    """
    plain = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if html_part is not None:
        return EmailParts(text=plain + "\n", html=html_part)
    paragraphs = [p for p in _PARAGRAPH_BREAK.split(plain) if p.strip()]
    body = "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )
    document = (
        '<!doctype html>\n<html><head><meta charset="utf-8"></head>\n'
        f'<body style="font-family: sans-serif; line-height: 1.5">\n{body}\n</body></html>\n'
    )
    return EmailParts(text=plain + "\n", html=document)


def subject_for(message: OutboundMessage) -> str:
    """The message's own subject, or the gentle default; never a header-breaking newline."""
    subject = " ".join(message.subject.split())
    return subject or DEFAULT_SUBJECT


def unsubscribe_headers(url: str | None) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe headers for ``url``; none when there is no URL."""
    if not url:
        return {}
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": ONE_CLICK}


def address_of(value: str) -> str | None:
    """The bare address of ``Name <addr>`` (or of a bare address), lower-cased; None if none."""
    _name, address = parseaddr(value.strip())
    address = address.strip().lower()
    local, _, domain = address.rpartition("@")
    return address if local and "." in domain and " " not in address else None


def first_address(value: str) -> str | None:
    """The first address of a header that may list several (``To: a@x, B <b@y>``)."""
    for _name, candidate in getaddresses([value]):
        found = address_of(candidate)
        if found:
            return found
    return None


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower().rstrip(".")


def aligned(domain: str, other: str) -> bool:
    """Whether two domains are the same or one is a subdomain of the other (relaxed alignment).

    A bare top-level name never aligns with anything: nobody holds DKIM keys or SPF for "com".
    """
    domain, other = domain.lower().rstrip("."), other.lower().rstrip(".")
    if not domain or not other:
        return False
    shorter, longer = sorted((domain, other), key=len)
    return "." in shorter and (longer == shorter or longer.endswith("." + shorter))


def reply_text(text: str | None, html_body: str | None) -> str:
    """What the person wrote in a reply: quoted history and signature removed.

    The plain part is preferred; an HTML-only reply is turned into text first, with its
    blockquotes marked as quotes so they go the same way. If stripping leaves nothing (all of
    it looked quoted), the unquoted lines are kept rather than lose what someone wrote.
    """
    source = text if text and text.strip() else html_to_text(html_body or "")
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    reply = str(EmailReplyParser.parse_reply(source)).strip()
    if not reply:
        reply = "\n".join(line for line in source.split("\n") if not line.startswith(">")).strip()
    return re.sub(r"\n{3,}", "\n\n", reply)


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body: block elements become lines, blockquotes become ``> ``."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return parser.text()


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._lines: list[str] = [""]
        self._skipping = 0
        self._quote_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag == "blockquote":
            self._new_line()
            self._quote_depth += 1
        elif tag == "br":  # a line break even on an empty line: "<br><br>" is a blank line
            self._lines[-1] = self._lines[-1].rstrip()
            self._lines.append("")
        elif tag in _BLOCK_TAGS:
            self._new_line()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag == "blockquote":
            self._new_line()
            self._quote_depth = max(0, self._quote_depth - 1)
        elif tag in _BLOCK_TAGS:
            self._new_line()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        words = " ".join(data.split())
        if not words:
            return
        if not self._lines[-1]:
            self._lines[-1] = "> " * self._quote_depth
            words = words.lstrip()
        elif not self._lines[-1].endswith(" ") and data[:1].isspace():
            words = " " + words
        self._lines[-1] += words + (" " if data[-1:].isspace() else "")

    def _new_line(self) -> None:
        self._lines[-1] = self._lines[-1].rstrip()
        if self._lines[-1]:
            self._lines.append("")

    def text(self) -> str:
        lines = [line.rstrip() for line in self._lines]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()

"""JOURNAL's sentences: in every language, short enough for SMS with a real link in them, and
honest about who can read the journal; the copy itself, pure: ordered, dated, escaped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onward.engine.journal import texts
from onward.engine.journal.document import Reader, expired_page, render_journal, waiting_page
from onward.engine.journal.links import PATH, redacted, token_for
from onward.engine.language import SUPPORTED
from onward.plans.sms import sms_segments

# A long public address and a real token: the longest a link reply gets.
URL = "https://careers-onward.university-example.edu" + PATH
TOKEN = token_for("x" * 40, 2_000_000, "k" * 22, datetime(2027, 1, 1, tzinfo=UTC), "AbCdEfGh")
ADDRESS = "firstname.lastname@university-example.edu"
ORG = "Northside Careers"


def replies(lang: str) -> dict[str, str]:
    return {
        "empty": texts.empty(lang),
        "emailed": f"{texts.emailed(lang, ADDRESS)} {texts.who_reads(lang, False)}",
        "emailed, shared": f"{texts.emailed(lang, ADDRESS)} {texts.who_reads(lang, True)}",
        "link": f"{texts.link(lang, URL + TOKEN)} {texts.who_reads(lang, False)}",
        "link, shared": f"{texts.link(lang, URL + TOKEN)} {texts.who_reads(lang, True)}",
        "unavailable": texts.unavailable(lang),
        "confirm first": texts.confirm_first(lang, ADDRESS),
    }


@pytest.mark.parametrize("lang", SUPPORTED)
def test_every_reply_fits_two_sms(lang: str) -> None:
    for what, reply in replies(lang).items():
        length = sms_segments(reply)
        assert length.segments <= 2, (lang, what, length, reply)


@pytest.mark.parametrize("lang", SUPPORTED)
def test_the_link_reply_stays_in_the_sms_alphabet(lang: str) -> None:
    assert sms_segments(replies(lang)["link"]).encoding == "GSM-7"


@pytest.mark.parametrize("lang", ["es", "fr"])
def test_every_sentence_is_translated(lang: str) -> None:
    english = {**replies("en"), **dict(_page_texts("en"))}
    theirs = {**replies(lang), **dict(_page_texts(lang))}
    for name, text in theirs.items():
        assert text != english[name], (lang, name)
        assert "{" not in text, (lang, name)  # every field was filled in


def _page_texts(lang: str) -> list[tuple[str, str]]:
    return [
        ("title", texts.title(lang)),
        ("subject", texts.email_subject(lang, ORG)),
        ("intro", texts.intro(lang, ORG)),
        ("asked", texts.asked(lang, ORG)),
        ("note", texts.note(lang)),
        ("used", texts.page_used(lang)),
        ("expired title", texts.expired_title(lang)),
        ("expired", texts.expired_text(lang)),
        ("waiting", texts.waiting_text(lang)),
    ]


def test_who_can_read_it_is_said_honestly() -> None:
    assert "Only you" in texts.who_reads("en", shared=False)
    assert "SHARE" in texts.who_reads("en", shared=False)
    assert "coach can read it" in texts.who_reads("en", shared=True)
    assert "UNSHARE" in texts.who_reads("en", shared=True)


LINES = [
    (
        datetime(2026, 11, 26, 19, 0, tzinfo=UTC),
        "What went well, and what didn't?",
        "A <i>lot</i> & more",
    ),
    (datetime(2026, 11, 25, 21, 0, tzinfo=UTC), None, "A walk.\nThen tea."),
]


def test_the_copy_keeps_the_order_it_is_given_with_dates_and_questions() -> None:
    reader = Reader("en", "America/Los_Angeles", ORG, shared=False)
    document = render_journal(list(reversed(LINES)), reader, for_page=False)
    text = document.text
    assert text.index("A walk.\nThen tea.") < text.index("A <i>lot</i> & more")
    assert "Wednesday, November 25, 2026, 1:00" in text  # in their zone: 21:00 UTC is 13:00
    assert f"{ORG} asked: What went well, and what didn't?" in text
    assert "A note" in text
    assert texts.page_used("en") not in text  # an email is not a used link
    assert document.subject == texts.email_subject("en", ORG)


def test_the_html_escapes_the_person_s_words_and_has_no_script() -> None:
    reader = Reader("fr", "Europe/Paris", "Acme & Co", shared=True)
    html = render_journal(LINES, reader, for_page=True).html
    assert '<html lang="fr">' in html
    assert "A &lt;i&gt;lot&lt;/i&gt; &amp; more" in html and "<i>lot</i>" not in html
    assert "Acme &amp; Co" in html
    assert "jeudi 26 novembre 2026" in html
    assert texts.who_reads("fr", shared=True) in html.replace("&#39;", "'")
    assert texts.page_used("fr").split(";")[0] in html.replace("&#39;", "'")
    assert "<script" not in html and "<style" not in html


@pytest.mark.parametrize("lang", SUPPORTED)
def test_the_kind_pages_speak_the_language(lang: str) -> None:
    expired = expired_page(lang)
    assert f'<html lang="{lang}">' in expired
    assert texts.expired_title(lang).replace("'", "&#39;") in expired
    assert "JOURNAL" in expired
    assert f'<html lang="{lang}">' in waiting_page(lang)


def test_stored_replies_never_keep_a_link_s_token() -> None:
    reply = f"{texts.link('en', URL + TOKEN)} {texts.who_reads('en', False)}"
    kept = redacted(reply)
    assert kept is not None and TOKEN not in kept and f"{URL}***" in kept
    assert redacted("Thanks, kept in your journal.") == "Thanks, kept in your journal."
    assert redacted(None) is None

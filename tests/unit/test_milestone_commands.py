"""INTERVIEW and OFFER as the classifier reads them."""

from __future__ import annotations

import pytest

from onward.engine.inbound.classify import State, classify_text
from onward.engine.inbound.commands import parse_command
from onward.engine.inbound.intents import Free, Interview, Offer


@pytest.mark.parametrize(
    ("text", "company", "when"),
    [
        ("INTERVIEW Acme tomorrow 3pm", "Acme", "tomorrow 3pm"),
        ("interview with Acme on fri", "Acme", "on fri"),
        ("Interview: Rolls-Royce 12 Dec", "Rolls-Royce", "12 Dec"),
        ("INTERVIEW Center for Democracy Mon 9am", "Center for Democracy", "Mon 9am"),
        ("INTERVIEW AT&T", "AT&T", ""),
        ("interview tomorrow at 10:30", "", "tomorrow at 10:30"),
        ("INTERVIEW", "", ""),
        ("  interview!! Globex, 15:00 ", "Globex", "15:00"),
    ],
)
def test_interview_with_company_and_when(text: str, company: str, when: str) -> None:
    assert parse_command(text) == Interview(company=company, when=when)


@pytest.mark.parametrize(
    "text",
    [
        "interview went badly",
        "Interview was long and the panel was cold",
        "interview at Acme tomorrow and I am so nervous about it honestly",
    ],
)
def test_sentences_about_an_interview_are_journal_text(text: str) -> None:
    assert parse_command(text) == Free(text)


@pytest.mark.parametrize("text", ["OFFER", "offer!", "I got an offer", "got an offer 🎉"])
def test_offer(text: str) -> None:
    assert parse_command(text) == Offer()


def test_an_offer_in_a_sentence_is_journal_text() -> None:
    text = "offer letter says I start in March"
    assert parse_command(text) == Free(text)


def test_stop_still_wins() -> None:
    assert classify_text("STOP please").name == "opt_out"
    assert classify_text("interview. stop texting me", State(plan_running=True)).name == "opt_out"
    assert classify_text("INTERVIEW Acme fri", State(plan_running=True)).name == "interview"
    assert classify_text("offer", State(plan_running=True, prompt_open=True)).name == "offer"

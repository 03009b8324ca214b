"""Reading a time people write ("tomorrow 3pm", "viernes", "vendredi 10h") in their local time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from onward.engine.inbound.interview_time import read_when
from onward.engine.inbound.when_words import split_when

LA = ZoneInfo("America/Los_Angeles")
PARIS = ZoneInfo("Europe/Paris")
FRIDAY_NOON = datetime(2026, 12, 4, 12, 0, tzinfo=LA)


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LA)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("tomorrow 3pm", at(12, 5, 15)),
        ("tmrw at 9:30am", at(12, 5, 9, 30)),
        ("today 4pm", at(12, 4, 16)),
        ("fri 3pm", at(12, 4, 15)),  # later today
        ("fri", at(12, 11, 9)),  # 09:00 today is gone: next week
        ("on Friday at 10:30", at(12, 11, 10, 30)),
        ("mon", at(12, 7, 9)),
        ("next tuesday 14:00", at(12, 8, 14)),
        ("next Tuesday", at(12, 8, 9)),
        ("Thu 10am", at(12, 10, 10)),
        ("12 Dec", at(12, 12, 9)),
        ("Dec 12 9am", at(12, 12, 9)),
        ("15th jan 10.30", at(1, 15, 10, 30, year=2027)),
        ("1 dec", at(12, 1, 9, year=2027)),  # past this year: next year's
        ("at 14:00", at(12, 4, 14)),
        ("at 9am", at(12, 5, 9)),  # gone today: tomorrow
        ("12pm", at(12, 5, 12)),  # noon is now, not ahead: tomorrow
        ("Tuesday morning", at(12, 8, 9)),
        ("this evening", at(12, 4, 18)),
        ("tonight", at(12, 4, 18)),
        ("tomorrow afternoon", at(12, 5, 14)),
        ("tomorrow evening at 7", at(12, 5, 19)),
        ("Tomorrow 10am.", at(12, 5, 10)),
    ],
)
def test_english_times(words: str, expected: datetime) -> None:
    assert read_when(words, FRIDAY_NOON) == expected


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("mañana a las 15:00", at(12, 5, 15)),
        ("viernes", at(12, 11, 9)),
        ("martes a las 10", at(12, 8, 10)),
        ("el lunes por la mañana", at(12, 7, 9)),
        ("jue 10:00", at(12, 10, 10)),
        ("el próximo viernes a las 11:30", at(12, 11, 11, 30)),
        ("el 12 de diciembre", at(12, 12, 9)),
        ("esta tarde", at(12, 4, 14)),
        ("mañana por la tarde a las 5", at(12, 5, 17)),
        ("tomorrow 3pm", at(12, 5, 15)),  # English always works too
    ],
)
def test_spanish_times(words: str, expected: datetime) -> None:
    assert read_when(words, FRIDAY_NOON, "es") == expected


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("vendredi 10h", at(12, 11, 10)),
        ("demain 15h", at(12, 5, 15)),
        ("jeudi à 14h30", at(12, 10, 14, 30)),
        ("jeu 10h", at(12, 10, 10)),
        ("ce soir", at(12, 4, 18)),
        ("mardi matin", at(12, 8, 9)),
        ("le 12 décembre", at(12, 12, 9)),
        ("vendredi prochain à 11h", at(12, 11, 11)),
    ],
)
def test_french_times(words: str, expected: datetime) -> None:
    assert read_when(words, FRIDAY_NOON, "fr") == expected


def test_a_time_equal_to_now_tomorrow_is_still_that_time() -> None:
    ten = datetime(2026, 12, 2, 10, 0, tzinfo=LA)
    assert read_when("tomorrow 10am", ten) == datetime(2026, 12, 3, 10, 0, tzinfo=LA)
    assert read_when("tomorrow", ten) == datetime(2026, 12, 3, 9, 0, tzinfo=LA)


def test_another_language_is_not_read_for_someone_who_speaks_english() -> None:
    assert read_when("mañana a las 15:00", FRIDAY_NOON, "en") is None
    assert read_when("vendredi 10h", FRIDAY_NOON, "es") is None


def test_a_time_is_read_on_the_local_wall_clock_across_a_dst_change() -> None:
    # Paris leaves summer time on Sunday 25 October 2026: "Monday 9am" is 08:00 UTC, not 07:00.
    saturday = datetime(2026, 10, 24, 12, 0, tzinfo=PARIS)
    assert read_when("lundi 9h", saturday, "fr") == datetime(2026, 10, 26, 9, tzinfo=PARIS)


@pytest.mark.parametrize(
    "words",
    [
        "",
        "3/12",
        "12/3 10am",
        "tomorrow banana",
        "31 feb",
        "13pm",
        "25:00",
        "soon",
        "5",
        "now",
        "next week",
        "the 12th",
        "yesterday 3pm",  # past: not a time ahead
        "today 9am",  # past too
        "it went fine",
        "I'm nervous about it",
        "I'll send it tomorrow but I'm not sure",
    ],
)
def test_what_cannot_be_read_or_is_past_is_none(words: str) -> None:
    assert read_when(words, FRIDAY_NOON) is None


@pytest.mark.parametrize(
    ("rest", "company", "when"),
    [
        ("Acme tomorrow 3pm", "Acme", "tomorrow 3pm"),
        ("Acme on fri", "Acme", "on fri"),
        ("Rolls-Royce 12 Dec", "Rolls-Royce", "12 Dec"),
        ("Center for Democracy Mon 9am", "Center for Democracy", "Mon 9am"),
        ("AT&T", "AT&T", ""),
        ("tomorrow at 10:30", "", "tomorrow at 10:30"),
        ("Globex, 15:00", "Globex,", "15:00"),
        ("Acme mañana a las 15:00", "Acme", "mañana a las 15:00"),
        ("Acme el viernes", "Acme", "el viernes"),
        ("Acme a las 10", "Acme", "a las 10"),
        ("Acme vendredi 10h", "Acme", "vendredi 10h"),
        ("Acme demain à 14h30", "Acme", "demain à 14h30"),
        ("El Corte Ingles jueves", "El Corte Ingles", "jueves"),
        ("Initech yesterday 3pm", "Initech", "yesterday 3pm"),
        ("Hooli ayer", "Hooli", "ayer"),
    ],
)
def test_the_company_ends_where_the_time_starts(rest: str, company: str, when: str) -> None:
    assert split_when(rest) == (company, when)

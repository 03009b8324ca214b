"""Phone normalisation, region and time-zone guesses, and masking for logs."""

from __future__ import annotations

import pytest

from onward.engine.phones import (
    SINGLE_ZONE_REGIONS,
    ZONES_BY_POPULATION,
    InvalidPhoneNumber,
    NotAPhoneNumber,
    canonical_timezone,
    is_valid_timezone,
    mask_email,
    mask_phone,
    normalize_phone,
    region_for_phone,
    sender_number,
    timezone_for_phone,
    zone_is_known,
)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+14155550100", None, "+14155550100"),
        ("+1 (415) 555-0100", None, "+14155550100"),
        ("  +1 415 555 0100  ", None, "+14155550100"),
        ("(415) 555-0100", "US", "+14155550100"),
        ("415.555.0100", "US", "+14155550100"),
        ("020 7946 0000", "GB", "+442079460000"),
        ("+44 (0)20 7946 0000", None, "+442079460000"),
        ("+44 20 7946 0000", "US", "+442079460000"),
    ],
)
def test_normalize_phone(raw: str, region: str | None, expected: str) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region", "message"),
    [
        ("+1415", None, "not a valid phone number: '+1415'"),
        ("+1 555 000", None, "not a valid phone number: '+1 555 000'"),
        ("", None, "phone number is empty"),
        ("   ", "US", "phone number is empty"),
        ("hello", None, "not a valid phone number: 'hello'"),
        ("4155550100", None, "start it with + and the country code"),
        ("+1 415 555 0100 0100 0100 0100", None, "not a valid phone number"),
    ],
)
def test_normalize_phone_refuses(raw: str, region: str | None, message: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalize_phone(raw, region)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("e164", "region"),
    [
        ("+14155550100", "US"),
        ("+442079460000", "GB"),
        ("+16045550100", "CA"),
        ("+18762345678", "JM"),
        ("+61291234567", "AU"),
        ("+80012345678", None),  # international freephone: no country
    ],
)
def test_region_for_phone(e164: str, region: str | None) -> None:
    assert region_for_phone(e164) == region


@pytest.mark.parametrize(
    ("e164", "zone"),
    [
        ("+14155550100", "America/Los_Angeles"),
        ("+12125550100", "America/New_York"),
        ("+442079460000", "Europe/London"),
        ("+18005550100", "America/New_York"),  # toll-free: the whole of +1
        ("+19075550100", "America/Anchorage"),  # Alaska: Adak or Anchorage, the more populous
        ("+18085550100", "Pacific/Honolulu"),
        ("+16045550100", "America/Vancouver"),
        ("+15145550100", "America/Toronto"),
        ("+18762345678", "America/Jamaica"),  # metadata lists every +1 zone for Jamaica
        ("+35312345678", "Europe/Dublin"),
        ("+61291234567", "Australia/Sydney"),
        ("+79161234567", "Europe/Moscow"),  # Russian mobile: many zones
        ("+5511987654321", "America/Sao_Paulo"),
        ("+33612345678", "Europe/Paris"),
        ("+80012345678", "UTC"),  # no zone known at all
    ],
)
def test_timezone_for_phone(e164: str, zone: str) -> None:
    assert timezone_for_phone(e164) == zone


def test_every_zone_in_the_tables_exists() -> None:
    zones = list(SINGLE_ZONE_REGIONS.values())
    zones += [zone for ordered in ZONES_BY_POPULATION.values() for zone in ordered]
    assert [zone for zone in zones if not is_valid_timezone(zone)] == []


def test_unparseable_numbers_raise() -> None:
    with pytest.raises(InvalidPhoneNumber):
        region_for_phone("not a number")
    with pytest.raises(InvalidPhoneNumber):
        timezone_for_phone("")


def test_timezone_names() -> None:
    assert is_valid_timezone("America/New_York")
    assert is_valid_timezone("UTC")
    assert not is_valid_timezone("america/new_york")
    assert not is_valid_timezone("Mars/Olympus_Mons")
    assert not is_valid_timezone("")
    assert canonical_timezone(" america/new york ") == "America/New_York"
    assert canonical_timezone("EUROPE/LONDON") == "Europe/London"
    assert canonical_timezone("Mars/Olympus_Mons") is None


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+14155550100", "+1415*****00"),
        ("+442079460000", "+4420******00"),
        ("+447700900123", "+447700****23"),  # the area code is kept only while 4 digits hide
        ("+33612345678", "+336******78"),
        ("not a phone", "no*******ne"),
        ("+12", "***"),
    ],
)
def test_mask_phone(e164: str, masked: str) -> None:
    assert mask_phone(e164) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("john@example.com", "j***@e***.com"),
        ("Jane.Doe@mail.example.co.uk", "J***@m***.uk"),
        ("x@localhost", "x***@l***"),
        ("nobody", "n***"),
        ("", "***"),
    ],
)
def test_mask_email(address: str, masked: str) -> None:
    assert mask_email(address) == masked


# --- a sender the metadata calls invalid is still a person who wrote -----------------------


@pytest.mark.parametrize(
    ("raw", "e164", "zone", "sure"),
    [
        ("+14155550100", "+14155550100", "America/Los_Angeles", True),  # valid: as before
        ("+447700900123", "+447700900123", "Europe/London", True),  # UK drama range
        ("+1 999 555 0100", "+19995550100", "America/New_York", False),  # +1 spans zones
    ],
)
def test_a_possible_number_is_routed_with_its_countrys_zone(
    raw: str, e164: str, zone: str, sure: bool
) -> None:
    assert sender_number(raw) == e164
    assert timezone_for_phone(e164) == zone
    assert zone_is_known(e164) is sure


def test_an_invalid_but_possible_number_still_has_a_country() -> None:
    assert region_for_phone("+447700900123") == "GB"
    assert region_for_phone("+19995550100") == "US"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("12345", "a short code"),
        ("ACME", "an alphanumeric sender"),
        ("Acme-Jobs", "an alphanumeric sender"),
        ("+1415", "too short"),
        ("", "empty"),
    ],
)
def test_a_sender_that_is_no_phone_number_says_what_it_is(raw: str, reason: str) -> None:
    with pytest.raises(NotAPhoneNumber, match=reason):
        sender_number(raw)

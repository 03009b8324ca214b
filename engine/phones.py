"""Phone numbers and addresses as onward keeps them: E.164, region, time zone, and masked for logs.

A person's time zone is guessed from their number until they send `TZ <zone>`. When the
number pins one zone (most fixed lines and area codes), that zone is used. When it does not
(a toll-free number, a mobile in a country spanning several zones), the guess is the zone
where most of the country's people live, from the tables below, so a nudge meant for 09:00
never lands hours off for most recipients; anything else falls back to the first zone the
phone metadata lists, and a number with no known zone at all to UTC.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

import phonenumbers
from phonenumbers import timezone as phone_timezones

# Countries spanning several zones, their zones in order of population: the first one the
# number's metadata allows wins (a US toll-free number allows all, so New York; an Alaska
# area code allows Adak and Anchorage, so Anchorage).
ZONES_BY_POPULATION: dict[str, tuple[str, ...]] = {
    "US": (
        "America/New_York",
        "America/Chicago",
        "America/Los_Angeles",
        "America/Denver",
        "America/Phoenix",
        "America/Anchorage",
        "Pacific/Honolulu",
    ),
    "CA": (
        "America/Toronto",
        "America/Vancouver",
        "America/Edmonton",
        "America/Winnipeg",
        "America/Halifax",
        "America/Regina",
        "America/St_Johns",
    ),
    "AU": (
        "Australia/Sydney",
        "Australia/Melbourne",
        "Australia/Brisbane",
        "Australia/Perth",
        "Australia/Adelaide",
        "Australia/Hobart",
        "Australia/Darwin",
    ),
    "BR": ("America/Sao_Paulo", "America/Manaus", "America/Rio_Branco", "America/Noronha"),
    "RU": ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk", "Europe/Samara"),
    "MX": ("America/Mexico_City", "America/Monterrey", "America/Tijuana", "America/Cancun"),
    "ID": ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"),
    "KZ": ("Asia/Almaty", "Asia/Aqtobe"),
    "CD": ("Africa/Kinshasa", "Africa/Lubumbashi"),
    "AR": ("America/Argentina/Buenos_Aires", "America/Argentina/Cordoba"),
    "CL": ("America/Santiago", "Pacific/Easter"),
    "ES": ("Europe/Madrid", "Atlantic/Canary"),
    "PT": ("Europe/Lisbon", "Atlantic/Azores"),
    "NZ": ("Pacific/Auckland", "Pacific/Chatham"),
    "EC": ("America/Guayaquil", "Pacific/Galapagos"),
    "MN": ("Asia/Ulaanbaatar", "Asia/Hovd"),
    "PF": ("Pacific/Tahiti", "Pacific/Marquesas", "Pacific/Gambier"),
    "KI": ("Pacific/Tarawa", "Pacific/Kiritimati"),
}

# One-zone places that share a calling code with bigger neighbours (+1, +44, +61, ...): the
# phone metadata often lists the whole calling code's zones for them, which says nothing.
SINGLE_ZONE_REGIONS: dict[str, str] = {
    "AG": "America/Antigua", "AI": "America/Anguilla", "AS": "Pacific/Pago_Pago",
    "BB": "America/Barbados", "BM": "Atlantic/Bermuda", "BS": "America/Nassau",
    "DM": "America/Dominica", "DO": "America/Santo_Domingo", "GD": "America/Grenada",
    "GU": "Pacific/Guam", "JM": "America/Jamaica", "KN": "America/St_Kitts",
    "KY": "America/Cayman", "LC": "America/St_Lucia", "MP": "Pacific/Saipan",
    "MS": "America/Montserrat", "PR": "America/Puerto_Rico", "SX": "America/Lower_Princes",
    "TC": "America/Grand_Turk", "TT": "America/Port_of_Spain", "VC": "America/St_Vincent",
    "VG": "America/Tortola", "VI": "America/St_Thomas",
    "GB": "Europe/London", "GG": "Europe/Guernsey", "JE": "Europe/Jersey",
    "IM": "Europe/Isle_of_Man", "IE": "Europe/Dublin",
    "CC": "Indian/Cocos", "CX": "Indian/Christmas",
    "FI": "Europe/Helsinki", "AX": "Europe/Mariehamn", "IT": "Europe/Rome", "VA": "Europe/Vatican",
    "NO": "Europe/Oslo", "SJ": "Arctic/Longyearbyen", "RE": "Indian/Reunion",
    "YT": "Indian/Mayotte", "CW": "America/Curacao", "BQ": "America/Kralendijk",
}  # fmt: skip

_PARSE_REASONS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "start it with + and the country code",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
    phonenumbers.NumberParseException.TOO_LONG: "too long",
}
_UNKNOWN_ZONE = "Etc/Unknown"
# Short codes are 3 to 8 digits (US 5-6, UK 5, FR 5, DE 4-5, IN up to 8).
_SHORT_CODE_DIGITS = 8
_SHORTEST_NUMBER = 7
_UNKNOWN_REGIONS = frozenset({"ZZ", "001"})  # phonenumbers' "no region" and "non-geographic"
# Numbers whose answers are remembered: parsing one with the phone metadata costs 10-30 us, and
# every message (and every log line naming its sender) asks again. Nothing here changes a
# PhoneNumber once parsed, so the parsed values are shared too.
_REMEMBERED = 4096


class InvalidPhoneNumber(ValueError):
    """Not a phone number onward can text."""


class NotAPhoneNumber(InvalidPhoneNumber):
    """A sender that is no phone number at all (a short code, a name): its message is kept,
    with this reason, but there is nobody to answer."""


def normalize_phone(raw: str, default_region: str | None = None) -> str:
    """The E.164 form (+14155550100) of a number typed with spaces, dashes or parentheses."""
    text = raw.strip()
    if not text:
        raise InvalidPhoneNumber("phone number is empty")
    number = _parse(text, default_region)
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=_REMEMBERED)
def sender_number(raw: str) -> str:
    """The E.164 form of a number a provider delivered a message from.

    Laxer than `normalize_phone`: the phone metadata lags behind the numbers carriers hand out
    (and calls whole ranges invalid), but a provider that delivered the message knows better.
    Any number of a possible length for its country is kept; anything else raises
    NotAPhoneNumber with what it is (a short code, an alphanumeric sender).
    """
    text = raw.strip()
    if not text:
        raise NotAPhoneNumber("the sender is empty")
    if not any(char.isdigit() for char in text):
        raise NotAPhoneNumber(f"{text!r} is an alphanumeric sender, not a phone number")
    if not text.startswith("+") and text.isdigit() and len(text) <= _SHORT_CODE_DIGITS:
        raise NotAPhoneNumber(f"{text!r} is a short code, not a phone number")
    if any(char.isalpha() for char in text):
        raise NotAPhoneNumber(f"{text!r} is an alphanumeric sender, not a phone number")
    try:
        number = _parse(text, None)
    except InvalidPhoneNumber as exc:
        raise NotAPhoneNumber(str(exc)) from None
    if not phonenumbers.is_possible_number(number):
        short = len(phonenumbers.national_significant_number(number)) < _SHORTEST_NUMBER
        reason = "too short" if short else "of no possible length"
        raise NotAPhoneNumber(f"{text!r} is not a phone number ({reason})")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=_REMEMBERED)
def region_for_phone(e164: str) -> str | None:
    """The ISO country code of a number ("US", "GB"), or None for non-geographic numbers.

    A number the metadata calls invalid still has a country: its calling code's main one.
    """
    number = _parse(e164, None)
    region = phonenumbers.region_code_for_number(number)
    if region is None and number.country_code and not _is_valid(e164):
        region = phonenumbers.region_code_for_country_code(number.country_code)
    return None if region is None or region in _UNKNOWN_REGIONS else region


@lru_cache(maxsize=_REMEMBERED)
def zone_is_known(e164: str) -> bool:
    """False when the zone is only the country's most populous one, for a number the metadata
    cannot place (invalid, in a country spanning several zones): worth asking the person."""
    if _is_valid(e164):
        return True
    region = region_for_phone(e164) or ""
    return region in SINGLE_ZONE_REGIONS or len(ZONES_BY_POPULATION.get(region, ("",))) <= 1


@lru_cache(maxsize=_REMEMBERED)
def timezone_for_phone(e164: str) -> str:
    """The IANA zone a number most likely lives in (see the module docstring for the rules)."""
    number = _parse(e164, None)
    if not _is_valid(e164):
        return _zone_of_country(region_for_phone(e164))
    listed = [
        zone
        for zone in phone_timezones.time_zones_for_number(number)
        if zone != _UNKNOWN_ZONE and is_valid_timezone(zone)
    ]
    if len(listed) == 1:
        return listed[0]
    region = phonenumbers.region_code_for_number(number) or ""
    single = SINGLE_ZONE_REGIONS.get(region)
    if single is not None and is_valid_timezone(single):
        return single
    by_population = [
        zone for zone in ZONES_BY_POPULATION.get(region, ()) if is_valid_timezone(zone)
    ]
    for zone in by_population:
        if zone in listed:
            return zone
    if listed:
        return listed[0]
    return by_population[0] if by_population else "UTC"


def _zone_of_country(region: str | None) -> str:
    """The zone of a number the metadata cannot place, from its country alone."""
    if region is None:
        return "UTC"
    single = SINGLE_ZONE_REGIONS.get(region)
    if single is not None and is_valid_timezone(single):
        return single
    for zone in ZONES_BY_POPULATION.get(region, ()):
        if is_valid_timezone(zone):
            return zone
    example = phonenumbers.example_number(region)
    if example is None:
        return "UTC"
    zones = [
        zone
        for zone in phone_timezones.time_zones_for_geographical_number(example)
        if zone != _UNKNOWN_ZONE and is_valid_timezone(zone)
    ]
    return zones[0] if zones else "UTC"


def is_valid_timezone(name: str) -> bool:
    """True for a zone name this machine's time zone database knows, exactly as spelled."""
    return name in _zone_names()


def canonical_timezone(name: str) -> str | None:
    """The zone's exact spelling for a loosely typed name ("america/new york"), or None."""
    wanted = "_".join(name.strip().split()).lower()
    return _zones_by_lower_name().get(wanted)


@lru_cache(maxsize=_REMEMBERED)
def mask_phone(e164: str) -> str:
    """A number for logs: country and area code and the last two digits ("+1415*****00")."""
    try:
        number = _parse(e164, None)  # the parse the message's handling made, remembered
    except InvalidPhoneNumber:
        return _mask_middle(e164.strip())
    national = phonenumbers.national_significant_number(number)
    # Keep the area code only while at least four digits stay hidden.
    kept = max(0, min(phonenumbers.length_of_national_destination_code(number), len(national) - 6))
    hidden = max(0, len(national) - kept - 2)
    return f"+{number.country_code}{national[:kept]}{'*' * hidden}{national[kept + hidden :]}"


def mask_email(address: str) -> str:
    """An address for logs: first letters and the top-level domain only ("j***@e***.com")."""
    local, at, domain = address.strip().partition("@")
    if not at:
        return f"{local[:1]}***"
    host, dot, top_level = domain.rpartition(".")
    if not dot:
        return f"{local[:1]}***@{domain[:1]}***"
    return f"{local[:1]}***@{host[:1]}***.{top_level}"


@lru_cache(maxsize=_REMEMBERED)
def _is_valid(e164: str) -> bool:
    return bool(phonenumbers.is_valid_number(_parse(e164, None)))


@lru_cache(maxsize=_REMEMBERED)
def _parse(text: str, default_region: str | None) -> phonenumbers.PhoneNumber:
    try:
        return phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as error:
        reason = _PARSE_REASONS.get(error.error_type, "it does not look like a phone number")
        raise InvalidPhoneNumber(f"not a valid phone number: {text!r} ({reason})") from None


def _mask_middle(text: str) -> str:
    if len(text) <= 4:
        return "*" * len(text)
    return f"{text[:2]}{'*' * (len(text) - 4)}{text[-2:]}"


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def _zones_by_lower_name() -> dict[str, str]:
    return {zone.lower(): zone for zone in _zone_names()}

"""onward's own X-Twilio-Signature check agrees with the Twilio SDK's RequestValidator, request by
request: signatures Twilio makes (with or without the port, with repeated fields, in any
script) are accepted, and anything else is refused, exactly where the SDK says so."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from onward.channels.twilio_signing import FORM_TYPE, matches, signature

TOKEN = "0123456789abcdef0123456789abcdef"
OTHER_TOKEN = "fedcba9876543210fedcba9876543210"
URL = "https://onward.example.org/webhooks/twilio/sms"

Fields = Sequence[tuple[str, str]]


class MultiDict:
    """The form as Flask's MultiDict shows it to the SDK: every value of a repeated field."""

    def __init__(self, fields: Fields) -> None:
        self.fields = list(fields)

    def __iter__(self) -> Iterator[str]:
        return iter(dict(self.fields))

    def __bool__(self) -> bool:
        return bool(self.fields)

    def getall(self, name: str) -> list[str]:
        return [value for key, value in self.fields if key == name]


def sdk_signature(url: str, fields: Fields, token: str = TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, MultiDict(fields)))


def sdk_accepts(url: str, fields: Fields, given: str) -> bool:
    return bool(RequestValidator(TOKEN).validate(url, MultiDict(fields), given))


def ours_accepts(url: str, fields: Fields, given: str) -> bool:
    """As the web app hands it over: one value per field in `form` (the last, as dict() of the
    parsed pairs keeps), the whole urlencoded body beside it."""
    body = urlencode(list(fields)).encode()
    return matches(url, dict(fields), given, TOKEN, body, FORM_TYPE)


SMS = [
    ("MessageSid", "SM" + "a" * 32),
    ("AccountSid", "AC" + "0" * 32),
    ("From", "+15557654321"),
    ("To", "+15005550006"),
    ("Body", "REJECTED Acme - designer"),
    ("NumMedia", "0"),
]
FIELDS = {
    "an SMS": SMS,
    "no fields": [],
    "accents and emoji": [*SMS[:4], ("Body", "Ça n'a pas marché 😞 — ñandú, Zürich")],
    "other scripts": [*SMS[:4], ("Body", "拒绝了 отказ رفض")],
    "a repeated field": [*SMS, ("MediaUrl", "https://a.example/1"), ("MediaUrl", "https://a/0")],
    "a repeated value": [*SMS, ("Tag", "x"), ("Tag", "x")],
    "an empty value": [*SMS, ("OptOutType", "")],
    "names that sort apart from their case": [("b", "1"), ("B", "2"), ("a", "3")],
}
URLS = [
    URL,
    "https://onward.example.org:443/webhooks/twilio/sms",
    "http://127.0.0.1:8000/webhooks/twilio/sms",
    "http://onward.example.org/webhooks/twilio/status?delivery=42",
    "https://onward.example.org:8443/webhooks/twilio/sms",
]


@pytest.mark.parametrize("fields", FIELDS.values(), ids=FIELDS.keys())
def test_our_signature_is_twilios(fields: Fields) -> None:
    for url in URLS:
        assert signature(url, fields, TOKEN) == sdk_signature(url, fields)


@pytest.mark.parametrize("fields", FIELDS.values(), ids=FIELDS.keys())
@pytest.mark.parametrize("called", URLS)
def test_we_accept_and_refuse_what_the_sdk_does(called: str, fields: Fields) -> None:
    no_port = called.replace(":443/", "/").replace(":8443/", "/")
    with_port = called.replace(".org/", ".org:443/")
    tampered = [*fields, ("Extra", "added on the way")]
    attempts = [
        sdk_signature(called, fields),  # what Twilio sends
        sdk_signature(no_port, fields),  # signed without the port
        sdk_signature(with_port, fields),  # signed with it
        sdk_signature(called, fields, OTHER_TOKEN),  # another account's token
        sdk_signature(called, tampered),  # the fields were changed
        sdk_signature(called + "x", fields),  # another URL
        "",
        "not base64 at all",
    ]
    for given in attempts:
        assert ours_accepts(called, fields, given) == sdk_accepts(called, fields, given), given
    assert ours_accepts(called, fields, sdk_signature(called, fields))


def test_a_repeated_field_is_checked_with_every_value_it_has() -> None:
    fields = FIELDS["a repeated field"]
    given = sdk_signature(URL, fields)
    assert ours_accepts(URL, fields, given)
    # The same values, one dropped: what dict() of the form would have signed, not Twilio.
    assert not ours_accepts(URL, fields, sdk_signature(URL, list(dict(fields).items())))

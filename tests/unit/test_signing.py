"""The one signing door: keys kept to one purpose, signatures bound to a person's link value."""

from __future__ import annotations

import hashlib

import pytest

from onward.engine.signing import b64, derive_key, mac, mac_matches, unb64

SECRET = "a-secret-of-at-least-thirty-two-characters"


def test_each_purpose_has_its_own_key() -> None:
    assert derive_key(SECRET, "onward journal link") != derive_key(SECRET, "onward console")
    # The console's sessions keep working: the same key as before the door was shared.
    assert (
        derive_key(SECRET, "onward console")
        == hashlib.sha256(b"onward console\x00" + SECRET.encode()).digest()
    )


def test_a_signature_is_bound_to_the_person_s_link_value() -> None:
    key = derive_key(SECRET, "test")
    signature = mac(key, "12.99", "link-value-of-12")
    assert len(signature) == 16
    assert mac_matches(key, "12.99", "link-value-of-12", signature)
    assert not mac_matches(key, "12.99", "someone-else", signature)
    assert not mac_matches(key, "13.99", "link-value-of-12", signature)
    assert not mac_matches(derive_key(SECRET, "other"), "12.99", "link-value-of-12", signature)
    assert mac_matches(key, "12.99", None, mac(key, "12.99", None))  # people from before


def test_base64_round_trips_and_refuses_what_is_not_base64() -> None:
    for data in (b"", b"\x00", b"journal", bytes(range(40))):
        assert unb64(b64(data)) == data
        assert "=" not in b64(data)
    with pytest.raises(ValueError):
        unb64("a")

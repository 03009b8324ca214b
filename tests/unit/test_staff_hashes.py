"""The hash a sign-in with an unknown address is verified against: made with the hasher's own
parameters (so it costs what a real account's check costs), matching no password, and not
computed when the module is imported (every CLI command and the daemon import it)."""

from __future__ import annotations

import subprocess
import sys
from textwrap import dedent

import pytest
from argon2.exceptions import VerifyMismatchError

from onward.engine.coaches import staff


def test_the_dummy_hash_has_the_hashers_current_parameters() -> None:
    # Fails when argon2-cffi's recommended parameters change: make the constant again with
    # `PasswordHasher().hash("not a real password, only for timing")`.
    assert not staff._HASHER.check_needs_rehash(staff._DUMMY_HASH)


@pytest.mark.parametrize("password", ["", "not a real password", "correct horse battery staple"])
def test_the_dummy_hash_matches_no_password_anyone_types(password: str) -> None:
    with pytest.raises(VerifyMismatchError):
        staff._HASHER.verify(staff._DUMMY_HASH, password)


def test_importing_staff_hashes_nothing() -> None:
    # argon2id at its recommended cost takes 0.1 to 0.25 s: paid at every start, it was the
    # largest single piece of importing the daemon.
    probe = dedent(
        """
        import argon2

        def refuse(*args, **kwargs):
            raise AssertionError("a password was hashed at import")

        argon2.PasswordHasher.hash = refuse
        import onward.engine.coaches.staff
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]

"""`onward staff` and `onward audit` through `main()`: add, list, disable, and the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from onward.engine import audit
from onward.engine.cli.state import state
from onward.engine.clock import FakeClock
from onward.engine.coaches.staff import find_staff
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from onward.engine.storage.console_models import Staff
from onward.engine.storage.migrate import upgrade
from tests.integration.test_cli_listings import onward

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    runtime = Runtime(
        load_settings({"ONWARD_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}), clock=FakeClock(NOW)
    )
    upgrade(runtime.engine)
    state.use(runtime)
    yield runtime
    state.use(None)


def test_staff_add_reads_the_password_from_stdin_and_hashes_it_with_argon2id(
    runtime: Runtime,
) -> None:
    added = onward(
        "staff", "add", "Robin@Example.org", "--role", "coach", "--name", "Robin",
        "--password-stdin", input="a long enough password\n",
    )  # fmt: skip
    assert added.code == 0, added.err
    assert "added robin@example.org as coach" in added.out
    with runtime.sessions() as session:
        member = find_staff(session, "robin@example.org")
        assert member.password_hash.startswith("$argon2id$")
        assert "a long enough password" not in member.password_hash
        assert PasswordHasher().verify(member.password_hash, "a long enough password")


def test_staff_add_without_a_terminal_or_stdin_flag_refuses(runtime: Runtime) -> None:
    refused = onward("staff", "add", "robin@example.org", "--role", "coach")
    assert refused.code == 2 and "--password-stdin" in refused.err


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["not-an-address", "--role", "coach"], "a long enough password", "not an email address"),
        (["robin@example.org", "--role", "boss"], "a long enough password", "role must be one of"),
        (["robin@example.org", "--role", "coach"], "short", "at least 12 characters"),
    ],
)
def test_staff_add_refuses_bad_input_with_one_line(
    runtime: Runtime, args: list[str], password: str, message: str
) -> None:
    refused = onward("staff", "add", *args, "--password-stdin", input=password + "\n")
    assert refused.code == 2 and message in refused.err
    assert onward("staff", "list", "--json").json() == []


def test_staff_list_and_disable(runtime: Runtime) -> None:
    for email, role in (("robin@example.org", "coach"), ("ada@example.org", "admin")):
        onward("staff", "add", email, "--role", role, "--password-stdin", input="x" * 12 + "\n")
    again = onward("staff", "add", "ada@example.org", "--role", "admin", "--password-stdin",
                   input="x" * 12 + "\n")  # fmt: skip
    assert again.code == 2 and "already on the staff" in again.err
    listed = onward("staff", "list", "--json").json()
    assert [(m["email"], m["role"], m["status"]) for m in listed] == [
        ("ada@example.org", "admin", "active"),
        ("robin@example.org", "coach", "active"),
    ]
    assert onward("staff", "disable", "robin@example.org").code == 0
    assert onward("staff", "list", "--json").json()[1]["status"] == "disabled"
    assert "robin@example.org" in onward("staff", "list").out
    assert onward("staff", "disable", "nobody@example.org").code == 1


def test_audit_list_shows_who_did_what_latest_first(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        member = Staff(email="robin@example.org", name="Robin", role="coach",
                       password_hash="x", active=True, session_epoch=0, created_at=NOW)  # fmt: skip
        session.add(member)
        session.flush()
        audit.record(session, member.id, audit.VIEW_PERSON, 7, NOW)
        audit.record(session, member.id, audit.REPLY, 7, NOW, "Hello there")
    listed = onward("audit", "list", "--json").json()
    assert [(e["staff"], e["action"], e["person"], e["detail"]) for e in listed] == [
        ("robin@example.org", "reply", 7, "Hello there"),
        ("robin@example.org", "view_person", 7, None),
    ]
    assert listed[0]["at"] == "2026-11-24T15:00:00Z"
    table = onward("audit", "list").out
    assert "view_person" in table and "Hello there" in table

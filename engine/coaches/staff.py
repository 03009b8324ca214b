"""Staff: coaches and admins who sign in to the console, with argon2id password hashes.

An admin may do everything a coach may, plus staff and plans. Sign-in failures are counted per
account and per address in the database, so every replica refuses the same guesser.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from onward.engine.errors import NotFound, UsageError
from onward.engine.storage.console_models import ROLE_ADMIN, ROLES, SigninAttempt, Staff

MIN_PASSWORD = 12
# Failures allowed in LOCKOUT_WINDOW before the form refuses that account (or address).
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
LOCKOUT_WINDOW = timedelta(minutes=15)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the account does not exist, so a wrong address costs as long as a
# wrong password and timing tells nothing about who has an account. Made once, here, with the
# hasher's parameters (a test holds it to them): hashing it at import cost every start 0.1 to
# 0.25 s, the largest single piece of importing the daemon.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$8ZtO6eu2rLVTveoL9anWpw$"
    "xRjeYRigTPegWxCbCK8uc8sR+xBgZqng3btAoDL8b6k"
)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"a password needs at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


def add_staff(
    session: Session, email: str, role: str, name: str, password: str, now: datetime
) -> Staff:
    address = email.strip().lower()
    if not _EMAIL.fullmatch(address):
        raise UsageError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise UsageError(f"role must be one of {', '.join(ROLES)}")
    if session.scalar(select(Staff.id).where(Staff.email == address)) is not None:
        raise UsageError(f"{address} is already on the staff")
    member = Staff(
        email=address,
        name=name.strip() or address.split("@")[0],
        role=role,
        password_hash=hash_password(password),
        active=True,
        session_epoch=0,
        created_at=now,
    )
    session.add(member)
    session.flush()
    return member


def list_staff(session: Session) -> list[Staff]:
    return list(session.scalars(select(Staff).order_by(Staff.email)))


def find_staff(session: Session, email: str) -> Staff:
    member = session.scalars(select(Staff).where(Staff.email == email.strip().lower())).first()
    if member is None:
        raise NotFound(f"nobody on the staff has the address {email!r}")
    return member


def disable_staff(session: Session, email: str, now: datetime) -> Staff:
    """Disabled staff cannot sign in, and their open console sessions stop working."""
    member = find_staff(session, email)
    if member.active:
        member.active, member.disabled_at = False, now
    return member


def is_admin(member: Staff) -> bool:
    return member.role == ROLE_ADMIN


def locked_out(session: Session, email: str, address: str, now: datetime) -> bool:
    """Too many recent failures for this account or from this address."""
    since = now - LOCKOUT_WINDOW
    failures = select(func.count(SigninAttempt.id)).where(
        SigninAttempt.ok.is_(False), SigninAttempt.at >= since
    )
    by_account = session.scalar(failures.where(SigninAttempt.email == email)) or 0
    by_address = session.scalar(failures.where(SigninAttempt.address == address)) or 0
    return by_account >= MAX_FAILURES_PER_ACCOUNT or by_address >= MAX_FAILURES_PER_ADDRESS


def sign_in(
    session: Session, email: str, password: str, address: str, now: datetime
) -> Staff | None:
    """The staff member these credentials name, or None; every attempt is counted."""
    address_key = address[:64]
    email = email.strip().lower()[:320]
    member = session.scalars(select(Staff).where(Staff.email == email)).first()
    ok = False
    try:
        ok = _HASHER.verify(member.password_hash if member else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    ok = ok and member is not None and member.active
    session.add(SigninAttempt(email=email, address=address_key, ok=ok, at=now))
    if ok and member is not None and _HASHER.check_needs_rehash(member.password_hash):
        member.password_hash = _HASHER.hash(password)
    return member if ok else None


def active_member(session: Session, staff_id: int, epoch: int | None = None) -> Staff | None:
    """The staff member if still active (and, given a session's epoch, not signed out since)."""
    member = session.get(Staff, staff_id)
    if member is None or not member.active:
        return None
    return member if epoch is None or epoch == member.session_epoch else None


def sign_out(session: Session, staff_id: int) -> None:
    """End every console session of this staff member."""
    member = session.get(Staff, staff_id)
    if member is not None:
        member.session_epoch += 1


def display_name(member: Staff | None) -> str:
    return member.name if member is not None else ""


def prune_attempts(session: Session, now: datetime) -> int:
    """Housekeeping: attempts older than a day tell nothing more."""
    result = session.execute(
        delete(SigninAttempt).where(SigninAttempt.at < now - timedelta(days=1))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

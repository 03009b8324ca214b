"""Signed console sessions and CSRF tokens.

A session is a cookie holding the staff member's id, when it was issued, when it was last used
and the session's CSRF token, signed with HMAC-SHA256 under ONWARD_SECRET_KEY. It is HttpOnly,
SameSite=Lax, Secure when ONWARD_PUBLIC_URL is https, and dies after the idle timeout or twelve
hours, whichever comes first. Before sign-in, a second signed cookie carries the login form's
CSRF token (double submit). The staff row is read on every request, so disabling someone ends
their open sessions at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.responses import Response

from onward.engine.signing import derive_key

SESSION_COOKIE = "onward_console"
LOGIN_COOKIE = "onward_console_login"
MAX_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class ConsoleSession:
    staff_id: int
    epoch: int
    issued: float
    seen: float
    csrf: str


class Signer:
    def __init__(self, secret: str, secure: bool, idle: timedelta) -> None:
        self._key = derive_key(secret, "onward console")
        self.secure = secure
        self.idle = idle

    # -- signing -----------------------------------------------------------------------------

    def _sign(self, payload: dict[str, object]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
        mac = hmac.new(self._key, body, hashlib.sha256).hexdigest()
        return f"{body.decode()}.{mac}"

    def _read(self, value: str | None) -> dict[str, object] | None:
        if not value or "." not in value:
            return None
        body, _, mac = value.rpartition(".")
        expected = hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac, expected):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body.encode()))
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    # -- sessions ------------------------------------------------------------------------------

    def new_session(self, staff_id: int, epoch: int, now: datetime) -> ConsoleSession:
        stamp = now.timestamp()
        return ConsoleSession(staff_id, epoch, stamp, stamp, secrets.token_urlsafe(24))

    def read_session(self, cookie: str | None, now: datetime) -> ConsoleSession | None:
        data = self._read(cookie)
        if data is None:
            return None
        try:
            found = ConsoleSession(
                int(data["s"]),  # type: ignore[call-overload]
                int(data["e"]),  # type: ignore[call-overload]
                float(data["i"]),  # type: ignore[arg-type]
                float(data["t"]),  # type: ignore[arg-type]
                str(data["c"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        stamp = now.timestamp()
        if stamp - found.seen > self.idle.total_seconds():
            return None
        if stamp - found.issued > MAX_LIFETIME.total_seconds():
            return None
        return found

    def keep(self, response: Response, session: ConsoleSession, now: datetime) -> None:
        """Write the session with its last use moved to now (the idle clock starts again)."""
        payload = {
            "s": session.staff_id,
            "e": session.epoch,
            "i": session.issued,
            "t": now.timestamp(),
            "c": session.csrf,
        }
        response.set_cookie(
            SESSION_COOKIE,
            self._sign(payload),
            max_age=int(MAX_LIFETIME.total_seconds()),
            path="/console",
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )

    def end(self, response: Response) -> None:
        response.delete_cookie(
            SESSION_COOKIE, path="/console", httponly=True, samesite="lax", secure=self.secure
        )

    # -- the login form's CSRF token -----------------------------------------------------------

    def login_token(self, cookie: str | None) -> str:
        data = self._read(cookie)
        token = data.get("c") if data else None
        return token if isinstance(token, str) else secrets.token_urlsafe(24)

    def keep_login_token(self, response: Response, token: str) -> None:
        response.set_cookie(
            LOGIN_COOKIE,
            self._sign({"c": token}),
            max_age=3600,
            path="/console",
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )

    def login_token_matches(self, cookie: str | None, submitted: str) -> bool:
        data = self._read(cookie)
        token = data.get("c") if data else None
        return isinstance(token, str) and bool(submitted) and hmac.compare_digest(token, submitted)


def same_token(expected: str, submitted: str) -> bool:
    return bool(submitted) and hmac.compare_digest(expected, submitted)

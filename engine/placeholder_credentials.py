"""Placeholder credentials refused: no daemon starts on an example value or a too-short secret."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import SecretStr

from onward.engine.errors import ConfigError
from onward.engine.settings import Settings

# Values shipped as examples (deploy/kubernetes/secret.yaml says CHANGE-ME) and the usual
# stand-ins, compared with case and punctuation ignored.
_PLACEHOLDERS = frozenset(
    {
        "changeme", "changethis", "replaceme", "replace", "secret", "password", "passwd",
        "token", "apikey", "example", "placeholder", "todo", "fixme", "dummy", "test",
        "none", "null", "default", "admin", "letmein", "123456", "12345678",
    }
)  # fmt: skip
# The shortest value that can be real: Twilio's auth tokens are 32 characters, SendGrid's keys
# about 69; a password for the inbound webhook anyone can reach needs room for randomness.
_MIN_LENGTH = {"TWILIO_AUTH_TOKEN": 32, "SENDGRID_API_KEY": 20, "ONWARD_INBOUND_EMAIL_PASSWORD": 12}


def refuse_placeholder_credentials(settings: Settings) -> None:
    """Stop a daemon from starting on a placeholder or a too-short secret: one line, no value."""
    found: list[tuple[str, str | None]] = [
        ("TWILIO_ACCOUNT_SID", settings.twilio_account_sid),
        ("TWILIO_AUTH_TOKEN", _reveal(settings.twilio_auth_token)),
        ("SENDGRID_API_KEY", _reveal(settings.sendgrid_api_key)),
        ("ONWARD_INBOUND_EMAIL_PASSWORD", _reveal(settings.inbound_email_password)),
        ("ONWARD_DATABASE_URL", _url_password(settings.database_url)),
        ("ONWARD_SMTP_URL", _url_password(_reveal(settings.smtp_url))),
    ]
    for variable, value in found:
        if value is None:
            continue
        if _is_placeholder(value):
            raise ConfigError(f"{variable}: holds a placeholder; set the real credential")
        shortest = _MIN_LENGTH.get(variable, 0)
        if len(value) < shortest:
            raise ConfigError(
                f"{variable}: too short to be a real credential (at least {shortest} characters)"
            )


def _is_placeholder(value: str) -> bool:
    folded = "".join(c for c in value.lower() if c.isalnum())
    return (
        folded in _PLACEHOLDERS
        or "changeme" in folded
        or "replaceme" in folded
        or folded.startswith("your")
        or len(set(folded)) <= 1  # "xxxxxxxx", "00000000", or nothing but punctuation
    )


def _reveal(secret: SecretStr | None) -> str | None:
    return None if secret is None else secret.get_secret_value()


def _url_password(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).password
    except ValueError:  # an unreadable URL is refused where it is used, with its own message
        return None

"""onward's own errors: each says what went wrong in one line and maps to a CLI exit code."""

from __future__ import annotations


class OnwardError(Exception):
    """Something went wrong in onward."""

    exit_code = 1

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip().splitlines()[0])


class ConfigError(OnwardError):
    """A setting is missing or contradicts another."""


class NotFound(OnwardError):
    """No such record."""


class UsageError(OnwardError):
    """The command was used the wrong way."""

    exit_code = 2


class SchemaOutOfDate(OnwardError):
    """The database schema is older than this onward; run `onward db upgrade`."""

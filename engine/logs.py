"""Structured logs, one line a record (JSON with ONWARD_LOG_FORMAT=json), addresses masked."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from onward.engine.phones import mask_email, mask_phone

_PHONE = re.compile(r"\+\d{8,15}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Fields that may carry a person's own words: never logged as they are.
_PRIVATE_FIELDS = ("body", "text", "reply", "subject", "answer")


def mask_text(value: str) -> str:
    value = _PHONE.sub(lambda m: mask_phone(m.group(0)), value)
    return _EMAIL.sub(lambda m: mask_email(m.group(0)), value)


def _mask_private(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key in _PRIVATE_FIELDS and isinstance(value, str):
            event[key] = f"<{len(value)} chars>"
        elif isinstance(value, str):
            event[key] = mask_text(value)
    return event


def configure_logging(fmt: str = "console", level: str = "INFO", stream: Any = None) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        # Plain tracebacks: rich's would print local variables, and those hold people's words.
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    logging.basicConfig(
        level=level.upper(), stream=stream or sys.stderr, format="%(message)s", force=True
    )
    # Libraries' chatter (migrations, HTTP clients) only when it matters.
    for noisy in (
        "alembic",
        "httpx",
        "python_http_client",
        "httpx2",
        "httpcore",
        "twilio",
        "urllib3",
        "apscheduler",
        "uvicorn.access",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            # Tracebacks become text before masking: exception messages can carry addresses.
            structlog.processors.format_exc_info,
            _mask_private,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    if not structlog.is_configured():
        configure_logging()
    return structlog.get_logger(name)

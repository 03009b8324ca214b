"""Structured logs, one line a record (JSON with ONWARD_LOG_FORMAT=json), addresses masked.

Every record goes through one handler: onward's own (structlog) and those of uvicorn, asyncio
and any library, uncaught exceptions included. So every line has the same format and the same
masking, and a storm of identical errors (a flood of connections, a provider down) becomes
one line and then a count, instead of filling the disk.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, MutableMapping
from types import TracebackType
from typing import Any

import structlog
from structlog.typing import Processor

from onward.engine.phones import mask_email, mask_phone

_PHONE = re.compile(r"\+\d{8,15}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Fields that may carry a person's own words: never logged as they are.
_PRIVATE_FIELDS = ("body", "text", "reply", "subject", "answer")
# Identical records within this many seconds are counted, not written.
REPEAT_WINDOW_SECONDS = 10.0
_REMEMBERED_KINDS = 256
_NUMBERS = re.compile(r"0x[0-9a-fA-F]+|\d+(?:\.\d+)?")
# Libraries' chatter (migrations, HTTP clients) only when it matters.
_NOISY = (
    "alembic",
    "httpx",
    "python_http_client",
    "httpx2",
    "httpcore",
    "twilio",
    "urllib3",
    "apscheduler",
    "uvicorn.access",
)


def mask_text(value: str) -> str:
    if "+" in value:  # a phone number starts with one; most values have none
        value = _PHONE.sub(lambda m: mask_phone(m.group(0)), value)
    if "@" in value:
        value = _EMAIL.sub(lambda m: mask_email(m.group(0)), value)
    return value


def _mask_private(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key in _PRIVATE_FIELDS and isinstance(value, str):
            event[key] = f"<{len(value)} chars>"
        elif isinstance(value, str):
            event[key] = mask_text(value)
    return event


def _foreign_logger_name(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    record = event.get("_record")
    if record is not None:
        event["logger"] = record.name
    return event


class Repeats(logging.Filter):
    """Writes the first of identical warnings and errors (same logger, level and message),
    counts the rest for `window` seconds, and adds that count (`repeated`) to the next one
    written after. Information records all go through: they are not what floods."""

    def __init__(
        self, window: float = REPEAT_WINDOW_SECONDS, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.window = window
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._seen: OrderedDict[tuple[str, int, str], list[float | int]] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.levelno, _message_of(record))
        now = self.monotonic()
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and now - seen[0] < self.window:
                seen[1] += 1
                return False
            left_out = int(seen[1]) if seen is not None else 0
            self._seen[key] = [now, 0]
            self._seen.move_to_end(key)
            while len(self._seen) > _REMEMBERED_KINDS:
                self._seen.popitem(last=False)
        if left_out:
            _add_field(record, "repeated", left_out)
        return True


def _message_of(record: logging.LogRecord) -> str:
    """What makes two records the same: their text, numbers and addresses left out (asyncio
    puts a timer's due time and a socket's file number in each of its messages)."""
    if isinstance(record.msg, dict):  # one of onward's own: its event name and fields
        text = repr(sorted((k, repr(v)) for k, v in record.msg.items() if k != "timestamp"))
    else:
        try:
            text = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit the format
            text = str(record.msg)
    return _NUMBERS.sub("#", text)


def _add_field(record: logging.LogRecord, name: str, value: object) -> None:
    if isinstance(record.msg, dict):
        record.msg[name] = value
    else:
        record.__dict__.setdefault("_onward_fields", {})[name] = value


def _record_fields(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    record = event.get("_record")
    if record is not None:
        event.update(getattr(record, "_onward_fields", {}))
    return event


def configure_logging(
    fmt: str = "console",
    level: str = "INFO",
    stream: Any = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        # Plain tracebacks: rich's would print local variables, and those hold people's words.
        else structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
    )
    # Tracebacks become text before masking: exception messages can carry addresses.
    finish: list[Processor] = [structlog.processors.format_exc_info, _mask_private]
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                _foreign_logger_name,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                _record_fields,
                *finish,
            ],
        )
    )
    handler.addFilter(Repeats(monotonic=monotonic))
    # No line prints the caller's frame, thread or process: each record skips looking them up,
    # a fifth of a line's cost (the logging HOWTO's "Optimization" names these switches).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in _NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *finish,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


def _log_uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    logging.getLogger("onward").critical("uncaught exception", exc_info=(kind, exc, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _log_uncaught(args.exc_type, args.exc_value, args.exc_traceback)


def get_logger(name: str) -> Any:
    if not structlog.is_configured():
        configure_logging()
    return structlog.get_logger(name)

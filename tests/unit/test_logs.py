"""Logs are one JSON object a line, with phone numbers and addresses masked and people's own
words (bodies, replies, journal text) never written, not even inside a traceback."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from onward.engine.logs import configure_logging, get_logger, mask_text


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    configure_logging("json", stream=buf)
    yield buf
    configure_logging()


def test_records_are_json_lines_with_addresses_masked(lines: io.StringIO) -> None:
    log = get_logger("test")
    log.info("inbound", sender="+14155550100", email="jane.doe@example.org", command="rejected")
    log.info("reply", body="I froze on the SQL question", text="my journal", reply="thanks")
    first, second = (json.loads(line) for line in lines.getvalue().splitlines())
    assert first["sender"] == "+1415*****00"
    assert "jane.doe" not in first["email"] and first["email"].endswith(".org")
    assert second["body"] == "<27 chars>" and second["text"] == "<10 chars>"
    assert "SQL question" not in lines.getvalue()


def test_a_record_is_made_without_looking_up_what_no_line_prints(lines: io.StringIO) -> None:
    """The caller's frame, the thread and the process are never printed: looking them up cost
    a fifth of every line (the logging HOWTO's "Optimization")."""
    made: list[logging.LogRecord] = []

    class Keep(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            made.append(record)
            return True

    handler = logging.getLogger().handlers[0]
    keep = Keep()
    handler.addFilter(keep)
    try:
        get_logger("test").info("inbound", command="answer")
    finally:
        handler.removeFilter(keep)
    (record,) = made
    assert (record.lineno, record.threadName, record.processName) == (0, None, None)
    assert json.loads(lines.getvalue())["command"] == "answer"


def test_a_traceback_is_masked_too(lines: io.StringIO) -> None:
    try:
        raise ValueError("duplicate key (phone)=(+14155550100) for sam@example.org")
    except ValueError:
        get_logger("test").exception("handling failed")
    record = json.loads(lines.getvalue())
    assert "+14155550100" not in record["exception"]
    assert "sam@example.org" not in record["exception"]


def test_mask_text_leaves_other_words_alone() -> None:
    assert mask_text("no numbers here") == "no numbers here"
    masked = mask_text("call +447400123456 now")
    assert "+447400123456" not in masked and masked.count("*") >= 4
    assert masked.startswith("call +44") and masked.endswith("56 now")


def test_other_libraries_records_are_json_and_masked(lines: io.StringIO) -> None:
    logging.getLogger("uvicorn.error").error("client %s sent junk", "+14155550100")
    try:
        raise RuntimeError("task failed for sam@example.org")
    except RuntimeError:
        logging.getLogger("asyncio").exception("Task exception was never retrieved")
    first, second = (json.loads(line) for line in lines.getvalue().splitlines())
    assert first["level"] == "error" and first["logger"] == "uvicorn.error"
    assert "+14155550100" not in first["event"] and first["event"].startswith("client +1415")
    assert "RuntimeError" in second["exception"] and "sam@example.org" not in second["exception"]


def test_an_uncaught_exception_is_a_json_record(lines: io.StringIO) -> None:
    try:
        raise ValueError("no luck for +14155550100")
    except ValueError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)  # what Python calls as it dies
    record = json.loads(lines.getvalue())
    assert "ValueError" in record["exception"] and "+14155550100" not in record["exception"]


def test_repeated_identical_errors_collapse_into_one_line_with_a_count() -> None:
    buf, now = io.StringIO(), [0.0]
    configure_logging("json", stream=buf, monotonic=lambda: now[0])
    try:
        log = logging.getLogger("asyncio")
        for _ in range(10_000):
            log.error("socket.accept() out of system resource")
        get_logger("onward.web").warning("webhook refused", reason="bad signature")
        now[0] += 11.0
        log.error("socket.accept() out of system resource")
        records = [json.loads(line) for line in buf.getvalue().splitlines()]
    finally:
        configure_logging()
    assert [r["event"] for r in records] == [
        "socket.accept() out of system resource",
        "webhook refused",
        "socket.accept() out of system resource",
    ]
    assert "repeated" not in records[0]
    assert records[2]["repeated"] == 9_999  # the ones left out since the first, counted here

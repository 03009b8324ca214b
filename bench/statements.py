"""The SQL statements one REJECTED and one journal reply cost, counted with a SQLAlchemy event
listener, through onward's real web app (`onward serve`'s app, the Twilio channel and its
signature check) on a SQLite file as `onward serve` opens it (WAL, BEGIN IMMEDIATE).

    python bench/statements.py                  # counts per message, and one of each listed
    python bench/statements.py --profile rejected --messages 400   # cProfile of the same path

Counted: every statement the driver is given (`before_cursor_execute`; an executemany counts
once) and every transaction begun, from the request's arrival to its answer; the work a
daemon does after a message (moving its wake-up) is counted apart. The first messages warm up
(plans parsed, statements compiled) and are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures import phone
from sqlalchemy import Engine, event, select, update
from wrk_load import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, inbound_form, twilio_signature

from onward.engine.clock import SystemClock
from onward.engine.daemon import Daemon
from onward.engine.logs import configure_logging
from onward.engine.plan_store import install_shipped_plans
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from onward.engine.storage.migrate import upgrade
from onward.engine.storage.models import Person, Run, Step

PUBLIC_URL = "http://127.0.0.1:8000"
PATH = "/webhooks/twilio/sms"
WARM_UP = 5
JOURNAL_TEXT = "It went ok, I think. I rushed the salary question and should have asked more."


@dataclass
class Counter:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0
    on: bool = False

    def statement(self, _conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if self.on:
            self.statements.append(" ".join(sql.split()))

    def begin(self, _conn: Any) -> None:
        if self.on:
            self.transactions += 1

    @contextmanager
    def counting(self) -> Iterator[None]:
        self.statements.clear()
        self.transactions = 0
        self.on = True
        try:
            yield
        finally:
            self.on = False


class Rig:
    """onward's web app on a fresh SQLite file, with the Twilio channel (nothing is sent)."""

    def __init__(self, folder: Path) -> None:
        database = folder / "statements.db"
        settings = load_settings(
            {
                "ONWARD_DATABASE_URL": f"sqlite:///{database}",
                "ONWARD_PUBLIC_URL": PUBLIC_URL,
                "ONWARD_SMS_CHANNEL": "twilio",
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "ONWARD_TWILIO_FROM": OUR_NUMBER,
                "ONWARD_LOG_LEVEL": "WARNING",
            }
        )
        configure_logging("console", "WARNING")
        self.runtime = Runtime(settings, SystemClock())
        engine: Engine = self.runtime.engine
        upgrade(engine)
        with self.runtime.sessions.begin() as session:
            install_shipped_plans(session, self.runtime.clock)
        self.counter = Counter()
        event.listen(engine, "before_cursor_execute", self.counter.statement)
        event.listen(engine, "begin", self.counter.begin)
        self.daemon = Daemon(self.runtime)
        # The daemon's app as `onward serve` builds it (a wake-up after each message), its
        # scheduler not started: nothing is sent.
        self.app = self.daemon.app(with_scheduler=True)
        self.loop = asyncio.new_event_loop()
        self.sent = 0

    def post(self, sender: str, body: str) -> str:
        self.sent += 1
        form = inbound_form(f"SM{self.sent:032x}", sender, body)
        signature = twilio_signature(f"{PUBLIC_URL}{PATH}", form)
        status, answer = self.loop.run_until_complete(
            asgi_post(self.app, PATH, urlencode(form).encode(), signature)
        )
        if status != 200 or b"<Message>" not in answer:
            raise RuntimeError(f"{body!r} was answered {status}: {answer!r}")
        return answer.decode()

    def open_prompts(self, people: list[str]) -> None:
        """Mark the reflect prompt of these people's runs sent: what they write is an answer."""
        sent_at = self.runtime.clock.now() - timedelta(hours=1)
        with self.runtime.sessions.begin() as session:
            run_ids = select(Run.id).join(Person, Person.id == Run.person_id)
            session.execute(
                update(Step)
                .where(
                    Step.run_id.in_(run_ids.where(Person.phone.in_(people))),
                    Step.step_key == "reflect",
                )
                .values(status="sent", sent_at=sent_at, attempts=1)
            )


async def asgi_post(app: Any, path: str, body: bytes, signature: str) -> tuple[int, bytes]:
    """One POST straight into the ASGI app, as uvicorn would hand it over (no socket)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
            (b"x-twilio-signature", signature.encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    answer: dict[str, Any] = {"status": 0, "body": b""}
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)  # nothing more: the client waits for the answer
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return answer["status"], answer["body"]


def rejected_senders(count: int, first: int = 0) -> list[str]:
    return [phone("646", n) for n in range(first, first + count)]


def measure(rig: Rig, messages: int) -> dict[str, Any]:
    """Statements and transactions per REJECTED (new people) and per journal reply."""
    people = rejected_senders(WARM_UP + messages)
    for sender in people[:WARM_UP]:
        rig.post(sender, "REJECTED Warm Co")
    figures: dict[str, Any] = {}
    lists: dict[str, list[str]] = {}
    with rig.counter.counting():
        for n, sender in enumerate(people[WARM_UP:]):
            rig.post(sender, f"REJECTED Company {n % 97}")
    figures["rejected"] = per_message(rig.counter, messages)
    with rig.counter.counting():
        rig.post(rejected_senders(1, 900_000)[0], "REJECTED Listed Co")
    lists["rejected"] = list(rig.counter.statements)
    rig.open_prompts(people)
    for sender in people[:WARM_UP]:
        rig.post(sender, "warming up the journal")
    with rig.counter.counting():
        for sender in people[WARM_UP:]:
            rig.post(sender, JOURNAL_TEXT)
    figures["journal"] = per_message(rig.counter, messages)
    with rig.counter.counting():
        rig.post(people[WARM_UP], JOURNAL_TEXT)
    lists["journal"] = list(rig.counter.statements)
    return {"per_message": figures, "statements": lists}


def per_message(counter: Counter, messages: int) -> dict[str, float]:
    return {
        "statements": round(len(counter.statements) / messages, 2),
        "transactions": round(counter.transactions / messages, 2),
    }


def profile(rig: Rig, kind: str, messages: int, top: int) -> None:
    people = rejected_senders(WARM_UP + messages)
    for sender in people[:WARM_UP]:
        rig.post(sender, "REJECTED Warm Co")
    if kind == "journal":
        for n, sender in enumerate(people[WARM_UP:]):
            rig.post(sender, f"REJECTED Company {n % 97}")
        rig.open_prompts(people)
    profiler = cProfile.Profile()
    profiler.enable()
    for n, sender in enumerate(people[WARM_UP:]):
        rig.post(sender, f"REJECTED Company {n % 97}" if kind == "rejected" else JOURNAL_TEXT)
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=50, help="messages of each kind counted")
    parser.add_argument("--profile", choices=("rejected", "journal"), help="cProfile this kind")
    parser.add_argument("--top", type=int, default=60, help="lines of the profile printed")
    parser.add_argument("--json", action="store_true", help="one JSON object, no listing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="onward-statements-") as folder:
        rig = Rig(Path(folder))
        try:
            if args.profile:
                profile(rig, args.profile, args.messages, args.top)
                return
            result = measure(rig, args.messages)
        finally:
            rig.runtime.close()
    if args.json:
        print(json.dumps(result["per_message"], sort_keys=True))
        return
    for kind, figures in result["per_message"].items():
        print(f"{kind}: {figures['statements']} statements, {figures['transactions']} transactions")
        for sql in result["statements"][kind]:
            print(f"    {sql[:150]}")


if __name__ == "__main__":
    main()

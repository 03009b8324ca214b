"""onward's real `/webhooks/twilio/sms` under `onward serve`, loaded with wrk like bare-webhook:
REJECTED from new people (a person, a run and its steps, the first nudge in the TwiML reply),
journal replies from people with an open prompt, and REJECTED again while 10,010 due steps of the
same SQLite database are drained: by a second process, as in G1, and by the daemon's own
dispatcher, which the webhooks wake (its Twilio API is bench/twilio_sink.py on 127.0.0.1) (G4).

    python bench/onward_webhook.py WORKDIR --template G1.db --seconds 5
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PYTHON, emit, free_port, now_s, start_onward_serve, stop, wait_http
from fixtures import copy_sqlite, make_due, phone
from sqlalchemy import Engine, func, select, update
from wrk_load import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, inbound_form, run_wrk, write_requests

from onward.engine.clock import SystemClock
from onward.engine.storage.db import create_db_engine
from onward.engine.storage.models import Delivery, InboundMessage, JournalEntry, Person, Run, Step

JOURNAL_PEOPLE = 500
ACCEPTED = ("sent", "delivered", "queued")  # delivery states in which a provider took it
DRAIN_OFFSET = 500_000  # phone numbers of the REJECTED sent during the drain
JOURNAL_TEXT = "It went ok, I think. I rushed the salary question and should have asked more."


def open_prompts(database: Path, people: int) -> list[str]:
    """Give the first `people` runs a sent reflect prompt, so what they write is journalled."""
    engine = create_db_engine(f"sqlite:///{database}")
    sent_at = SystemClock().now() - timedelta(hours=1)
    try:
        with engine.begin() as conn:
            run_ids = list(conn.scalars(select(Run.id).order_by(Run.id).limit(people)))
            conn.execute(
                update(Step)
                .where(Step.run_id.in_(run_ids), Step.step_key == "reflect")
                .values(status="sent", sent_at=sent_at, attempts=1)
            )
            return list(
                conn.scalars(
                    select(Person.phone)
                    .join(Run, Run.person_id == Person.id)
                    .where(Run.id.in_(run_ids))
                )
            )
    finally:
        engine.dispose()


def counts(database: Path) -> dict[str, int]:
    engine = create_db_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            return {
                "inbound": int(conn.scalar(select(func.count()).select_from(InboundMessage)) or 0),
                "unhandled": int(
                    conn.scalar(
                        select(func.count())
                        .select_from(InboundMessage)
                        .where(InboundMessage.handled_at.is_(None))
                    )
                    or 0
                ),
                "runs": int(conn.scalar(select(func.count()).select_from(Run)) or 0),
                "journal": int(conn.scalar(select(func.count()).select_from(JournalEntry)) or 0),
            }
    finally:
        engine.dispose()


def rejected_forms(first: int, count: int, tag: str) -> Any:
    for n in range(first, first + count):
        yield inbound_form(f"SM{tag}{n:030x}", phone("646", n), f"REJECTED Company {n % 97}")


def journal_forms(phones: list[str], count: int) -> Any:
    for n in range(count):
        yield inbound_form(f"SMj{n:031x}", phones[n % len(phones)], JOURNAL_TEXT)


def drain_during_load(database: Path, url: str, requests: Path, steps: int) -> dict[str, Any]:
    """Make `steps` due and drain them from a second process (the daemon's own dispatcher joins
    in, woken by the webhooks) while the webhook is loaded for exactly as long."""
    engine = create_db_engine(f"sqlite:///{database}")
    due_ids = make_due(engine, steps)
    made_due_at = SystemClock().now()
    script = Path(__file__).with_name("onward_dispatch.py")
    drain = subprocess.Popen(
        [PYTHON, str(script), "drain", str(database), "--already-due", "--wait-go"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert drain.stdin is not None and drain.stdout is not None
    if drain.stdout.readline().strip() != "ready":
        raise RuntimeError("the drain process did not get ready")

    def go() -> None:
        assert drain.stdin is not None
        drain.stdin.write("go\n")
        drain.stdin.flush()

    try:
        load = run_wrk(url, requests, 300, stop_when=drain, once_started=go)
    finally:
        out, _ = drain.communicate(timeout=300)
    if drain.returncode:
        raise RuntimeError(f"the drain process failed with {drain.returncode}")
    drained = json.loads(out.strip().splitlines()[-1])
    try:
        return {"load": load, "drain": drained, **delivered_once(engine, due_ids, made_due_at)}
    finally:
        engine.dispose()


def delivered_once(
    engine: Engine, due_ids: list[int], made_due_at: datetime, wait_s: float = 30.0
) -> dict[str, Any]:
    """Once nothing of the burst is claimed any more: how many steps have exactly one delivery
    the provider took, by either process, and how many have more than one.

    A step the guards moved to a later time, with no delivery, is counted apart ("deferred"),
    not as undelivered: on a Saturday or Sunday the REJECTED phase's new people's steps counted
    in business days (`research`) wait for Monday, as they should."""
    wanted = set(due_ids)
    deadline = now_s() + wait_s
    while now_s() < deadline:
        # A step claimed, or one sent whole at the claim whose delivery waits for the
        # provider's answer: the daemon's last batch may still be on its way.
        with engine.connect() as conn:
            claimed = conn.scalars(select(Step.id).where(Step.status == "claimed"))
            unanswered = conn.scalars(
                select(Delivery.step_id).where(Delivery.status.in_(("sending", "queued")))
            )
            waiting = [i for i in [*claimed, *unanswered] if i in wanted]
        if not waiting:
            break
        time.sleep(0.2)
    with engine.connect() as conn:
        rows = conn.execute(select(Delivery.step_id, Delivery.status, Delivery.channel)).all()
        later = conn.scalars(
            select(Step.id).where(Step.status == "pending", Step.due_at > made_due_at)
        )
        moved = {i for i in later if i in wanted}
    per_step = Counter(step for step, _status, _channel in rows if step in wanted)
    deferred = moved - set(per_step)
    expected = len(wanted) - len(deferred)
    taken = Counter(
        step for step, status, _channel in rows if step in wanted and status in ACCEPTED
    )
    by_daemon = sum(1 for step, _s, channel in rows if step in wanted and channel == "twilio")
    once = sum(1 for count in taken.values() if count == 1)
    return {
        "due": len(wanted),
        "exactly_once_pct": round(100.0 * once / expected, 3) if expected else 0.0,
        "deferred": len(deferred),
        "duplicates": sum(1 for count in per_step.values() if count > 1),
        "sent_by_daemon": by_daemon,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workdir")
    parser.add_argument("--template", required=True, help="the G1 database (runs, none due)")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--requests", type=int, default=20_000, help="distinct requests a load")
    parser.add_argument("--drain-steps", type=int, default=10_010, help="steps due in the drain")
    args = parser.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    database = work / "onward_webhook.db"
    copy_sqlite(Path(args.template), database)
    phones = open_prompts(database, JOURNAL_PEOPLE)
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks/twilio/sms"
    files = {name: work / f"onward_{name}.txt" for name in ("rejected", "journal", "drain")}
    write_requests(files["rejected"], url, rejected_forms(0, args.requests, "r"))
    write_requests(files["journal"], url, journal_forms(phones, args.requests))
    write_requests(files["drain"], url, rejected_forms(DRAIN_OFFSET, args.requests, "d"))
    sink_port = free_port()
    sink = subprocess.Popen(
        [PYTHON, str(Path(__file__).with_name("twilio_sink.py")), str(sink_port)]
    )
    server = start_onward_serve(
        database,
        port,
        work,
        ONWARD_SMS_CHANNEL="twilio",
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        ONWARD_TWILIO_FROM=OUR_NUMBER,
        # Sends go to the local stand-in, which takes them at once (a short code's rate).
        ONWARD_TWILIO_API_BASE=f"http://127.0.0.1:{sink_port}",
        ONWARD_TWILIO_RATE_PER_SEC="1000",
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", process=server)
        time.sleep(1.0)  # the first dispatcher tick at start-up (nothing is due) is over
        rejected = run_wrk(url, files["rejected"], args.seconds)
        journal = run_wrk(url, files["journal"], args.seconds)
        during = drain_during_load(database, url, files["drain"], args.drain_steps)
    finally:
        stop(server)
        stop(sink)
    figures: dict[str, Any] = {}
    for name, result in (("rejected", rejected), ("journal", journal), ("drain", during["load"])):
        figures |= {f"{name}_{key}": value for key, value in result.items()}
    figures["drain_steps"] = during["due"]
    figures["drain_rate"] = round(during["due"] / during["drain"]["seconds"], 1)
    figures["drain_exactly_once_pct"] = during["exactly_once_pct"]
    figures["drain_duplicates"] = during["duplicates"]
    figures["drain_deferred"] = during["deferred"]
    figures["drain_sent_by_daemon"] = during["sent_by_daemon"]
    figures["non_2xx"] = rejected["non_2xx"] + journal["non_2xx"] + during["load"]["non_2xx"]
    figures |= counts(database)
    emit(figures)


if __name__ == "__main__":
    main()

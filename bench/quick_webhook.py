"""quick-webhook: what a quick implementation of REJECTED would do, as a second yardstick for
onward's webhook. A Starlette endpoint under uvicorn checks the Twilio-style signature, inserts
the person (if new) and the rejection with the SQLAlchemy ORM, adds one APScheduler 3 `date` job
per plan step (7 steps and 3 reminders, as onward's standard plan) to a `SQLAlchemyJobStore` on
the same SQLite file (WAL, synchronous=NORMAL), and answers TwiML with the acknowledgement;
wrk loads it at 16 connections, each request `REJECTED Company n` from a new number.

    python bench/quick_webhook.py WORKDIR --seconds 5
"""

from __future__ import annotations

import argparse
import hmac
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import emit
from sqlalchemy import ForeignKey, String, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from wrk_load import AUTH_TOKEN, inbound_form, load_served_script, twilio_signature

from onward.engine.clock import SystemClock

# The standard plan's offsets from the rejection: 7 steps, then 3 reminders.
STEP_OFFSETS = [timedelta(hours=h) for h in (0, 26, 48, 96, 144, 240, 336, 72, 120, 168)]
CLOCK = SystemClock()
ACK = "I'm so sorry the news from {company} wasn't what you hoped. Take a day or two off."


class Base(DeclarativeBase):
    pass


class Person(Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)


class Rejection(Base):
    __tablename__ = "rejections"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    company: Mapped[str] = mapped_column(String(200))
    reported_at: Mapped[datetime]


def send_nudge(person_id: int, step: int) -> None:
    """The job each step would run (never reached here: every job is in the future)."""


def create_app(database: str, public_url: str) -> Starlette:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    engine = create_engine(f"sqlite:///{database}", connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(conn: Any, _record: Any) -> None:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")

    Base.metadata.create_all(engine)
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine)}, timezone=UTC
    )
    scheduler.start()

    async def sms(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        expected = twilio_signature(f"{public_url}/sms", form, AUTH_TOKEN)
        if not hmac.compare_digest(expected, request.headers.get("x-twilio-signature", "")):
            return PlainTextResponse("bad signature", status_code=403)
        company = form.get("Body", "").partition(" ")[2] or "them"
        now = CLOCK.now()
        with Session(engine) as session, session.begin():
            person = session.scalars(select(Person).where(Person.phone == form["From"])).first()
            if person is None:
                person = Person(phone=form["From"])
                session.add(person)
                session.flush()
            session.add(Rejection(person_id=person.id, company=company, reported_at=now))
            person_id = person.id
        for step, offset in enumerate(STEP_OFFSETS):
            scheduler.add_job(
                send_nudge, "date", run_date=now + offset + timedelta(minutes=1),
                args=(person_id, step), misfire_grace_time=None,
            )  # fmt: skip
        reply = f"<Response><Message>{escape(ACK.format(company=company))}</Message></Response>"
        return Response(
            f'<?xml version="1.0" encoding="UTF-8"?>{reply}', media_type="application/xml"
        )

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/sms", sms, methods=["POST"]), Route("/healthz", healthz)])


def serve(database: str, port: int) -> None:
    import uvicorn

    app = create_app(database, f"http://127.0.0.1:{port}")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workdir")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--requests", type=int, default=30_000, help="distinct requests to send")
    parser.add_argument("--serve", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    work = Path(args.workdir)
    database = work / "quick.db"
    forms = (
        inbound_form(f"SM{n:032x}", f"+1415{3_000_000 + n:07d}", f"REJECTED Company {n}")
        for n in range(args.requests)
    )
    figures = load_served_script(__file__, work, database, forms, args.seconds)
    with sqlite3.connect(database) as db:
        figures["rejections"] = db.execute("SELECT count(*) FROM rejections").fetchone()[0]
        figures["jobs"] = db.execute("SELECT count(*) FROM apscheduler_jobs").fetchone()[0]
    emit(figures)


if __name__ == "__main__":
    main()

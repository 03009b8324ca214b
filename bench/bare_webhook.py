"""bare-webhook: the least an SMS webhook can do, as a yardstick for onward's. A Starlette endpoint
under uvicorn parses the form, checks the Twilio-style HMAC-SHA1 signature, inserts one row into
SQLite (WAL, synchronous=NORMAL) and answers empty TwiML; wrk loads it at 16 connections.

    python bench/bare_webhook.py WORKDIR --seconds 5
"""

from __future__ import annotations

import argparse
import hmac
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import emit
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from wrk_load import AUTH_TOKEN, inbound_form, load_served_script, twilio_signature

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def create_app(database: str, public_url: str) -> Starlette:
    db = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS inbound (id INTEGER PRIMARY KEY, sid TEXT UNIQUE, "
        "sender TEXT, body TEXT)"
    )

    async def sms(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        expected = twilio_signature(f"{public_url}/sms", form, AUTH_TOKEN)
        if not hmac.compare_digest(expected, request.headers.get("x-twilio-signature", "")):
            return PlainTextResponse("bad signature", status_code=403)
        db.execute(
            "INSERT OR IGNORE INTO inbound (sid, sender, body) VALUES (?, ?, ?)",
            (form.get("MessageSid"), form.get("From"), form.get("Body")),
        )
        return Response(EMPTY_TWIML, media_type="application/xml")

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
    parser.add_argument("--requests", type=int, default=60_000, help="distinct requests to send")
    parser.add_argument("--serve", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    work = Path(args.workdir)
    database = work / "bare.db"
    forms = (
        inbound_form(f"SM{n:032x}", f"+1415{2_000_000 + n % 5000:07d}", "It went ok I think")
        for n in range(args.requests)
    )
    figures = load_served_script(__file__, work, database, forms, args.seconds)
    with sqlite3.connect(database) as db:
        figures["rows"] = db.execute("SELECT count(*) FROM inbound").fetchone()[0]
    emit(figures)


if __name__ == "__main__":
    main()

"""A stand-in for Twilio's Messages API on 127.0.0.1 that accepts every message at once, so the
daemon's own dispatcher can send while its webhooks are measured (G4).

    python bench/twilio_sink.py PORT
"""

from __future__ import annotations

import sys
import uuid

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

accepted = 0


async def create_message(request: Request) -> Response:
    global accepted
    form = await request.form()
    accepted += 1
    sid = f"SM{uuid.uuid4().hex}"
    account = request.path_params["account"]
    return JSONResponse(
        {
            "sid": sid,
            "account_sid": account,
            "to": str(form.get("To", "")),
            "from": str(form.get("From", "")),
            "body": str(form.get("Body", "")),
            "status": "sent",
            "num_segments": "1",
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
        },
        status_code=201,
    )


async def count(request: Request) -> Response:
    return PlainTextResponse(str(accepted))


app = Starlette(
    routes=[
        Route("/2010-04-01/Accounts/{account}/Messages.json", create_message, methods=["POST"]),
        Route("/count", count),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")

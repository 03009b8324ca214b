"""Load with wrk: Twilio-style signed form posts written to a file once, replayed by wrk's Lua,
each request different (its own MessageSid), every answer that is not 2xx counted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from common import PYTHON, free_port, wait_http

AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT_SID = "AC" + "0" * 30 + "42"
OUR_NUMBER = "+15005550006"
CONNECTIONS = 16
THREADS = 2
MARKER = "WRK-RESULT "

# wrk runs this in each of its threads: thread i sends lines i, i+T, i+2T, ... of the request
# file (so no two threads send the same request), then starts over ("wrapped").
LUA = r"""
local threads, counter = {}, 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  requests, index, bad, wrapped = {}, 0, 0, 0
  local n = 0
  for line in io.lines(args[1]) do
    if n % tonumber(args[2]) == tid then
      local sig, body = line:match("^(%S+)\t(.*)$")
      table.insert(requests, wrk.format("POST", args[3], {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = sig,
      }, body))
    end
    n = n + 1
  end
end
function request()
  index = index + 1
  if index > #requests then
    index, wrapped = 1, wrapped + 1
  end
  return requests[index]
end
function response(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local bad_total, wrapped_total = 0, 0
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
    wrapped_total = wrapped_total + thread:get("wrapped")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "non_2xx": %d, "wrapped": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "max_us": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, bad_total, wrapped_total,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout))
end
"""


def twilio_signature(url: str, form: Mapping[str, str], token: str = AUTH_TOKEN) -> str:
    """Twilio's request signature: HMAC-SHA1 over the URL and the sorted fields, in base64."""
    data = url + "".join(key + form[key] for key in sorted(form))
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def inbound_form(sid: str, sender: str, body: str) -> dict[str, str]:
    """The fields Twilio posts for an incoming SMS (the ones anything here reads, and a few)."""
    return {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": OUR_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }


def write_requests(path: Path, url: str, forms: Iterable[Mapping[str, str]]) -> int:
    """One line a request: signature, a tab, the urlencoded body."""
    count = 0
    with path.open("w") as out:
        for form in forms:
            out.write(f"{twilio_signature(url, form)}\t{urlencode(form)}\n")
            count += 1
    return count


def run_wrk(
    url: str,
    requests_file: Path,
    seconds: float,
    *,
    connections: int = CONNECTIONS,
    stop_when: subprocess.Popen[Any] | None = None,
    once_started: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Load `url` for `seconds` (or until `stop_when` exits: wrk is then interrupted and still
    reports); `once_started` runs as soon as wrk has read its requests. Returns requests/s,
    latency percentiles in ms and the count of non-2xx answers."""
    script = requests_file.with_suffix(".lua")
    script.write_text(LUA)
    path = "/" + url.split("/", 3)[3]
    command = ["wrk", "-t", str(THREADS), "-c", str(connections), "-d", f"{int(seconds)}s"]
    command += ["--timeout", "10s", "-s", str(script), url, "--"]
    command += [str(requests_file), str(THREADS), path]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if once_started is not None:
        time.sleep(0.5)  # wrk's threads read the request file before the first request
        once_started()
    if stop_when is not None:
        stop_when.wait(timeout=seconds + 60)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=seconds + 60)
    lines = [line for line in out.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    raw = json.loads(lines[-1][len(MARKER) :])
    seconds_run = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "seconds": round(seconds_run, 3),
        "rps": round(raw["requests"] / seconds_run, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["socket_errors"],
        "wrapped": raw["wrapped"],
    }


def load_served_script(
    script: str,
    work: Path,
    database: Path,
    forms: Iterable[Mapping[str, str]],
    seconds: float,
) -> dict[str, Any]:
    """Start `script --serve DATABASE PORT` (a fresh SQLite file), load its /sms endpoint with
    `forms`, each signed, for `seconds`, and stop it: the bare and quick webhook baselines."""
    work.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/sms"
    requests_file = work / f"{database.stem}_requests.txt"
    write_requests(requests_file, url, forms)
    server = subprocess.Popen(
        [PYTHON, script, str(work), "--serve", str(database), str(port)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", process=server)
        return run_wrk(url, requests_file, seconds)
    finally:
        server.terminate()
        server.wait(timeout=15)

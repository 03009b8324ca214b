"""The HTTP server: the port bound before anything else starts, then uvicorn with onward's limits.

Binding first means a taken port is one clear line and exit status 1, before the daemon says
it is serving or claims a single step. The limits (README, "Server limits"): a request body that
stops arriving gets 408 after ONWARD_BODY_TIMEOUT_SECONDS; a connection with nothing to say is
closed after ONWARD_KEEPALIVE_SECONDS; at most ONWARD_MAX_CONNECTIONS are open (fewer if the
open-file limit is lower), the stalest shed first (engine/web/admission.py).
"""

from __future__ import annotations

import errno
import socket

import uvicorn
from starlette.applications import Starlette

from onward.engine.errors import ConfigError
from onward.engine.settings import Settings
from onward.engine.web.admission import admitting

# Connections the kernel holds until accepted, and (asyncio) how many are accepted at once
# before any of them is looked at: small, so a flood cannot take every file in one gulp.
BACKLOG = 64
GRACEFUL_SHUTDOWN_SECONDS = 5


def bind_listener(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or a ConfigError naming the port and ONWARD_PORT."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ConfigError(f"ONWARD_HOST: cannot listen on {host!r}: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"port {port} is already in use on {host}: stop what holds it "
                "or set ONWARD_PORT to a free port"
            ) from None
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror}); check ONWARD_PORT"
        ) from None
    return sock


def serve_http(app: Starlette, settings: Settings, listener: socket.socket, ceiling: int) -> None:
    """Serve `app` on `listener` until a signal stops it, at most `ceiling` connections open."""
    config = uvicorn.Config(
        app,
        # No log configuration of uvicorn's own: its records reach onward's handler, so they
        # are JSON and masked like every other (engine/logs.py).
        log_config=None,
        log_level="warning",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        timeout_keep_alive=settings.keepalive_seconds,
        http=admitting(ceiling),
        backlog=BACKLOG,
    )
    uvicorn.Server(config).run(sockets=[listener])

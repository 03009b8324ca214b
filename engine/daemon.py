"""`onward serve`: the web app under uvicorn and APScheduler 3 as the clock, in one process.

APScheduler holds no plan state: it only wakes the dispatcher (every few seconds, and at the
earliest pending due time) and housekeeping. Everything it acts on is read from the database.
"""

from __future__ import annotations

import gc
import signal
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool

from onward.engine.coaches.escalation import OnCall, nobody_on_call
from onward.engine.coaches.staff import prune_attempts
from onward.engine.dispatch.stalled_sends import settle_stalled
from onward.engine.housekeeping import sweep
from onward.engine.logs import configure_logging, get_logger
from onward.engine.metrics import TICK_DURATION
from onward.engine.placeholder_credentials import refuse_placeholder_credentials
from onward.engine.runtime import Runtime
from onward.engine.storage.migrate import require_current
from onward.engine.web.admission import connection_ceiling
from onward.engine.web.app import WebDeps, create_app
from onward.engine.web.server import bind_listener, serve_http

log = get_logger("onward.daemon")
HOUSEKEEPING_SECONDS = 60


class Daemon:
    """The runtime's parts on a clock: ticks, wake-ups, housekeeping, and the web app."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.channels = runtime.channels
        self.health = runtime.health
        self.inbox = runtime.inbox
        self.inbound_first = runtime.inbound_first
        self.replier = runtime.replier
        self.dispatcher = runtime.dispatcher
        self.notifier = runtime.notifier
        # Alerts are written only for an on-call person: with nobody on call, no message needs
        # the look for due alerts (housekeeping still sends any left from before).
        self.on_call = OnCall.from_settings(runtime.settings).anyone
        self.coach_replies = runtime.coach_replies
        self.journal_mailer = runtime.journal_mailer
        self.scheduler = BackgroundScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1}
        )
        self._tick_lock = threading.Lock()

    def tick(self) -> None:
        # The interval job and the wake-up job may coincide: one tick at a time per process.
        if not self._tick_lock.acquire(blocking=False):
            return
        started = time.perf_counter()
        try:
            outcomes = self.dispatcher.tick()
            if coached := self.coach_replies.send_due():
                outcomes["coach_replies"] = coached
            if mailed := self.journal_mailer.send_due():
                outcomes["journals_emailed"] = mailed
            if outcomes:
                log.info("dispatch tick", **outcomes)
            self._schedule_wake()
        except Exception:
            log.exception("dispatch tick failed; the next tick tries again")
        finally:
            TICK_DURATION.observe(time.perf_counter() - started)
            self._tick_lock.release()

    def warm_up(self) -> None:
        """The plans of open runs parsed before the first claim, which would otherwise parse them
        holding the write lock (Dispatcher.warm_up)."""
        try:
            self.dispatcher.warm_up()
        except Exception as exc:  # only ever a missed head start: never stop the daemon for it
            log.info("dispatcher warm-up skipped", reason=f"{type(exc).__name__}: {exc}"[:200])

    def wake_soon(self) -> None:
        """An inbound message may have brought a step due sooner: move the wake-up. It may
        also have asked for a human: tell the on-call person now, not at housekeeping."""
        if self.on_call:
            self.alert_on_call()
        try:
            self._schedule_wake()
        except Exception:
            log.exception("could not move the wake-up; the periodic tick still runs")

    def alert_on_call(self) -> None:
        try:
            sent = self.notifier.send_due()
            if sent:
                log.info("on-call alerts", **sent)
        except Exception:
            log.exception("on-call alerts failed; housekeeping tries again")

    def _schedule_wake(self) -> None:
        due = self.dispatcher.earliest_due()
        if due is None or self.dispatcher.stopping:
            return
        run_at = max(due, self.runtime.clock.now())
        job = self.scheduler.get_job("wake")
        # (A job added before the scheduler starts has no run time yet.)
        if job is not None and getattr(job, "next_run_time", None) == run_at:
            return  # already set for then (most messages bring nothing due sooner)
        # Wake exactly at the earliest due time, not at the next periodic tick: a step due in
        # two seconds goes in two seconds. (Only ever one "wake" job: each one is replaced.)
        self.scheduler.add_job(
            self.tick,
            "date",
            run_date=run_at,
            id="wake",
            replace_existing=True,
            misfire_grace_time=None,
        )

    def housekeeping(self) -> None:
        try:
            with self.runtime.sessions.begin() as session:
                settings = self.runtime.settings
                counts = sweep(
                    session, self.runtime.clock.now(), settings.send_window, settings.retention_days
                )
                counts["signin_attempts_pruned"] = prune_attempts(session, self.runtime.clock.now())
                counts["one_off_sends_in_doubt"] = settle_stalled(session, self.runtime.clock.now())
            retried = self.inbox.stored.retry_unhandled()
            # Replies nobody sent: to messages routed again above (on an earlier pass), or
            # emailed replies whose webhook was cut off.
            replied = sum(
                self.replier.send(inbound_id, reply) == "sent"
                for inbound_id, reply in self.inbox.stored.replies_owed()
            )
            if any(counts.values()) or retried or replied:
                log.info("housekeeping", inbound_retried=retried, late_replies=replied, **counts)
        except Exception:
            log.exception("housekeeping failed; it runs again soon")
        self.alert_on_call()  # the retries of alerts that failed
        self.recheck_channels()

    def recheck_channels(self) -> None:
        """A channel held for refused credentials comes back once its provider accepts them."""
        for name in self.health.problems():
            channel = self.channels.by_name(name)
            try:
                if channel is not None:
                    channel.check()
            except Exception as exc:
                log.warning("channel still held", channel=name, reason=str(exc))
                continue
            self.health.enable(name)
            log.info("channel accepted again", channel=name)

    def start_scheduler(self) -> None:
        self.warm_up()
        self.scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.runtime.settings.tick_seconds,
            id="tick",
            next_run_time=self.runtime.clock.now(),  # the first tick at once
        )
        self.scheduler.add_job(
            self.housekeeping, "interval", seconds=HOUSEKEEPING_SECONDS, id="housekeeping"
        )
        self.scheduler.start()

    def stop_scheduler(self) -> None:
        """Stop claiming, let an in-flight send finish and record, then stop the clock."""
        self.dispatcher.stopping = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    def app(self, with_scheduler: bool = False) -> Starlette:
        deps = WebDeps(
            self.runtime.settings,
            self.runtime.clock,
            self.inbox,
            self.channels,
            self.health,
            replier=self.replier,
            after_inbound=self.wake_soon if with_scheduler else None,
            inbound_first=self.inbound_first,
            coach_replies=self.coach_replies,
        )
        if not with_scheduler:
            return create_app(deps)

        @asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[None]:
            self.start_scheduler()
            try:
                yield
            finally:
                # Runs as soon as uvicorn begins its graceful shutdown: stop claiming first.
                await run_in_threadpool(self.stop_scheduler)

        return create_app(deps, lifespan)


def serve(runtime: Runtime) -> None:
    settings = runtime.settings
    configure_logging(settings.log_format, settings.log_level)
    refuse_placeholder_credentials(settings)
    # The port first: if it is taken, say so in one line before anything starts.
    listener = bind_listener(settings.host, settings.port)
    try:
        require_current(runtime.engine)
    except BaseException:
        listener.close()
        raise
    ceiling = connection_ceiling(settings.max_connections)
    daemon = Daemon(runtime)
    # uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown; with these handlers in place
    # that ends in our cleanup below and exit status 0 instead of death by signal.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _note_signal)
    log.info(
        "onward serving",
        host=settings.host,
        port=settings.port,
        database=_safe_url(settings.database_url),
        sms=settings.sms_channel_name,
        email=settings.email_channel_name,
        max_connections=ceiling,
    )
    warning = nobody_on_call(settings)
    if warning:
        log.warning(warning)
    app = daemon.app(with_scheduler=True)
    # What is loaded by now (modules, settings, the app) lives as long as the process: the
    # collector need not scan it again on every full collection (5% of a drain's time).
    gc.freeze()
    try:
        serve_http(app, settings, listener, ceiling)
    finally:
        daemon.stop_scheduler()
        runtime.close()
        log.info("onward stopped")


def _note_signal(signum: int, _frame: object) -> None:
    log.info("stopping", signal=signal.Signals(signum).name)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)

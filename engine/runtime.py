"""The composition root: settings, clock, database, channels and both pipelines wired once.

The daemon, the demo and every CLI command take their parts from a `Runtime`; nothing else
builds an inbox, a dispatcher or the channel map. Each part is made on first use, so a command
that only reads the database never opens a channel.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from functools import cached_property
from typing import TextIO

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from onward.engine.channel_set import ChannelSet
from onward.engine.clock import Clock, SystemClock
from onward.engine.coaches.escalation import Notifier, OnCall
from onward.engine.crisis import parse_crisis_lines_setting
from onward.engine.dispatch.coach_replies import CoachReplies
from onward.engine.dispatch.dispatcher import DispatchConfig, Dispatcher
from onward.engine.dispatch.journal_mail import JournalMailer
from onward.engine.dispatch.owed_replies import Replier
from onward.engine.dispatch.pacing import ChannelHealth
from onward.engine.inbound.context import RouterConfig
from onward.engine.inbound.inbox import Inbox
from onward.engine.inbound.router import Router
from onward.engine.settings import Settings
from onward.engine.storage.db import create_db_engine, session_factory
from onward.engine.storage.write_queue import InboundFirst


class Runtime:
    """Everything one process runs with, built from the settings on first use.

    `channels` replaces the channels the settings name (tests bring their own); `output` is
    where the console channel prints (the demo captures it); `worker_id` names this process
    in the leases it takes.
    """

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        *,
        channels: ChannelSet | None = None,
        output: TextIO | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self._channels = channels
        self._output = output
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"

    @cached_property
    def engine(self) -> Engine:
        return create_db_engine(
            self.settings.database_url,
            pool_size=self.settings.db_pool_size,
            statement_timeout_ms=self.settings.db_statement_timeout_ms,
            journal_keys=self.settings.journal_keys,
        )

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    @cached_property
    def channels(self) -> ChannelSet:
        if self._channels is not None:
            return self._channels
        return ChannelSet.from_settings(self.settings, output=self._output, clock=self.clock)

    @cached_property
    def health(self) -> ChannelHealth:
        """Channels held for refused credentials: shared by the dispatcher and /readyz."""
        return ChannelHealth()

    @cached_property
    def inbound_first(self) -> InboundFirst:
        """Lets webhooks write before the dispatcher's next batch."""
        return InboundFirst.for_database(self.settings.database_url)

    @cached_property
    def inbox(self) -> Inbox:
        return Inbox(self.sessions, Router(router_config(self.settings)), self.clock)

    @cached_property
    def replier(self) -> Replier:
        return Replier(self.sessions, self.clock, self.channels, self.settings.public_url)

    @cached_property
    def coach_replies(self) -> CoachReplies:
        """Sends what coaches write from the console, through the same door as every nudge."""
        settings = self.settings
        return CoachReplies(
            self.sessions, self.clock, self.channels, settings.public_url, settings.send_window
        )

    @cached_property
    def journal_mailer(self) -> JournalMailer:
        """Sends the journals people asked for by email (JOURNAL), on the daemon's tick."""
        settings = self.settings
        return JournalMailer(
            self.sessions, self.clock, self.channels, settings.public_url, settings.org_name
        )

    @cached_property
    def notifier(self) -> Notifier:
        """Sends the on-call alerts escalations write, at once and at housekeeping."""
        return Notifier.from_settings(self.settings, self.sessions, self.clock, self.channels)

    @cached_property
    def dispatcher(self) -> Dispatcher:
        settings = self.settings
        config = DispatchConfig(
            worker_id=self.worker_id,
            lease=timedelta(seconds=settings.lease_seconds),
            batch=settings.claim_batch,
            grace=settings.missed_grace,
            default_window=settings.send_window,
            public_url=settings.public_url,
            org_name=settings.org_name,
        )
        return Dispatcher(
            self.sessions,
            self.clock,
            self.channels,
            config,
            health=self.health,
            before_batch=self.inbound_first.wait_turn,
            before_send=self.inbound_first.wait_send_turn,
        )

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
        if "inbound_first" in self.__dict__ and self.inbound_first.turnstile is not None:
            self.inbound_first.turnstile.close()


def router_config(settings: Settings) -> RouterConfig:
    lines = parse_crisis_lines_setting(settings.crisis_lines) if settings.crisis_lines else {}
    return RouterConfig(
        default_window=settings.send_window,
        org_name=settings.org_name,
        help_text=settings.help_text,
        email_address=settings.email_from,
        crisis_phrases=settings.crisis_phrase_list,
        crisis_lines=lines,
        on_call=OnCall.from_settings(settings),
        secret_key=settings.secret_key.get_secret_value() if settings.secret_key else None,
        public_url=settings.public_url,
    )

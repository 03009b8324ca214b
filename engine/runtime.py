"""The composition root: settings, clock, database and channels wired once and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from onward.engine.clock import Clock, SystemClock
from onward.engine.crisis import DEFAULT_CRISIS_PHRASES, parse_crisis_lines_setting
from onward.engine.db import create_db_engine, session_factory
from onward.engine.inbound.context import RouterConfig
from onward.engine.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def engine(self) -> Engine:
        return create_db_engine(
            self.settings.database_url,
            pool_size=self.settings.db_pool_size,
            statement_timeout_ms=self.settings.db_statement_timeout_ms,
        )

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def router_config(settings: Settings) -> RouterConfig:
    phrases = DEFAULT_CRISIS_PHRASES
    if settings.crisis_phrases:
        phrases = tuple(p.strip().lower() for p in settings.crisis_phrases.split(";") if p.strip())
    lines = parse_crisis_lines_setting(settings.crisis_lines) if settings.crisis_lines else {}
    return RouterConfig(
        default_window=settings.send_window,
        operator_name=settings.operator_name,
        org_name=settings.org_name,
        help_text=settings.help_text,
        email_address=settings.email_from,
        crisis_phrases=phrases,
        crisis_lines=lines,
    )

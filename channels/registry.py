"""Find channels: entry points of group `onward.channels`, named up front, loaded on first use."""

from __future__ import annotations

import difflib
import importlib.util
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from importlib.metadata import EntryPoint
from typing import Any

from onward.channels.base import Channel, ChannelContext, ChannelFactory
from onward.channels.errors import ChannelUnavailable, NotAChannel, UnknownChannel
from onward.channels.values import Medium

ENTRY_POINT_GROUP = "onward.channels"

# What a built channel must have, read off the protocol so the two never drift apart.
PROTOCOL_MEMBERS: tuple[str, ...] = tuple(Channel.__annotations__) + tuple(
    name for name, value in vars(Channel).items() if callable(value) and not name.startswith("_")
)


@dataclass(frozen=True)
class ChannelInfo:
    """A channel as ``onward channels list`` shows it, read from its class without building it.

    ``problem`` is ``None`` when the channel can be built, else one line saying why not and,
    when the entry point names its extra, the ``pip install`` command that fixes it.
    """

    name: str
    source: str
    media: tuple[Medium, ...] = ()
    requires: tuple[str, ...] = ()
    max_body: int | None = None
    rate_per_sec: float | None = None
    problem: str | None = None

    @property
    def available(self) -> bool:
        return self.problem is None


class ChannelRegistry:
    """Channel names from installed distributions plus any registered in process.

    Loading the same registry's channel twice for one medium returns the same instance, so one
    registry belongs to one set of settings (the engine builds it once at start-up).
    """

    def __init__(self, entry_points: Iterable[EntryPoint] | None = None) -> None:
        if entry_points is None:
            entry_points = metadata.entry_points(group=ENTRY_POINT_GROUP)
        self._entry_points: dict[str, EntryPoint] = {}
        for ep in entry_points:
            # Two distributions claiming one name: the first on sys.path wins, like imports do.
            self._entry_points.setdefault(ep.name, ep)
        self._factories: dict[str, Any] = {}
        self._registered: set[str] = set()
        self._instances: dict[tuple[str, Medium | None], Channel] = {}
        self._lock = threading.RLock()

    def names(self) -> list[str]:
        """Every channel name known, sorted; nothing is imported to list them."""
        return sorted(self._entry_points.keys() | self._registered)

    def register(self, name: str, factory: ChannelFactory) -> None:
        """Add or replace a channel in this process only (tests, embedding onward)."""
        with self._lock:
            self._factories[name] = factory
            self._registered.add(name)
            for key in [key for key in self._instances if key[0] == name]:
                del self._instances[key]

    def create(self, name: str, context: ChannelContext) -> Channel:
        """The channel ``name`` built from ``context``, built once per (name, medium)."""
        key = (name, context.medium)
        with self._lock:
            cached = self._instances.get(key)
            if cached is not None:
                return cached
            channel = self._load(name)(context)
            if not isinstance(channel, Channel):
                missing = ", ".join(m for m in PROTOCOL_MEMBERS if not hasattr(channel, m))
                raise NotAChannel(
                    f"channel {name!r} ({self._source(name)}) built a "
                    f"{type(channel).__qualname__}, which lacks: {missing}"
                )
            self._instances[key] = channel
            return channel

    def describe(self, name: str) -> ChannelInfo:
        """What the channel declares, or why it cannot load; builds nothing, sends nothing."""
        source = self._source(name)
        try:
            factory = self._load(name)
        except ChannelUnavailable as exc:
            return ChannelInfo(name=name, source=source, problem=exc.message)
        medium = getattr(factory, "medium", None)
        media = tuple(getattr(factory, "media", None) or ((medium,) if medium else ()))
        requires = tuple(getattr(factory, "requires", ()))
        missing = [module for module in requires if not _importable(module)]
        problem = None
        if missing:
            problem = f"channel {name!r} needs {', '.join(map(repr, missing))}, not installed"
            hint = self._install_hint(name)
            problem += f"; {hint}" if hint else ""
        return ChannelInfo(
            name=name,
            source=source,
            media=media,
            requires=requires,
            max_body=getattr(factory, "max_body", None),
            rate_per_sec=getattr(factory, "rate_per_sec", None),
            problem=problem,
        )

    def _load(self, name: str) -> Any:
        with self._lock:
            if name in self._factories:
                return self._factories[name]
            ep = self._entry_points.get(name)
            if ep is None:
                raise UnknownChannel(self._unknown(name))
            try:
                loaded = ep.load()
            except ImportError as exc:
                # Not cached: installing the missing package fixes it without a restart.
                hint = self._install_hint(name)
                text = f"channel {name!r} cannot load: {exc}" + (f"; {hint}" if hint else "")
                raise ChannelUnavailable(text) from exc
            if not callable(loaded):
                raise NotAChannel(
                    f"channel {name!r} ({ep.value}) is a {type(loaded).__qualname__}, "
                    "not a channel class or factory"
                )
            self._factories[name] = loaded
            return loaded

    def _source(self, name: str) -> str:
        if name in self._registered:
            return "registered in process"
        ep = self._entry_points.get(name)
        if ep is None:
            raise UnknownChannel(self._unknown(name))
        return ep.value

    def _install_hint(self, name: str) -> str | None:
        ep = self._entry_points.get(name)
        if ep is None or not ep.extras:
            return None
        distribution = ep.dist.name if ep.dist is not None else "onward"
        return f"pip install '{distribution}[{','.join(ep.extras)}]'"

    def _unknown(self, name: str) -> str:
        known = self.names()
        text = f"unknown channel {name!r}; known: {', '.join(known) or 'none'}"
        close = difflib.get_close_matches(name, known, n=1)
        return text + (f"; did you mean {close[0]!r}?" if close else "")


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # the parent package of a dotted name is missing
        return False

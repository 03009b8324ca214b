"""The channels this daemon sends and receives through, built once from the settings."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TextIO

from pydantic import SecretStr

from onward.channels import Channel, ChannelContext
from onward.channels.registry import ChannelRegistry
from onward.engine.clock import Clock
from onward.engine.settings import Settings


def channel_settings(settings: Settings) -> dict[str, object]:
    """Settings keyed by their environment variable names; secrets unwrapped here only."""
    values: dict[str, object] = {}
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        values[field.alias or name.upper()] = value
    return values


@dataclass
class ChannelSet(Mapping[str, tuple[str, Channel]]):
    """The one channel map: medium -> (channel name, channel); the web app also finds by name.

    It is a Mapping, so the dispatcher, the owed replies and the web edge all take this value.
    """

    by_medium: dict[str, tuple[str, Channel]]

    def __getitem__(self, medium: str) -> tuple[str, Channel]:
        return self.by_medium[medium]

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_medium)

    def __len__(self) -> int:
        return len(self.by_medium)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        registry: ChannelRegistry | None = None,
        output: TextIO | None = None,
        clock: Clock | None = None,
    ) -> ChannelSet:
        registry = registry or ChannelRegistry()
        values = channel_settings(settings)  # read once for both mediums
        by_medium: dict[str, tuple[str, Channel]] = {}
        for medium, name in (
            ("sms", settings.sms_channel_name),
            ("email", settings.email_channel_name),
        ):
            context = channel_context(settings, medium, output, clock, values)
            by_medium[medium] = (name, registry.create(name, context))
        return cls(by_medium)

    def by_name(self, name: str, medium: str | None = None) -> Channel | None:
        for channel_medium, (channel_name, channel) in self.items():
            if channel_name == name and (medium is None or medium == channel_medium):
                return channel
        return None

    def names(self) -> list[str]:
        return sorted({name for name, _channel in self.values()})


def channel_context(
    settings: Settings,
    medium: str,
    output: TextIO | None = None,
    clock: Clock | None = None,
    values: Mapping[str, object] | None = None,
) -> ChannelContext:
    """What a channel is built with, the same for the daemon and for `onward channels check`."""
    return ChannelContext(
        settings=channel_settings(settings) if values is None else values,
        public_url=settings.public_url,
        output=output,
        medium=medium,  # type: ignore[arg-type]
        clock=clock.now if clock is not None else None,
    )

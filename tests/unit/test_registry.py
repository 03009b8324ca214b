"""The channel registry: names up front, loading on first use, type checks, helpful errors."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from onward.channels import (
    Channel,
    ChannelContext,
    ChannelUnavailable,
    NotAChannel,
    UnknownChannel,
)
from onward.channels.console import ConsoleChannel
from onward.channels.registry import ENTRY_POINT_GROUP, PROTOCOL_MEMBERS, ChannelRegistry

PIGEON = """
    from onward.channels.console import ConsoleChannel

    class PigeonChannel(ConsoleChannel):
        name = "pigeon"
        medium = "sms"
        media = ()
        requires = ("onward_pigeon_sdk_that_is_not_installed",)
"""
NEEDS_SDK = """
    import onward_pigeon_sdk_that_is_not_installed

    class Channel:
        pass
"""
HALF_A_CHANNEL = """
    class HalfChannel:
        name = "half"
        medium = "sms"

        def __init__(self, context):
            self.context = context

        def send(self, message):
            raise NotImplementedError
"""
NOT_CALLABLE = """
    CHANNEL = "console"
"""

ModuleWriter = Callable[[str, str], None]


@pytest.fixture
def write_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleWriter]:
    """Writes plug-in modules to an importable folder, and forgets them afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    written: list[str] = []

    def write(name: str, source: str) -> None:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        written.append(name)

    yield write
    for name in written:
        sys.modules.pop(name, None)


def entry(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


def test_installed_entry_points_include_the_console() -> None:
    registry = ChannelRegistry()
    assert "console" in registry.names()
    channel = registry.create("console", ChannelContext(medium="email"))
    assert isinstance(channel, ConsoleChannel) and channel.medium == "email"


def test_names_are_read_without_importing_anything(write_module: ModuleWriter) -> None:
    write_module("reg_lazy_needs_sdk", NEEDS_SDK)
    registry = ChannelRegistry([entry("broken", "reg_lazy_needs_sdk:Channel"), entry("b", "x:Y")])
    assert registry.names() == ["b", "broken"]
    assert "reg_lazy_needs_sdk" not in sys.modules


def test_a_channel_whose_import_fails_errors_only_when_used(write_module: ModuleWriter) -> None:
    write_module("reg_fails_on_use", NEEDS_SDK)
    registry = ChannelRegistry(
        [
            entry("console", "onward.channels.console:ConsoleChannel"),
            entry("broken", "reg_fails_on_use:Channel [pigeon]"),
        ]
    )
    assert isinstance(registry.create("console", ChannelContext()), Channel)
    with pytest.raises(ChannelUnavailable) as caught:
        registry.create("broken", ChannelContext())
    assert str(caught.value) == (
        "channel 'broken' cannot load: No module named 'onward_pigeon_sdk_that_is_not_installed'; "
        "pip install 'onward[pigeon]'"
    )
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_describe_explains_a_missing_sdk_without_raising(write_module: ModuleWriter) -> None:
    write_module("reg_describe_broken", NEEDS_SDK)
    registry = ChannelRegistry([entry("broken", "reg_describe_broken:Channel [pigeon]")])
    info = registry.describe("broken")
    assert not info.available
    assert info.source == "reg_describe_broken:Channel [pigeon]"
    assert info.problem is not None and info.problem.endswith("pip install 'onward[pigeon]'")


def test_describe_reads_the_declared_metadata() -> None:
    info = ChannelRegistry().describe("console")
    assert info.available
    assert info.source == "onward.channels.console:ConsoleChannel"
    assert info.media == ("sms", "email")
    assert info.requires == ()
    assert info.max_body == 64 * 1024
    assert info.rate_per_sec == 0.0  # no provider's pace to keep


def test_describe_finds_declared_requirements_missing(write_module: ModuleWriter) -> None:
    write_module("reg_pigeon", PIGEON)
    registry = ChannelRegistry([entry("pigeon", "reg_pigeon:PigeonChannel [pigeon]")])
    info = registry.describe("pigeon")
    assert info.media == ("sms",)
    assert info.problem == (
        "channel 'pigeon' needs 'onward_pigeon_sdk_that_is_not_installed', not installed; "
        "pip install 'onward[pigeon]'"
    )


def test_unknown_name_lists_the_known_ones() -> None:
    registry = ChannelRegistry([entry("console", "a:B"), entry("pigeon", "c:D")])
    with pytest.raises(LookupError) as caught:
        registry.create("pidgeon", ChannelContext())
    assert isinstance(caught.value, UnknownChannel)
    assert str(caught.value) == (
        "unknown channel 'pidgeon'; known: console, pigeon; did you mean 'pigeon'?"
    )
    with pytest.raises(UnknownChannel, match=r"^unknown channel 'fax'; known: console, pigeon$"):
        registry.describe("fax")


def test_an_object_that_is_not_a_factory_is_refused(write_module: ModuleWriter) -> None:
    write_module("reg_not_callable", NOT_CALLABLE)
    registry = ChannelRegistry([entry("odd", "reg_not_callable:CHANNEL")])
    with pytest.raises(TypeError, match="is a str, not a channel class or factory"):
        registry.create("odd", ChannelContext())


def test_a_factory_building_something_else_is_refused(write_module: ModuleWriter) -> None:
    write_module("reg_half", HALF_A_CHANNEL)
    registry = ChannelRegistry([entry("half", "reg_half:HalfChannel")])
    with pytest.raises(NotAChannel) as caught:
        registry.create("half", ChannelContext())
    assert isinstance(caught.value, TypeError)
    assert str(caught.value) == (
        "channel 'half' (reg_half:HalfChannel) built a HalfChannel, which lacks: "
        "max_body, rate_per_sec, requires, parse_inbound, parse_status, reply_response, check"
    )


def test_protocol_members_are_read_off_the_protocol() -> None:
    assert set(PROTOCOL_MEMBERS) == {
        "name",
        "medium",
        "max_body",
        "rate_per_sec",
        "requires",
        "send",
        "parse_inbound",
        "parse_status",
        "reply_response",
        "check",
    }


def test_instances_are_built_once_per_name_and_medium() -> None:
    built: list[ChannelContext] = []

    def factory(context: ChannelContext) -> Channel:
        built.append(context)
        return ConsoleChannel(context)

    registry = ChannelRegistry([])
    registry.register("console", factory)
    sms = registry.create("console", ChannelContext(medium="sms"))
    assert registry.create("console", ChannelContext(medium="sms")) is sms
    email = registry.create("console", ChannelContext(medium="email"))
    assert email is not sms and email.medium == "email"
    assert len(built) == 2


def test_register_replaces_an_entry_point_and_its_built_instances() -> None:
    registry = ChannelRegistry([entry("console", "onward.channels.console:ConsoleChannel")])
    before = registry.create("console", ChannelContext())
    replacement = ConsoleChannel(ChannelContext())
    registry.register("console", lambda context: replacement)
    assert registry.create("console", ChannelContext()) is replacement is not before
    assert registry.names() == ["console"]
    assert registry.describe("console").source == "registered in process"

"""`onward channels`: which channel carries each medium, how it is set up, and whether it works."""

from __future__ import annotations

from typing import Any, get_args

import typer
from pydantic import SecretStr
from pydantic.fields import FieldInfo
from rich.markup import escape

from onward.channels import ChannelError
from onward.channels.registry import ChannelRegistry
from onward.engine.channel_set import channel_context
from onward.engine.cli.output import print_json, print_table, stdout
from onward.engine.cli.state import state
from onward.engine.clock import SystemClock
from onward.engine.errors import OnwardError
from onward.engine.settings import Settings

app = typer.Typer(help="Channels: the providers that carry SMS and email.", no_args_is_help=True)

# The settings each shipped channel reads; a third-party channel's own are not known here.
CHANNEL_SETTINGS: dict[str, tuple[str, ...]] = {
    "console": (),
    "twilio": (
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "ONWARD_TWILIO_FROM",
        "ONWARD_TWILIO_MESSAGING_SERVICE_SID",
        "ONWARD_TWILIO_API_BASE",
        "ONWARD_PUBLIC_URL",
    ),
    "sendgrid": (
        "SENDGRID_API_KEY",
        "ONWARD_EMAIL_FROM",
        "ONWARD_SENDGRID_API_BASE",
        "ONWARD_SENDGRID_EVENT_PUBLIC_KEY",
        "ONWARD_INBOUND_EMAIL_USER",
        "ONWARD_INBOUND_EMAIL_PASSWORD",
        "ONWARD_PUBLIC_URL",
    ),
    "smtp": ("ONWARD_SMTP_URL", "ONWARD_EMAIL_FROM"),
}


def _is_secret(field: FieldInfo) -> bool:
    return field.annotation is SecretStr or SecretStr in get_args(field.annotation)


ALIASES = {field.alias or name.upper(): name for name, field in Settings.model_fields.items()}
SECRETS = frozenset(
    alias for alias, name in ALIASES.items() if _is_secret(Settings.model_fields[name])
)


def shown_settings(settings: Settings, names: tuple[str, ...]) -> dict[str, str | None]:
    """The named settings as an operator may see them: a secret is only "set" or "unset"."""
    shown: dict[str, str | None] = {}
    for alias in names:
        value = getattr(settings, ALIASES[alias])
        if alias in SECRETS:
            # Not even a few characters: a prefix or suffix of a key still narrows it.
            secret = value.get_secret_value() if isinstance(value, SecretStr) else value
            shown[alias] = "set" if secret else "unset"
        else:
            shown[alias] = None if value is None else str(value)
    return shown


def channel_rows(settings: Settings, registry: ChannelRegistry) -> list[dict[str, Any]]:
    rows = []
    for medium, name in (
        ("sms", settings.sms_channel_name),
        ("email", settings.email_channel_name),
    ):
        try:
            info = registry.describe(name)
            source, media, problem = info.source, list(info.media), info.problem
            max_body, rate = info.max_body, info.rate_per_sec
        except ChannelError as exc:  # an unknown name: say so rather than fail the listing
            source, media, problem, max_body, rate = None, [], exc.message, None, None
        rows.append(
            {
                "medium": medium,
                "channel": name,
                "source": source,
                "media": media,
                "available": problem is None,
                "problem": problem,
                "max_body": max_body,
                "rate_per_sec": rate,
                "settings": shown_settings(settings, CHANNEL_SETTINGS.get(name, ())),
            }
        )
    return rows


def _scrub(text: str, settings: Settings) -> str:
    """A provider's error text with any secret value cut out, in case an SDK echoes one."""
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr) and value.get_secret_value():
            text = text.replace(value.get_secret_value(), "****")
    return text


def check_channel(settings: Settings, registry: ChannelRegistry, medium: str, name: str) -> str:
    """Build the medium's channel as the daemon would and ask its provider; raise on failure."""
    context = channel_context(settings, medium, clock=SystemClock())
    return str(registry.create(name, context).check())


@app.command("list")
def list_command(json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The channel of each medium, what it declares, and its settings (secrets only set/unset)."""
    settings = state.runtime().settings
    registry = ChannelRegistry()
    rows = channel_rows(settings, registry)
    if json:
        print_json(rows)
        return
    table = []
    for row in rows:
        pairs = [f"{key}={value or 'unset'}" for key, value in row["settings"].items()]
        status = "ok" if row["available"] else row["problem"]
        table.append({**row, "status": status, "settings": " ".join(pairs) or "-"})
    print_table(table, ["medium", "channel", "source", "status", "settings"], "channels")
    stdout.print(f"installed channels: {', '.join(registry.names()) or 'none'}", highlight=False)


@app.command("check")
def check_command(json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Ask each configured channel's provider whether the credentials work (exit 1 if not)."""
    settings = state.runtime().settings
    registry = ChannelRegistry()
    results: list[dict[str, Any]] = []
    for medium, name in (
        ("sms", settings.sms_channel_name),
        ("email", settings.email_channel_name),
    ):
        try:
            detail, ok = check_channel(settings, registry, medium, name), True
        except ChannelError as exc:
            detail, ok = exc.message, False
        except Exception as exc:  # an SDK error a channel did not map is still a failed check
            detail, ok = f"{type(exc).__name__}: {exc}", False
        results.append(
            {"medium": medium, "channel": name, "ok": ok, "detail": _scrub(detail, settings)}
        )
    if json:
        print_json(results)
    else:
        for result in results:
            mark = "[green]ok[/green]" if result["ok"] else "[red]failed[/red]"
            detail = "" if result["detail"] == "ok" else f": {escape(result['detail'])}"
            stdout.print(
                f"{result['medium']:<5} {result['channel']}: {mark}{detail}", highlight=False
            )
    failed = [f"{r['medium']} ({r['channel']})" for r in results if not r["ok"]]
    if failed:
        raise OnwardError(f"channel check failed: {', '.join(failed)}")

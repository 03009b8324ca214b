"""`onward serve` and `onward simulate`: run the daemon, and text it through the console channel."""

from __future__ import annotations

import uuid

import httpx
import typer

from onward.engine.cli.state import state
from onward.engine.errors import OnwardError, UsageError

simulate_app = typer.Typer(
    help="Text the running daemon through its console inbound.", no_args_is_help=True
)


def serve_command() -> None:
    """Start the daemon: webhooks, dispatcher and housekeeping in one process."""
    from onward.engine.daemon import serve

    serve(state.runtime())


def _post(medium: str, sender: str, text: str, to: str) -> None:
    settings = state.runtime().settings
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    url = f"http://{host}:{settings.port}/webhooks/console/{medium}"
    payload = {"from": sender, "to": to, "body": text}
    # One id per invocation: if the daemon took it but the answer was lost, a retry is a duplicate.
    headers = {"X-Console-Message-Id": f"sim-{uuid.uuid4()}"}
    try:
        response = httpx.post(url, json=payload, headers=headers, timeout=15.0)
    except httpx.ConnectError:
        raise OnwardError(
            f"no onward daemon answers at {url}; start one with `make run` or `onward serve`"
        ) from None
    except httpx.HTTPError as exc:
        raise OnwardError(f"talking to {url} failed: {exc}") from None
    if response.status_code >= 400:
        try:
            detail = response.json().get("error", response.text)
        except ValueError:
            detail = response.text
        raise (UsageError if response.status_code in (400, 413, 422) else OnwardError)(
            f"the daemon refused the message ({response.status_code}): {detail}"
        )
    reply = response.json().get("reply")
    if reply:
        typer.echo(reply)


@simulate_app.command("sms")
def simulate_sms(
    text: str = typer.Argument(..., help="What the person texts."),
    sender: str = typer.Option(..., "--from", help="The person's phone number."),
    to: str = typer.Option("+15005550006", "--to", help="The number they text."),
) -> None:
    """Send TEXT as an SMS from --from and print onward's immediate reply."""
    _post("sms", sender, text, to)


@simulate_app.command("email")
def simulate_email(
    text: str = typer.Argument(..., help="What the person writes (the first line is the subject)."),
    sender: str = typer.Option(..., "--from", help="The person's email address."),
    to: str = typer.Option("onward@localhost", "--to", help="The address they write to."),
) -> None:
    """Send TEXT as an email from --from and print onward's immediate reply."""
    _post("email", sender, text, to)

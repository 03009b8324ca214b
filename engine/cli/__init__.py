"""The `onward` command: Typer wiring, global options, errors as one line and an exit code."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import typer

from onward.engine import __version__
from onward.engine.cli import audit as audit_cli
from onward.engine.cli import channels as channels_cli
from onward.engine.cli import compliance as compliance_cli
from onward.engine.cli import consent as consent_cli
from onward.engine.cli import db as db_cli
from onward.engine.cli import deliveries as deliveries_cli
from onward.engine.cli import demo as demo_cli
from onward.engine.cli import journal as journal_cli
from onward.engine.cli import people as people_cli
from onward.engine.cli import plan_preview as plan_preview_cli
from onward.engine.cli import plans as plans_cli
from onward.engine.cli import records as records_cli
from onward.engine.cli import runs as runs_cli
from onward.engine.cli import serve as serve_cli
from onward.engine.cli import staff as staff_cli
from onward.engine.cli import stats as stats_cli
from onward.engine.cli.output import error_line
from onward.engine.cli.state import state
from onward.engine.errors import OnwardError

app = typer.Typer(
    name="onward",
    help="onward: a kind, timed recovery plan after a job rejection, by SMS or email.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(db_cli.app, name="db")
app.add_typer(plans_cli.app, name="plans")
plans_cli.app.command("preview")(plan_preview_cli.preview_command)
app.add_typer(people_cli.app, name="people")
app.add_typer(runs_cli.app, name="runs")
app.add_typer(deliveries_cli.app, name="deliveries")
app.add_typer(channels_cli.app, name="channels")
app.add_typer(journal_cli.app, name="journal")
app.add_typer(consent_cli.app, name="consent")
app.add_typer(compliance_cli.app, name="compliance")
people_cli.app.command("export")(records_cli.export_command)
people_cli.app.command("import")(records_cli.import_command)
app.add_typer(stats_cli.app, name="stats")
app.add_typer(serve_cli.simulate_app, name="simulate")
app.add_typer(staff_cli.app, name="staff")
app.add_typer(audit_cli.app, name="audit")
app.command("serve")(serve_cli.serve_command)
app.command("demo")(demo_cli.demo_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"onward {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback when a command fails."),
) -> None:
    state.debug = debug


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point: exit 0 on success, 1 on failure, 2 on bad usage."""
    command = typer.main.get_command(app)
    args = list(sys.argv[1:] if argv is None else argv)
    state.debug = "--debug" in args
    try:
        # Without standalone mode a command's typer.Exit(n) comes back as the return value.
        returned = command.main(args=args, prog_name="onward", standalone_mode=False)
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", 0))
    except typer.Abort:
        error_line("aborted")
        return 1
    except typer.TyperException as exc:  # Typer's usage errors: bad option, missing argument
        format_message = getattr(exc, "format_message", None)
        message = format_message() if format_message else str(exc)
        if message.strip():  # a bare group (`onward people`) has printed its help already
            error_line(message)
        return int(getattr(exc, "exit_code", 2))
    except OnwardError as exc:
        if state.debug:
            traceback.print_exc()
        error_line(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # anything unforeseen: still one line unless --debug
        if state.debug:
            traceback.print_exc()
        error_line(f"{type(exc).__name__}: {exc}")
        return 1
    return returned if isinstance(returned, int) else 0


def run() -> None:
    sys.exit(main())

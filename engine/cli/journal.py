"""`onward journal`: the key that seals people's words at rest, made and rotated."""

from __future__ import annotations

import typer

from onward.engine.cli.output import stdout
from onward.engine.cli.state import state
from onward.engine.storage import journal_keys
from onward.engine.storage.sealing import new_key

app = typer.Typer(help="The key that seals journals and messages at rest.", no_args_is_help=True)


@app.command("new-key")
def new_key_command() -> None:
    """Print a fresh key for ONWARD_JOURNAL_KEY (nothing is stored or changed)."""
    typer.echo(new_key())


@app.command("rotate-key")
def rotate_key_command() -> None:
    """Seal every stored word again with a new key; the old key is dropped once unused.

    With ONWARD_JOURNAL_KEY set, put the new key first (`onward journal new-key`), keep the
    old one after a comma, run this, then remove the old one."""
    runtime = state.ready()
    rotation = journal_keys.rotate(runtime.engine)
    stdout.print(
        f"sealed {rotation.resealed} stored texts with key {rotation.key_id} "
        f"(kept in {rotation.source})",
        highlight=False,
    )

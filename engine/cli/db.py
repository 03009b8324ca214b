"""`onward db`: apply the packaged migrations."""

from __future__ import annotations

import typer

from onward.engine.cli.output import stdout
from onward.engine.cli.state import state
from onward.engine.plan_store import install_shipped_plans
from onward.engine.storage.migrate import current_revision, head_revision, migration_lock, upgrade

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Bring the database schema up to date (safe to run again) and install the shipped plans."""
    runtime = state.runtime()
    with migration_lock(runtime.engine):
        before = current_revision(runtime.engine)
        upgrade(runtime.engine)
        with runtime.sessions.begin() as session:
            added = install_shipped_plans(session, runtime.clock)
    after = head_revision()
    if before == after:
        stdout.print(f"database already at {after}", highlight=False)
    else:
        stdout.print(f"database upgraded from {before or 'empty'} to {after}", highlight=False)
    for version in added:
        stdout.print(f"installed plan {version.name} v{version.version}", highlight=False)

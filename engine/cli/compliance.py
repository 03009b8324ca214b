"""`onward compliance pack`: the carrier campaign registration material, from what onward sends."""

from __future__ import annotations

import typer

from onward.engine.cli.output import print_json, stdout, warning_line
from onward.engine.cli.state import state
from onward.engine.plan_store import default_plan_name, parsed, require_latest
from onward.engine.records.compliance import PackInputs, build, to_markdown
from onward.plans.keywords import REJECT_KEYWORDS

app = typer.Typer(help="Material for carrier registration and audits.", no_args_is_help=True)


@app.command("pack")
def pack_command(
    plan: str | None = typer.Option(None, "--plan", help="The plan (default: the default one)."),
    json: bool = typer.Option(False, "--json", help="Print JSON instead of Markdown."),
) -> None:
    """A Markdown document to paste into a 10DLC campaign registration: description, sample
    messages, opt-in flow, HELP and STOP replies, frequency and the privacy policy."""
    runtime = state.ready()
    settings = runtime.settings
    with runtime.sessions() as session:
        name = plan or default_plan_name(session)
        chosen = parsed(require_latest(session, name))
    keywords = tuple(dict.fromkeys((*REJECT_KEYWORDS, *chosen.keywords)))
    inputs = PackInputs(
        program=settings.org_name,
        help_text=settings.help_text,
        default_window=settings.send_window,
        privacy_policy_url=settings.privacy_policy_url,
        keywords=keywords,
    )
    pack = build(chosen, inputs, runtime.clock.now())
    if json:
        print_json(pack)
    else:
        stdout.out(to_markdown(pack), highlight=False)
    if pack["missing"]:
        warning_line("ONWARD_PRIVACY_POLICY_URL is not set: carriers require a privacy policy")

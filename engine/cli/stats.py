"""`onward stats`: the numbers (tables or JSON) and their chart; `onward stats experiment`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer

from onward.engine.cli.output import print_json, print_table, stdout
from onward.engine.cli.state import state
from onward.engine.errors import UsageError
from onward.engine.numbers.stats import STEP_FIGURES, stats_report
from onward.engine.numbers.stats_data import Scope
from onward.engine.numbers.stats_experiment import experiment_report
from onward.engine.numbers.stats_math import shown

app = typer.Typer(
    help="Numbers: what followed each step, and how soon people applied and were hired.",
    invoke_without_command=True,
)
CHART_FORMATS = {".png": "png", ".svg": "svg"}


@app.callback()
def stats_command(
    ctx: typer.Context,
    plan: str | None = typer.Option(None, "--plan", help="Only this plan's runs."),
    since: str | None = typer.Option(
        None, "--since", help="Only rejections reported from this date (YYYY-MM-DD, UTC) on."
    ),
    json: bool = typer.Option(False, "--json", help="Print JSON."),
    chart: Path | None = typer.Option(
        None, "--chart", help="Also draw the funnel and the curves into FILE.png or FILE.svg."
    ),
) -> None:
    """Per plan version and step, and per cohort week; counts under 5 people show as <5."""
    if ctx.invoked_subcommand is not None:
        return
    fmt = _chart_format(chart) if chart is not None else None
    runtime = state.ready()
    with runtime.sessions() as session:
        report = stats_report(session, runtime.clock.now(), Scope(plan, _since(since)))
    if chart is not None and fmt is not None:
        from onward.engine.numbers.stats_charts import chart_bytes

        chart.write_bytes(chart_bytes(report, fmt))  # type: ignore[arg-type]
    if json:
        print_json(report)
        return
    _print_report(report)
    if chart is not None:
        stdout.print(f"chart written to {chart}")


@app.command("experiment")
def experiment_command(
    plan: str = typer.Argument(..., metavar="PLAN"),
    json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Compare the arms of a plan's experiment, and say whether there are enough people."""
    runtime = state.ready()
    with runtime.sessions() as session:
        report = experiment_report(session, plan, runtime.clock.now())
    if json:
        print_json(report)
        return
    rows = [
        {
            "arm": arm["arm"],
            "people": shown(arm["people"]),
            "reply rate": _rate(arm["reply_rate"], arm["reply_rate_ci"]),
            "opt-out rate": _rate(arm["opt_out_rate"], arm["opt_out_rate_ci"]),
            "median days to APPLIED": arm["median_days_to_first_applied"],
            "p (reply, vs reference)": (arm["vs_reference"] or {}).get("reply_p"),
            "p (log-rank APPLIED)": (arm["vs_reference"] or {}).get("applied_logrank_p"),
        }
        for arm in report["arms"]
    ]
    print_table(rows, list(rows[0]) if rows else ["arm"], f"experiment: {plan}")
    stdout.print(report["message"])


def _print_report(report: dict[str, Any]) -> None:
    stdout.print(f"people: {shown(report['people'])}")
    columns = (["plan"] if report["plan"] is None else []) + ["step", *STEP_FIGURES]
    steps = [
        {k: (shown(v) if k in STEP_FIGURES else v) for k, v in row.items()}
        for row in report["steps"]
    ]
    print_table(steps, columns, "steps (followed within 48 h)")
    outcomes = report["outcomes"]
    print_table(
        [
            {"figure": key, "value": shown(value) if _is_count(key) else value}
            for key, value in outcomes.items()
        ],
        ["figure", "value"],
        "outcomes",
    )
    cohorts = [
        {
            "week": c["week"],
            "people": shown(c["people"]),
            "days to APPLIED": _median(c["applied"]),
            "days to INTERVIEW": _median(c["interview"]),
            "days to HIRED": _median(c["hired"]),
            "hired by 30/60/90 d": " / ".join(
                _share(c["hired"][f"by_{d}_days"]) for d in (30, 60, 90)
            ),
        }
        for c in report["cohorts"]
    ]
    print_table(cohorts, list(cohorts[0]) if cohorts else ["week"], "cohorts (median [95% CI])")


def _is_count(key: str) -> bool:
    return key in ("applied", "applications", "interview", "offer", "hired")


def _median(summary: dict[str, Any]) -> str:
    if summary["median_days"] is None:
        return "-"
    lo, hi = summary["median_ci"] or (None, None)
    return f"{summary['median_days']:g} [{_num(lo)}, {_num(hi)}]"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _rate(value: float | None, ci: list[float] | None) -> str:
    if value is None or ci is None:
        return "<5"
    return f"{value:.0%} [{ci[0]:.0%}, {ci[1]:.0%}]"


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--since {text!r} is not a date; use YYYY-MM-DD") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _chart_format(path: Path) -> str:
    fmt = CHART_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(f"--chart {path}: name a .png or .svg file")
    return fmt

"""The charts of `onward stats`: the step funnel and the Kaplan-Meier curves, drawn only from
the report's published (already suppressed) figures with matplotlib's non-interactive backend.
"""

from __future__ import annotations

import io
from typing import Any, Literal

import matplotlib

matplotlib.use("Agg")  # no display, no GUI toolkit: safe in a daemon and in CI

from matplotlib.figure import Figure

ChartFormat = Literal["png", "svg"]
FUNNEL_BARS = (("sent", "sent"), ("delivered", "delivered"), ("replied", "replied in 48 h"))
LINE_STYLES = ("-", "--", ":", "-.")
CURVES = (("applied", "first APPLIED"), ("interview", "first INTERVIEW"), ("hired", "HIRED"))


def chart_bytes(report: dict[str, Any], fmt: ChartFormat = "png") -> bytes:
    """Both charts side by side in one image."""
    # A Figure of its own, not pyplot: no global state shared between threads or requests.
    figure = Figure(figsize=(13, 5), layout="constrained")
    funnel, curves = figure.subplots(1, 2)
    _funnel(funnel, report)
    _curves(curves, report)
    buffer = io.BytesIO()
    # No timestamps in the file: the same figures give the same bytes.
    metadata = {"Software": None} if fmt == "png" else {"Date": None}
    with matplotlib.rc_context({"svg.hashsalt": "onward"}):  # stable ids inside an SVG
        figure.savefig(buffer, format=fmt, dpi=100, metadata=metadata)
    return buffer.getvalue()


def _funnel(axes: Any, report: dict[str, Any]) -> None:
    rows = report["steps"]
    labels = [f"{r['plan']}/{r['step']}" if "plan" in r else r["step"] for r in rows]
    width = 0.8 / len(FUNNEL_BARS)
    for index, (key, name) in enumerate(FUNNEL_BARS):
        xs = [i + (index - 1) * width for i in range(len(rows))]
        heights = [r[key] or 0 for r in rows]  # a suppressed count ("<5") is not drawn
        axes.bar(xs, heights, width, label=name)
    axes.set_xticks(range(len(rows)), labels, rotation=45, ha="right", fontsize=8)
    axes.set_ylabel("people")
    axes.set_title("Each step: sent, delivered, replied (counts under 5 not drawn)")
    axes.margins(y=0.2)  # room for the legend above the tallest bar
    axes.legend(fontsize=8, loc="upper center", ncols=len(FUNNEL_BARS))


def _curves(axes: Any, report: dict[str, Any]) -> None:
    drawn = False
    for index, cohort in enumerate(report["cohorts"]):
        style = LINE_STYLES[index % len(LINE_STYLES)]  # one style a cohort, one colour an event
        for colour, (key, name) in enumerate(CURVES):
            points = cohort[key]["curve"]
            if not points:
                continue  # fewer than 5 people or events: no curve
            days = [0.0] + [p[0] for p in points]
            shares = [0.0] + [p[1] for p in points]
            axes.step(
                days,
                shares,
                where="post",
                color=f"C{colour}",
                linestyle=style,
                label=f"week of {cohort['week']}: {name}",
            )
            drawn = True
    axes.set_xlabel("days since the rejection")
    axes.set_ylabel("share of people (Kaplan-Meier)")
    axes.set_ylim(0, 1)
    axes.set_title("Time to first APPLIED, first INTERVIEW and HIRED, by cohort week")
    if drawn:
        axes.legend(fontsize=7)
    else:
        axes.text(0.5, 0.5, "too few people to draw", ha="center", transform=axes.transAxes)

"""Medians of the repetitions; the goals of issue 8 as checks on them, each a ratio against a
baseline of the same run; what the figures mean for an operator; the table and README text."""

from __future__ import annotations

from typing import Any

from common import median

PLAN_STEPS = 7  # messages a rejection brings in the standard plan (reminders aside)
DAY = 86_400


def summarise(results: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per benchmark: the median of each numeric figure, the worst of the counts that must be
    zero, and every repetition's figures."""
    summary: dict[str, Any] = {}
    must_be_zero = ("duplicates", "drain_duplicates", "non_2xx", "refused", "socket_errors")
    for name, runs in results.items():
        medians: dict[str, Any] = {"repetitions": len(runs)}
        for key, value in runs[0].items():
            values = [run[key] for run in runs if isinstance(run.get(key), int | float)]
            if isinstance(value, bool) or not values or len(values) != len(runs):
                continue
            medians[key] = max(values) if key in must_be_zero else median(values)
        for key in ("exactly_once_pct", "drain_exactly_once_pct"):
            if key in medians:
                medians[key] = min(run[key] for run in runs)
        if "query_plans" in runs[0]:
            medians["query_plans"] = runs[0]["query_plans"]
        strip = ("query_plans", "per_process")
        medians["runs"] = [{k: v for k, v in run.items() if k not in strip} for run in runs]
        summary[name] = medians
    return summary


def _get(figures: dict[str, Any], name: str, key: str) -> float | None:
    value = figures.get(name, {}).get(key)
    return float(value) if isinstance(value, int | float) else None


def check(
    name: str, value: float | None, target: float | None, unit: str, at_most: bool = False
) -> dict[str, Any]:
    """One condition: `value` >= `target` (or <= with `at_most`); missing figures fail."""
    passed = value is not None and target is not None
    if passed:
        passed = value <= target if at_most else value >= target  # type: ignore[operator]
    return {
        "name": name,
        "value": None if value is None else round(value, 3),
        "target": None if target is None else round(target, 3),
        "unit": unit,
        "comparison": "<=" if at_most else ">=",
        "pass": bool(passed),
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _times(x: float | None, factor: float) -> float | None:
    return None if x is None else x * factor


def evaluate(f: dict[str, Any]) -> dict[str, Any]:
    def g(name: str, key: str) -> float | None:
        return _get(f, name, key)

    def hook(key: str) -> float | None:
        return _get(f, "onward_webhook", key)

    naive, sqlite = g("naive_none", "run_rate"), g("sqlite_limit", "rate")
    drain = g("onward_drain", "rate")
    serve_small, serve_large = g("serve_drain", "rate_small"), g("serve_drain", "rate_large")

    def _due(size: str) -> str:
        steps = g("serve_drain", f"steps_{size}")
        return f"{steps:,.0f}" if steps else size

    pace = g("onward_pace", "rate")
    pg1, pg4, pg_limit4 = (
        g("onward_pg_1", "rate"),
        g("onward_pg_4", "rate"),
        g("pg_limit", "rate_4"),
    )
    bare_rps = g("bare_webhook", "rps")
    quick_rps = g("quick_webhook", "rps")
    duplicates = [g(n, "duplicates") for n in ("onward_drain", "onward_pg_1", "onward_pg_4")]
    once = [g(n, "exactly_once_pct") for n in ("onward_drain", "onward_pg_1", "onward_pg_4")]
    small, big = g("drain_pending_small", "us_per_step"), g("drain_pending_big", "us_per_step")
    mem_small, mem_big = (
        g("serve_memory_small", "peak_rss_mb"),
        g("serve_memory_big", "peak_rss_mb"),
    )
    punct_missing = _diff(g("punctuality", "steps"), g("punctuality", "sent"))
    checks = {
        "G1": [
            check("drain rate / naive run rate", _ratio(drain, naive), 3.0, "x"),
            check("drain rate / sqlite-limit", _ratio(drain, sqlite), 0.10, "x"),
            check(
                f"onward serve, {_due('small')} due / naive", _ratio(serve_small, naive), 3.0, "x"
            ),
            check(
                f"onward serve, {_due('large')} due / naive", _ratio(serve_large, naive), 3.0, "x"
            ),
            check("onward serve: duplicates", g("serve_drain", "duplicates"), 0, "steps", True),
        ],
        "G2": [
            check("burst delivered exactly once", once[0], 100.0, "%"),
            check("duplicate deliveries", duplicates[0], 0, "steps", at_most=True),
            check("paced send rate (3/s wanted)", pace, 3 * 0.95, "msg/s"),
            check("paced send rate, upper bound", pace, 3 * 1.05, "msg/s", at_most=True),
            check("sends refused by the provider", g("onward_pace", "refused"), 0, "", True),
        ],
        "G3": [
            check("duplicates, 1 and 4 processes", _max(duplicates[1:]), 0, "steps", True),
            check("delivered exactly once", _min(once[1:]), 100.0, "%"),
            check("4 processes / 1 process", _ratio(pg4, pg1), 1.3, "x"),
            check("4 processes / pg-limit (4)", _ratio(pg4, pg_limit4), 0.15, "x"),
        ],
        "G4": [
            check(
                "REJECTED rps / quick-webhook", _ratio(hook("rejected_rps"), quick_rps), 2.0, "x"
            ),
            check("REJECTED rps / bare", _ratio(hook("rejected_rps"), bare_rps), 0.15, "x"),
            check("journal rps / bare", _ratio(hook("journal_rps"), bare_rps), 0.3, "x"),
            check("p99 during the drain", hook("drain_p99_ms"), 250.0, "ms", at_most=True),
            check("non-2xx answers", hook("non_2xx"), 0, "", at_most=True),
            check(
                "drain under load delivered once (not deferred)",
                hook("drain_exactly_once_pct"),
                100.0,
                "%",
            ),
        ],
        "G5": [
            check("peak RSS, 100k minus 1k waiting", _diff(mem_big, mem_small), 10.0, "MB", True),
        ],
        "G6": [check("cost per step, 1M / 10k waiting", _ratio(big, small), 1.5, "x", True)],
        "G7": [
            check("idle daemon: p99 due-to-send delay", g("punctuality", "p99_s"), 1.0, "s", True),
            check("steps never sent", punct_missing, 0, "", at_most=True),
        ],
    }
    goals = {}
    for goal, parts in checks.items():
        head = parts[0]
        goals[goal] = {
            "value": head["value"],
            "target": head["target"],
            "unit": head["unit"],
            "pass": all(part["pass"] for part in parts),
            "checks": parts,
        }
    return goals


def _max(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else max(values)  # type: ignore[type-var]


def _min(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else min(values)  # type: ignore[type-var]


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def operator_view(f: dict[str, Any]) -> dict[str, Any]:
    """The medians as an operator reads them: rejections a day one daemon keeps up with."""
    view: dict[str, Any] = {}
    drain = _get(f, "onward_drain", "rate")
    if drain:
        view["sqlite_dispatch_rejections_per_day"] = int(drain * DAY / PLAN_STEPS)
    pg4 = _get(f, "onward_pg_4", "rate")
    if pg4:
        view["postgres_4_dispatchers_rejections_per_day"] = int(pg4 * DAY / PLAN_STEPS)
    rejected = _get(f, "onward_webhook", "rejected_rps")
    if rejected:
        view["sqlite_webhook_rejections_per_day"] = int(rejected * DAY)
    return view


BASELINE_ROWS = (
    ("naive (grace None)", "naive_none", ("add_rate", "run_rate", "rss_mb")),
    ("naive (grace 1 s)", "naive_default", ("executed", "missed", "missed_pct")),
    ("sqlite-limit", "sqlite_limit", ("rate",)),
    ("pg-limit", "pg_limit", ("rate_1", "rate_4")),
    ("bare-webhook", "bare_webhook", ("rps", "p50_ms", "p99_ms")),
    ("quick-webhook (REJECTED)", "quick_webhook", ("rps", "p50_ms", "p99_ms")),
    ("onward drain (G1)", "onward_drain", ("rate", "exactly_once_pct", "rss_mb")),
    ("onward serve drain (G1)", "serve_drain", ("rate_small", "rate_large", "duplicates")),
    ("onward pace (G2)", "onward_pace", ("rate", "refused", "max_gap_ms")),
    ("onward pg 1 proc (G3)", "onward_pg_1", ("rate", "steps", "duplicates")),
    ("onward pg 4 procs (G3)", "onward_pg_4", ("rate", "steps", "duplicates")),
    ("onward webhook (G4)", "onward_webhook", ("rejected_rps", "rejected_p99_ms", "journal_rps")),
    ("", "onward_webhook", ("journal_p99_ms", "drain_p99_ms", "drain_rate")),
    (
        "",
        "onward_webhook",
        ("drain_exactly_once_pct", "drain_deferred", "drain_sent_by_daemon", "non_2xx"),
    ),
    ("serve memory 1k (G5)", "serve_memory_small", ("pending", "peak_rss_mb")),
    ("serve memory 100k (G5)", "serve_memory_big", ("pending", "peak_rss_mb")),
    ("drain, 10k waiting (G6)", "drain_pending_small", ("us_per_step", "rate")),
    ("drain, 1M waiting (G6)", "drain_pending_big", ("us_per_step", "rate")),
    ("punctuality (G7)", "punctuality", ("p50_s", "p99_s", "max_s")),
)


def print_table(report: dict[str, Any]) -> None:
    figures = report["figures"]
    print("\nFigures (medians)")
    for label, name, keys in BASELINE_ROWS:
        shown = "  ".join(f"{k}={_fmt(figures.get(name, {}).get(k))}" for k in keys)
        print(f"  {label:<26} {shown}")
    print("\nGoals")
    for goal, result in report["goals"].items():
        print(f"  {goal}  {'PASS' if result['pass'] else 'FAIL'}")
        for part in result["checks"]:
            mark = "ok  " if part["pass"] else "FAIL"
            target = f"{part['comparison']} {_fmt(part['target'])}"
            print(
                f"      {mark} {part['name']:<38} {_fmt(part['value']):>10} {target:<12} "
                f"{part['unit']}"
            )
    for name, error in report["errors"].items():
        print(f"  error in {name}: {error}")
    for key, value in report["operator"].items():
        print(f"  {key.replace('_', ' ')}: {value:,}")


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def markdown(report: dict[str, Any]) -> str:
    """The results as bench/README.md shows them: machine, medians, goals, query plans."""
    m, figures = report["machine"], report["figures"]
    lines = [
        f"Measured on {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}, "
        f"SQLite {m['sqlite']}, PostgreSQL {m['postgresql']}, SQLAlchemy {m['sqlalchemy']}. "
        f"Medians of {report['sizes']['reps']} repetitions; the whole run took "
        f"{report['wall_seconds']:.0f} s.",
        "",
        "| benchmark | figures (medians) |",
        "| --- | --- |",
    ]
    for label, name, keys in BASELINE_ROWS:
        shown = ", ".join(f"{k} {_fmt(figures.get(name, {}).get(k))}" for k in keys)
        lines.append(f"| {label} | {shown} |")
    lines += ["", "| goal | check | value | target |", "| --- | --- | --- | --- |"]
    for goal, result in report["goals"].items():
        for n, part in enumerate(result["checks"]):
            verdict = ("**PASS**" if result["pass"] else "**FAIL**") if n == 0 else ""
            mark = "" if part["pass"] else " ✗"
            lines.append(
                f"| {goal if n == 0 else ''} {verdict} | {part['name']}{mark} | "
                f"{_fmt(part['value'])} {part['unit']} | {part['comparison']} "
                f"{_fmt(part['target'])} |"
            )
    plans = figures.get("drain_pending_big", {}).get("query_plans", {})
    if plans:
        lines += ["", "SQLite's plans for the dispatcher's queries, 1,000,000 rows waiting:", ""]
        for statement, plan in plans.items():
            lines += ["```", statement, *(f"  {step}" for step in plan), "```"]
    return "\n".join(lines)

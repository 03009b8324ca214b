"""onward's own Prometheus metrics, on a registry of its own (served at /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

INBOUND = Counter(
    "onward_inbound_messages",
    "Inbound messages by channel and command (duplicates counted apart).",
    ["channel", "command"],
    registry=REGISTRY,
)
INBOUND_DUPLICATES = Counter(
    "onward_inbound_duplicates",
    "Provider retries of a message already stored.",
    ["channel"],
    registry=REGISTRY,
)
INBOUND_FAILURES = Counter(
    "onward_inbound_failures",
    "Inbound messages whose handling failed (kept for housekeeping to retry).",
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "onward_deliveries",
    "Delivery outcomes by channel and status.",
    ["channel", "status"],
    registry=REGISTRY,
)
SEND_ERRORS = Counter(
    "onward_send_errors",
    "Sends a provider refused, by channel and the provider's error code (or the error's kind).",
    ["channel", "code"],
    registry=REGISTRY,
)
STEPS = Counter(
    "onward_steps",
    "Steps finished by the dispatcher, by outcome (sent, missed, skipped, failed, retried).",
    ["outcome"],
    registry=REGISTRY,
)
DISPATCH_LAG = Histogram(
    "onward_dispatch_lag_seconds",
    "Seconds between a step's due time and its send.",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600, 6 * 3600),
    registry=REGISTRY,
)
TICK_DURATION = Histogram(
    "onward_tick_duration_seconds",
    "Seconds one dispatcher tick took.",
    buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30),
    registry=REGISTRY,
)
CRISIS_ALERTS = Counter(
    "onward_crisis_alerts",
    "Replies that matched a crisis phrase: the plan was paused and a person should check in.",
    registry=REGISTRY,
)
SCHEMA_CURRENT = Gauge(
    "onward_database_ready",
    "1 when the database answered the last readiness check with a current schema.",
    registry=REGISTRY,
)
RETENTION_ERASED = Counter(
    "onward_retention_erased",
    "People erased by retention (no activity for ONWARD_RETENTION_DAYS), as FORGET erases.",
    registry=REGISTRY,
)

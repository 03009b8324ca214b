"""Plans: the YAML format, its schema, loader, validator and templates."""

from __future__ import annotations

from onward.plans.loader import (
    PlanError,
    PlanIssue,
    load_plan,
    load_plan_file,
    load_shipped_plan,
    shipped_plan_names,
    shipped_plan_source,
)
from onward.plans.schema import (
    DEFAULT_KEYWORDS,
    PROMPT_KINDS,
    RESERVED_WORDS,
    STEP_KINDS,
    Plan,
    Reminder,
    Step,
    StepKind,
)
from onward.plans.sms import SmsLength, sms_segments
from onward.plans.templates import (
    ALLOWED_VARIABLES,
    TemplateRenderError,
    check_template,
    render,
    sample_context,
    template_context,
)
from onward.plans.validate import ValidationReport, validate_plan
from onward.plans.values import DEFAULT_WINDOW, Due, SendWindow, parse_due, parse_window

__all__ = [
    "ALLOWED_VARIABLES",
    "DEFAULT_KEYWORDS",
    "DEFAULT_WINDOW",
    "PROMPT_KINDS",
    "RESERVED_WORDS",
    "STEP_KINDS",
    "Due",
    "Plan",
    "PlanError",
    "PlanIssue",
    "Reminder",
    "SendWindow",
    "SmsLength",
    "Step",
    "StepKind",
    "TemplateRenderError",
    "ValidationReport",
    "check_template",
    "load_plan",
    "load_plan_file",
    "load_shipped_plan",
    "parse_due",
    "parse_window",
    "render",
    "sample_context",
    "shipped_plan_names",
    "shipped_plan_source",
    "sms_segments",
    "template_context",
    "validate_plan",
]

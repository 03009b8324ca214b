"""Plans: the YAML format, its schema, loader, validator and templates."""

from __future__ import annotations

from onward.plans.experiments import (
    PLAN_ARM,
    Arms,
    arm_text,
    arms_of,
    assign_arm,
    skipped_for,
)
from onward.plans.issues import PlanError, PlanIssue
from onward.plans.keywords import RESERVED_WORDS
from onward.plans.loader import (
    load_plan,
    load_plan_file,
    load_shipped_plan,
    shipped_plan_names,
    shipped_plan_source,
)
from onward.plans.schema import (
    CONTROL_ARM,
    DEFAULT_KEYWORDS,
    PROMPT_KINDS,
    STEP_KINDS,
    Holdout,
    Plan,
    Reminder,
    Step,
    StepKind,
    Variant,
)
from onward.plans.sms import (
    FOOTER_ROOM,
    FOOTER_ROOMS,
    SmsLength,
    sms_segments,
    sms_segments_with_footer,
)
from onward.plans.templates import (
    ALLOWED_VARIABLES,
    TemplateRenderError,
    check_template,
    render,
    sample_context,
    template_context,
)
from onward.plans.translations import LANGUAGES, SOURCE_LANGUAGE
from onward.plans.validate import ValidationReport, validate_plan
from onward.plans.values import DEFAULT_WINDOW, Due, SendWindow, parse_due, parse_window

__all__ = [
    "ALLOWED_VARIABLES",
    "CONTROL_ARM",
    "DEFAULT_KEYWORDS",
    "DEFAULT_WINDOW",
    "FOOTER_ROOM",
    "FOOTER_ROOMS",
    "LANGUAGES",
    "PLAN_ARM",
    "PROMPT_KINDS",
    "RESERVED_WORDS",
    "SOURCE_LANGUAGE",
    "STEP_KINDS",
    "Arms",
    "Due",
    "Holdout",
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
    "Variant",
    "arm_text",
    "arms_of",
    "assign_arm",
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
    "skipped_for",
    "sms_segments",
    "sms_segments_with_footer",
    "template_context",
    "validate_plan",
]

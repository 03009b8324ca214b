"""The plan schema: pydantic models of a plan and its steps, and the rules between their fields.

The types of single fields (names, ids, keywords, texts, offsets, windows) are fields.py's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveInt,
    model_validator,
)
from pydantic_core import PydanticCustomError

from onward.plans.fields import (
    DueValue,
    Keyword,
    Language,
    Name,
    StepId,
    Text,
    Translations,
    WindowValue,
)
from onward.plans.keywords import REJECT_KEYWORDS
from onward.plans.rules import When
from onward.plans.translations import SOURCE_LANGUAGE, translation_problems
from onward.plans.values import Due

__all__ = [
    "CONTROL_ARM",
    "DEFAULT_KEYWORDS",
    "PROMPT_KINDS",
    "STEP_KINDS",
    "Holdout",
    "Plan",
    "Reminder",
    "Step",
    "StepKind",
    "Variant",
    "step_rule_problems",
]


StepKind = Literal["grieve", "reflect", "feedback_ask", "research", "apply", "message"]
STEP_KINDS: tuple[str, ...] = get_args(StepKind)
# Prompts expect a reply, which is kept in the person's journal; only they can be re-asked.
PROMPT_KINDS = frozenset({"reflect", "feedback_ask", "research", "apply"})
# These always start the default plan; a plan may add its own trigger words.
DEFAULT_KEYWORDS = REJECT_KEYWORDS
MAX_STEPS = 50
# The holdout arm of an experiment: it keeps the plan's base texts.
CONTROL_ARM = "control"
RULE_ERROR = "plan_rule"  # the pydantic error type of the cross-field rules below


def step_rule_problems(
    kind: str | None,
    *,
    goal: bool,
    reminder: bool,
    business_days: bool,
    due: Due | None,
    ask_when: bool = False,
) -> list[tuple[str, str]]:
    """The rules between a step's fields, as (field, message) pairs.

    Shared by the model (so a Plan built in code keeps them) and the loader (which checks the
    raw YAML so it can name the line of each field even when other fields are broken).
    """
    problems: list[tuple[str, str]] = []
    if goal and kind is not None and kind != "apply":
        problems.append(("goal", f"only an apply step has a goal, not a {kind} step"))
    if reminder and kind is not None and kind not in PROMPT_KINDS:
        asks = ", ".join(k for k in STEP_KINDS if k in PROMPT_KINDS)
        problems.append(
            ("reminder", f"a {kind} step asks for no reply, so it cannot have one (only {asks})")
        )
    if ask_when and kind is not None and kind != "apply":
        problems.append(("ask_when", f"only an apply step asks when, not a {kind} step"))
    if business_days and due is not None and due.uses_weeks:
        problems.append(("due", "with business_days, count in days (e.g. 10d), not weeks"))
    return problems


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Translated:
    """A text and its subject, each with its translations: `text_for("es")` is the Spanish
    one, or the source text when there is none (a language the plan does not have)."""

    if TYPE_CHECKING:  # the fields each model declares, in the order its errors list them
        text: str
        subject: str | None
        translations: dict[str, str]
        subject_translations: dict[str, str]

    def text_for(self, lang: str) -> str:
        return self.translations.get(lang, self.text)

    def subject_for(self, lang: str) -> str | None:
        if self.subject is None:
            return None
        return self.subject_translations.get(lang, self.subject)


class Reminder(_Model, _Translated):
    """Re-ask once if no reply came; ``after`` counts calendar time from the step's due time."""

    after: DueValue
    text: Text
    translations: Translations = {}
    subject: Text | None = None
    subject_translations: Translations = {}


class Variant(_Model, _Translated):
    """One arm's text for a step in an experiment; arms are drawn in proportion to weights."""

    name: Name
    text: Text
    translations: Translations = {}
    subject: Text | None = None
    subject_translations: Translations = {}
    weight: PositiveInt = 1

    @model_validator(mode="after")
    def _not_control(self) -> Variant:
        if self.name == CONTROL_ARM:
            raise ValueError(f"{CONTROL_ARM!r} is the holdout's arm; name the variant otherwise")
        return self


def _share_only(value: object) -> object:
    return {"share": value} if isinstance(value, int | float) else value


class Holdout(_Model):
    """The control arm: this share of people keeps the base texts (minus `skip`, if given)."""

    share: Annotated[float, Field(gt=0, lt=1)]
    # A lighter control may leave out steps, never the acknowledgement sent at once.
    skip: list[StepId] = []


class Step(_Model, _Translated):
    id: StepId
    kind: StepKind
    due: DueValue
    business_days: bool = False
    subject: Text | None = None
    subject_translations: Translations = {}
    text: Text
    translations: Translations = {}
    reminder: Reminder | None = None
    goal: PositiveInt | None = None
    # The person's reply with a day and time books a nudge then ("It's 10:00: your slot").
    ask_when: bool = False
    variants: list[Variant] = []

    @property
    def is_prompt(self) -> bool:
        return self.kind in PROMPT_KINDS

    @model_validator(mode="after")
    def _fields_agree(self) -> Step:
        problems = step_rule_problems(
            self.kind,
            goal=self.goal is not None,
            reminder=self.reminder is not None,
            business_days=self.business_days,
            due=self.due,
            ask_when=self.ask_when,
        )
        if problems:
            raise PydanticCustomError(RULE_ERROR, "; ".join(f"{f}: {m}" for f, m in problems))
        return self


class Plan(_Model):
    name: Name
    description: Text
    # The first is the language of the texts themselves; the others are their translations.
    languages: Annotated[list[Language], Field(min_length=1)] = [SOURCE_LANGUAGE]
    keywords: Annotated[list[Keyword], AfterValidator(lambda ks: list(dict.fromkeys(ks)))] = []
    window: WindowValue = None
    holdout: Annotated[Holdout | None, BeforeValidator(_share_only)] = None
    # Who this plan fits better than the default (plans/rules.py); REJECTED checks the
    # plans of the operator's order (`onward plans order`) in turn.
    when: When | None = None
    steps: Annotated[list[Step], Field(min_length=1, max_length=MAX_STEPS)]

    @model_validator(mode="after")
    def _ids_unique(self) -> Plan:
        ids = [step.id for step in self.steps]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise PydanticCustomError(RULE_ERROR, f"duplicate step ids: {', '.join(repeated)}")
        translations = translation_problems(self.model_dump())
        if translations:
            # Reported by the loader from the raw YAML, with the line of each field.
            raise PydanticCustomError(RULE_ERROR, "; ".join(m for _, m in translations))
        problems = experiment_problems(self)
        if problems:
            # Not RULE_ERROR: the loader reports these from here, not again from the raw YAML.
            raise PydanticCustomError("experiment_rule", "; ".join(problems))
        return self

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(f"plan {self.name!r} has no step {step_id!r}")

    def text_language(self, lang: str) -> str:
        """The language a person who reads `lang` gets this plan's texts in."""
        return lang if lang in self.languages else self.languages[0]

    @property
    def apply_goal(self) -> int | None:
        """The goal of the first apply step, or None when no apply step sets one."""
        return next((s.goal for s in self.steps if s.kind == "apply"), None)


def experiment_problems(plan: Plan) -> list[str]:
    """The rules of a plan's experiment: one set of arms for the whole plan, each named once,
    and a holdout that never leaves out the kind acknowledgement sent at once."""
    problems: list[str] = []
    arms: tuple[tuple[str, int], ...] | None = None
    for step in plan.steps:
        if not step.variants:
            continue
        names = [variant.name for variant in step.variants]
        if len(set(names)) < len(names):
            problems.append(f"step {step.id}: each variant needs its own name")
        these = tuple((variant.name, variant.weight) for variant in step.variants)
        if arms is None:
            arms = these
        elif sorted(these) != sorted(arms):
            problems.append(
                f"step {step.id}: variants must have the same names and weights in every step "
                "(one experiment per plan: change one thing at a time)"
            )
    if arms is not None and len(arms) == 1 and plan.holdout is None:
        problems.append("one variant and no holdout compares nothing: add a variant or a holdout")
    if plan.holdout is not None:
        ids = {step.id for step in plan.steps}
        for skipped in plan.holdout.skip:
            if skipped not in ids:
                problems.append(f"holdout.skip: no step {skipped!r} in this plan")
            elif (
                plan.step(skipped).due.offset.total_seconds() == 0 and not plan.step(skipped).due.at
            ):
                problems.append(
                    f"holdout.skip: {skipped!r} is the acknowledgement sent at once; "
                    "every arm keeps it"
                )
    return problems

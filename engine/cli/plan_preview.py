"""`onward plans preview`: a plan's timeline for one person, or which plan their REJECTED starts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from sqlalchemy.orm import Session

from onward.engine import language, people, plan_choice, plan_store
from onward.engine.cli.output import print_json, print_table, stdout
from onward.engine.cli.plans import read_file_argument
from onward.engine.cli.state import state
from onward.engine.errors import NotFound, UsageError
from onward.engine.phones import (
    InvalidPhoneNumber,
    normalize_phone,
    region_for_phone,
    timezone_for_phone,
)
from onward.engine.preview import preview
from onward.engine.storage.db import database_exists
from onward.engine.storage.migrate import require_current, schema_is_current
from onward.engine.storage.models import Person
from onward.plans import (
    Plan,
    PlanError,
    load_plan,
    shipped_plan_names,
    shipped_plan_source,
)
from onward.plans.rules import Choice, Facts


def _resolve(name: str) -> Plan:
    """A plan file, a stored plan, or (with no database yet) a shipped plan."""
    path = Path(name)
    if name.endswith((".yaml", ".yml")) and path.exists():
        return load_plan(read_file_argument(path), name)
    runtime = state.runtime()
    # Preview works before any database exists: fall back to the plans onward ships.
    if not database_exists(runtime.settings.database_url) or not schema_is_current(runtime.engine):
        if name in shipped_plan_names():
            return load_plan(shipped_plan_source(name), f"{name}.yaml")
        require_current(runtime.engine)
    with runtime.sessions() as session:
        return plan_store.parsed(plan_store.require_latest(session, name))


def preview_command(
    name: str | None = typer.Argument(
        None, help="A stored plan's name, or a YAML file; without it, which plan --phone gets."
    ),
    at: str | None = typer.Option(
        None, "--at", help="When the rejection is reported (ISO-8601; default now)."
    ),
    tz: str | None = typer.Option(
        None, "--tz", help="The person's IANA time zone (default: the phone's, else UTC)."
    ),
    phone: str | None = typer.Option(
        None, "--phone", help="The person's number: its country's holidays and time zone."
    ),
    country: str | None = typer.Option(
        None, "--country", help="Whose public holidays business days skip (ISO code, e.g. GB)."
    ),
    lang: str | None = typer.Option(
        None, "--lang", help="The person's language: en, es or fr (default: the phone's)."
    ),
    rejections: int | None = typer.Option(
        None,
        "--rejections",
        min=0,
        help="Without NAME: their rejections in 30 days, the new one included "
        "(default: those stored, plus one).",
    ),
    role: str | None = typer.Option(None, "--role", help="Without NAME: the rejection's role."),
    json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """When each nudge would reach a person in zone TZ, for a rejection reported --at.

    Business days skip weekends and, with --phone or --country, that country's public
    holidays, as the daemon does for a person with that number. Texts are in --lang when the
    plan has it (else in the plan's own language), as the daemon sends them.
    holidays, as the daemon does for a person with that number.

    Without NAME: which plan a REJECTED from --phone would start, and why (each ordered
    plan's when: rules against --rejections, --role and their country).
    """
    if name is None:
        if phone is None:
            raise UsageError("--phone: whose plan? (or give a plan NAME to preview its timeline)")
        _choice_preview(phone, rejections, role or "", json)
        return
    if rejections is not None or role is not None:
        raise UsageError("--rejections and --role: give them without a plan name")
    region, phone_zone = _where(phone, country)
    reads = _language(lang, region)
    zone = tz or phone_zone or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"--tz: unknown time zone {zone!r} (use an IANA name like Europe/London)"
        ) from None
    anchor = _parse_at(at, zone) if at else state.runtime().clock.now()
    try:
        plan = _resolve(name)
    except PlanError as exc:
        raise UsageError(str(exc.issues[0]) if exc.issues else str(exc)) from None
    settings = state.runtime().settings
    rows = preview(
        plan, anchor, zone, settings.send_window, region, org=settings.org_name, lang=reads
    )
    if json:
        print_json([row.as_json() for row in rows])
        return
    when = f"when ({zone})"
    holidays = f", {region} holidays" if region else ""
    print_table(
        [
            {
                "step": row.step,
                "kind": row.kind,
                when: row.due_local.strftime("%a %d %b %H:%M")
                + (" *" if row.moved_by_window else ""),
                "text": row.text,
            }
            for row in rows
        ],
        ["step", "kind", when, "text"],
        f"plan {plan.name} for a rejection on "
        f"{anchor.astimezone(ZoneInfo(zone)).strftime('%a %d %b %Y %H:%M')} ({zone}{holidays})",
        caption="* moved into the send window; --json has full UTC and local times",
    )


def _where(phone: str | None, country: str | None) -> tuple[str | None, str | None]:
    """The country whose holidays count and the phone's time zone, from --phone or --country."""
    if phone is not None and country is not None:
        raise UsageError("--phone and --country: give one (a phone number implies its country)")
    if phone is not None:
        try:
            e164 = normalize_phone(phone)
        except InvalidPhoneNumber as exc:
            raise UsageError(f"--phone: {exc}") from None
        return region_for_phone(e164), timezone_for_phone(e164)
    if country is not None:
        code = country.strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", code):
            raise UsageError(f"--country: {country!r} is not a two-letter country code (e.g. GB)")
        return code, None
    return None, None


def _language(given: str | None, region: str | None) -> str:
    if given is None:
        return language.for_country(region)  # as a person with that number would read
    code = language.parse_code(given)
    if code is None:
        choices = ", ".join(language.SUPPORTED)
        raise UsageError(f"--lang: onward speaks {choices}, not {given!r}")
    return code


def _parse_at(text: str, zone: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--at: not an ISO-8601 time: {text!r}") from None
    if value.tzinfo is None:  # a wall time in the person's own zone
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(UTC)


def _choice_preview(who: str, rejections: int | None, role: str, json: bool) -> None:
    runtime = state.ready()
    with runtime.sessions() as session:
        person = _known(session, who)
        country = person.country if person else _country_of(who)
        if rejections is None:
            now = runtime.clock.now()
            stored = plan_choice.recent_rejections(session, person.id, now) if person else 0
            rejections = stored + 1
        facts = Facts(rejections, role, country)
        choice = plan_choice.explain(session, facts)
    if json:
        print_json(choice.as_json())
        return
    _print_choice(who, facts, choice)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _known(session: Session, who: str) -> Person | None:
    try:
        return people.lookup(session, who)
    except NotFound:
        if "@" not in who:
            _country_of(who)  # an unreadable number is bad usage, not an unknown person
        return None


def _country_of(who: str) -> str | None:
    if "@" in who:
        return None
    try:
        return region_for_phone(normalize_phone(who))
    except InvalidPhoneNumber as exc:
        raise UsageError(f"--phone: {exc}") from None


def _print_choice(who: str, facts: Facts, choice: Choice) -> None:
    rows = []
    for position, check in enumerate(choice.checked, 1):
        for rule in check.rules or ():
            wants = ", ".join(rule.value) if isinstance(rule.value, list) else rule.value
            rows.append(
                {
                    "#": position,
                    "plan": check.plan,
                    "rule": rule.rule,
                    "wants": wants,
                    "is": repr(rule.actual) if isinstance(rule.actual, str) else rule.actual,
                    "holds": rule.ok,
                }
            )
        if not check.rules:
            rows.append({"#": position, "plan": check.plan, "rule": "(no when: rules)"})
    role = f"role {facts.role!r}" if facts.role else "no role"
    print_table(
        rows,
        ["#", "plan", "rule", "wants", "is", "holds"],
        f"{who}: {plural(facts.rejections_in_30_days, 'rejection')} in 30 days, {role}, "
        f"country {facts.country or 'unknown'}",
    )
    stdout.print(f"REJECTED would start plan {choice.plan}", highlight=False, markup=False)
    for reason in choice.because:
        stdout.print(f"  because {reason}", highlight=False, markup=False)

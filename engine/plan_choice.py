"""Which plan a REJECTED starts: the operator's order of plans with `when:` rules, the person's
facts, and the pure choice of `onward.plans.rules` between them (the default plan otherwise).

The order lives in `app_settings` (`onward plans order`); unset, it is the shipped order, which
puts the gentler plan first. Every REJECTED reads its facts in one statement (the person's
rejections of the last 30 days, the order, the newest plan version, the default plan's latest
version); the rules of the ordered plans are cached on the order and that version, as plan
versions never change, and so are the columns of the version started (plan_store.version_in_hand).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, bindparam, func, select
from sqlalchemy.orm import Session

from onward.engine.errors import UsageError
from onward.engine.plan_store import (
    DEFAULT_VERSION_CHECKSUM,
    DEFAULT_VERSION_ID,
    cache_for,
    default_plan_name,
    latest_version,
    parsed,
    plan_for_keyword,
    require_latest,
    version_in_hand,
)
from onward.engine.storage.driver_sql import connection_of, select_rows
from onward.engine.storage.models import AppSetting, Person, PlanVersion, Rejection
from onward.plans.keywords import REJECT_KEYWORDS
from onward.plans.rules import Choice, Facts, When, choose

ORDER_KEY = "plan_order"
# Until the operator sets an order: a third rejection in a month gets the gentler plan.
SHIPPED_ORDER = ("gentle",)
WINDOW = timedelta(days=30)

_FACTS = select(
    select(func.count(Rejection.id))
    .where(
        Rejection.person_id == bindparam("person_id"), Rejection.reported_at >= bindparam("since")
    )
    .scalar_subquery(),
    select(AppSetting.value).where(AppSetting.key == ORDER_KEY).scalar_subquery(),
    select(func.max(PlanVersion.id)).scalar_subquery(),
    DEFAULT_VERSION_ID,
    DEFAULT_VERSION_CHECKSUM,
)
_SETTINGS = select(
    select(AppSetting.value).where(AppSetting.key == ORDER_KEY).scalar_subquery(),
    select(func.max(PlanVersion.id)).scalar_subquery(),
)

# (name, version id, checksum, rules) of each ordered plan, by database, then (newest version
# id, order).
Ordered = tuple[tuple[str, int, str, When | None], ...]
_ORDERED: WeakKeyDictionary[Engine, dict[tuple[int, str | None], Ordered]] = WeakKeyDictionary()


def _names(order_text: str | None) -> tuple[str, ...]:
    if order_text is None:
        return SHIPPED_ORDER
    return tuple(name for name in order_text.split(",") if name)


def _ordered(session: Session, order_text: str | None, newest: int | None) -> Ordered:
    known = cache_for(_ORDERED, session)
    cached = known.get((newest or 0, order_text))
    if cached is None:
        found = []
        for name in _names(order_text):
            version = latest_version(session, name)
            if version is not None:  # the shipped order names a plan this database may lack
                found.append((name, version.id, version.checksum, parsed(version).when))
        if len(known) > 64:
            known.clear()
        cached = known[newest or 0, order_text] = tuple(found)
    return cached


def choose_plan(
    session: Session, person: Person, keyword: str, role: str, now: datetime
) -> PlanVersion:
    """The plan version a rejection starts. A plan's own keyword starts that plan; REJECTED
    (and REJECT, REJECTION) the first ordered plan whose rules hold, else the default."""
    if keyword.upper() not in REJECT_KEYWORDS:
        return plan_for_keyword(session, keyword)
    # A plain statement, on SQLite on the driver's cursor (70 µs through SQLAlchemy, 25 there).
    [(count, order_text, newest, default_id, default_checksum)] = select_rows(
        connection_of(session), _FACTS, {"person_id": person.id, "since": now - WINDOW}
    )
    ordered = _ordered(session, order_text, newest)
    if ordered:
        # The rejection being recorded counts too: it is not stored yet.
        facts = Facts(int(count) + 1, role, person.country)
        choice = choose([(name, when) for name, _id, _sum, when in ordered], facts, "")
        if choice.by_rules:
            vid, digest = next(
                (vid, sum_) for name, vid, sum_, _w in ordered if name == choice.plan
            )
            return version_in_hand(session, vid, digest)
    if default_id is not None:
        return version_in_hand(session, default_id, default_checksum)
    return plan_for_keyword(session, keyword)  # no default plan stored: it says so


def recent_rejections(session: Session, person_id: int, now: datetime) -> int:
    """The person's rejections of the last 30 days (what a new one would be counted with)."""
    count = session.scalar(
        select(func.count(Rejection.id)).where(
            Rejection.person_id == person_id, Rejection.reported_at >= now - WINDOW
        )
    )
    return int(count or 0)


def explain(session: Session, facts: Facts) -> Choice:
    """Which plan a REJECTED with these facts would start, and why (`plans preview --phone`)."""
    order_text, newest = session.execute(_SETTINGS).one()
    ordered = _ordered(session, order_text, newest)
    return choose(
        [(name, when) for name, _id, _sum, when in ordered], facts, default_plan_name(session)
    )


def plan_order(session: Session) -> list[str]:
    """The plans REJECTED checks, in turn (those this database has)."""
    order_text, newest = session.execute(_SETTINGS).one()
    return [name for name, _id, _sum, _when in _ordered(session, order_text, newest)]


def set_plan_order(session: Session, names: Sequence[str]) -> list[str]:
    """Make `names` the order; each must be a stored plan with `when:` rules, named once."""
    repeated = sorted({name for name in names if list(names).count(name) > 1})
    if repeated:
        raise UsageError(f"{', '.join(repeated)}: named twice; give each plan once")
    for name in names:
        if parsed(require_latest(session, name)).when is None:
            raise UsageError(
                f"plan {name} has no when: rules, so it would never be chosen by them; "
                "add a when: section, or make it the fallback with `onward plans set-default`"
            )
    value = ",".join(names)
    if len(value) > 256:
        raise UsageError("too many plans in the order (their names fit in 256 characters)")
    setting = session.get(AppSetting, ORDER_KEY)
    if setting is None:
        session.add(AppSetting(key=ORDER_KEY, value=value))
    else:
        setting.value = value
    return list(names)

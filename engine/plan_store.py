"""Plan versions in the database: add (immutable, numbered), look up, choose the default."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from onward.engine.clock import Clock
from onward.engine.errors import NotFound
from onward.engine.storage.driver_sql import connection_of
from onward.engine.storage.models import AppSetting, PlanVersion
from onward.engine.storage.plain_writes import as_loaded
from onward.plans import Plan, load_plan, shipped_plan_names, shipped_plan_source
from onward.plans.keywords import REJECT_KEYWORDS

DEFAULT_PLAN_KEY = "default_plan"


@dataclass(frozen=True)
class PlanSummary:
    name: str
    version: int
    versions: int
    is_default: bool
    keywords: tuple[str, ...]
    steps: int


def checksum(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


class ParsedPlans:
    """Parsed plans by the checksum of their source, the least recently used dropped past
    `size`. A version is immutable and its checksum names its text, so a parse is good for as
    long as the process runs; keying by checksum spares hashing the whole source each time."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._plans: OrderedDict[str, Plan] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: PlanVersion) -> Plan:
        with self._lock:
            plan = self._plans.get(version.checksum)
            if plan is not None:
                self._plans.move_to_end(version.checksum)
                return plan
        plan = load_plan(version.source, f"{version.name} v{version.version}")
        with self._lock:
            self._plans[version.checksum] = plan
            while len(self._plans) > self.size:
                self._plans.popitem(last=False)
        return plan

    def __len__(self) -> int:
        return len(self._plans)

    def __contains__(self, digest: object) -> bool:
        """Is the version with this checksum parsed already?"""
        return digest in self._plans

    def clear(self) -> None:
        """Forget every parse (a test that starts as a new process would)."""
        with self._lock:
            self._plans.clear()


PARSED = ParsedPlans()


def parsed(version: PlanVersion) -> Plan:
    """The Plan of a stored version, parsed once (by its checksum)."""
    return PARSED.get(version)


def add_plan(session: Session, source: str, clock: Clock, label: str = "<plan>") -> PlanVersion:
    """Store `source` as the next version of its plan; the same text again adds nothing."""
    plan = load_plan(source, label)
    latest = latest_version(session, plan.name)
    digest = checksum(source)
    if latest is not None and latest.checksum == digest:
        return latest
    version = PlanVersion(
        name=plan.name,
        version=(latest.version + 1) if latest else 1,
        source=source,
        checksum=digest,
        created_at=clock.now(),
    )
    session.add(version)
    session.flush()
    return version


def install_shipped_plans(session: Session, clock: Clock) -> list[PlanVersion]:
    """Add the plans onward ships when they are new or changed; make `standard` the default."""
    added = []
    for name in shipped_plan_names():
        before = latest_version(session, name)
        version = add_plan(session, shipped_plan_source(name), clock, f"{name}.yaml")
        if before is None or version.id != before.id:
            added.append(version)
    if session.get(AppSetting, DEFAULT_PLAN_KEY) is None:
        session.add(AppSetting(key=DEFAULT_PLAN_KEY, value="standard"))
    return added


def latest_version(session: Session, name: str) -> PlanVersion | None:
    return session.scalars(
        select(PlanVersion).where(PlanVersion.name == name).order_by(PlanVersion.version.desc())
    ).first()


def require_latest(session: Session, name: str) -> PlanVersion:
    version = latest_version(session, name)
    if version is None:
        known = ", ".join(s.name for s in list_plans(session)) or "none"
        raise NotFound(f"no plan named {name!r} (known: {known})")
    return version


def default_plan_name(session: Session) -> str:
    setting = session.get(AppSetting, DEFAULT_PLAN_KEY)
    return setting.value if setting else "standard"


def set_default(session: Session, name: str) -> PlanVersion:
    version = require_latest(session, name)
    setting = session.get(AppSetting, DEFAULT_PLAN_KEY)
    if setting is None:
        session.add(AppSetting(key=DEFAULT_PLAN_KEY, value=name))
    else:
        setting.value = name
    return version


def list_plans(session: Session) -> list[PlanSummary]:
    counts = dict(
        session.execute(select(PlanVersion.name, func.count()).group_by(PlanVersion.name)).all()
    )
    default = default_plan_name(session)
    summaries = []
    for name in sorted(counts):
        latest = latest_version(session, name)
        assert latest is not None
        plan = parsed(latest)
        summaries.append(
            PlanSummary(
                name=name,
                version=latest.version,
                versions=counts[name],
                is_default=name == default,
                keywords=tuple(plan.keywords),
                steps=len(plan.steps),
            )
        )
    return summaries


def plan_for_keyword(session: Session, keyword: str) -> PlanVersion:
    """The plan a trigger keyword starts: a plan's own keyword, else the default plan."""
    keyword = keyword.upper()
    default = default_version(session)
    if keyword in REJECT_KEYWORDS:
        return default
    for summary in list_plans(session):
        if keyword in summary.keywords:
            return require_latest(session, summary.name)
    return default


# Built once: every REJECTED asks, and building a query costs about as much as running it.
_DEFAULT_VERSION = (
    select(PlanVersion)
    .where(
        PlanVersion.name
        == func.coalesce(
            select(AppSetting.value).where(AppSetting.key == DEFAULT_PLAN_KEY).scalar_subquery(),
            "standard",
        )
    )
    .order_by(PlanVersion.version.desc())
    .limit(1)
)
# The default plan's latest version as its id and checksum, for a statement that reads more
# (plan_choice's facts) and then `version_in_hand`.
DEFAULT_VERSION_ID = _DEFAULT_VERSION.with_only_columns(PlanVersion.id).scalar_subquery()
DEFAULT_VERSION_CHECKSUM = _DEFAULT_VERSION.with_only_columns(
    PlanVersion.checksum
).scalar_subquery()
_NEWEST_VERSION_ID = select(func.max(PlanVersion.id))


def default_version(session: Session) -> PlanVersion:
    """The latest version of the default plan, in one query."""
    version = session.scalars(_DEFAULT_VERSION).first()
    return version or require_latest(session, default_plan_name(session))


K = TypeVar("K")
V = TypeVar("V")


def cache_for(caches: WeakKeyDictionary[Engine, dict[K, V]], session: Session) -> dict[K, V]:
    """The part for this session's database of a cache of what never changes in it: kept by
    engine, not by its URL (rendering a URL as text cost more than the look itself)."""
    return caches.setdefault(session.get_bind().engine, {})


# The columns of versions already read, by (id, checksum): a version never changes.
_VERSION_VALUES: WeakKeyDictionary[Engine, dict[tuple[int, str], dict[str, object]]] = (
    WeakKeyDictionary()
)


def version_in_hand(session: Session, version_id: int, digest: str) -> PlanVersion:
    """The version `version_id`, whose checksum the caller has just read: in the session as if
    loaded, from its columns as first read (a REJECTED's plan, without reading its text again:
    the ORM's read cost three times the object's making); read when not known yet."""
    found = session.identity_map.get(identity_key(PlanVersion, version_id))
    if isinstance(found, PlanVersion):
        return found
    known = cache_for(_VERSION_VALUES, session)
    values = known.get((version_id, digest))
    if values is None:
        version = session.get(PlanVersion, version_id)
        if version is None or version.checksum != digest:  # gone, or not the one asked for
            raise NotFound(f"no plan version {version_id} with checksum {digest[:12]}")
        if len(known) > 256:
            known.clear()
        known[version_id, digest] = {c: getattr(version, c) for c in _VERSION_COLUMNS}
        return version
    return as_loaded(session, PlanVersion, version_id, values)


_VERSION_COLUMNS = ("name", "version", "source", "checksum", "created_at")


def trigger_keywords(session: Session, newest: int | None = None) -> frozenset[str]:
    """Every keyword that starts a plan: the built-in ones and those plans add.

    Asked on every inbound message; versions are immutable, so the answer only changes when a
    version is added: it is cached on the newest version's id (one cheap query, or none when
    the caller read `newest` already).
    """
    if newest is None:
        newest = connection_of(session).scalar(_NEWEST_VERSION_ID) or 0
    by_version = cache_for(_KEYWORDS, session)
    cached = by_version.get(newest)
    if cached is None:
        words = set(REJECT_KEYWORDS)
        for summary in list_plans(session):
            words.update(summary.keywords)
        cached = by_version[newest] = frozenset(words)
    return cached


_KEYWORDS: WeakKeyDictionary[Engine, dict[int, frozenset[str]]] = WeakKeyDictionary()


def get_version(session: Session, name: str, version: int) -> PlanVersion:
    found = session.scalars(
        select(PlanVersion).where(PlanVersion.name == name, PlanVersion.version == version)
    ).first()
    if found is None:
        raise NotFound(f"plan {name!r} has no version {version}")
    return found

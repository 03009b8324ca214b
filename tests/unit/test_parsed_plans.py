"""Parsed plans are cached by their version's checksum: a version is immutable, so the same
checksum gives the same parsed object; a new version is parsed anew; the cache is bounded."""

from __future__ import annotations

from datetime import UTC, datetime

from onward.engine.plan_store import ParsedPlans, checksum
from onward.engine.storage.models import PlanVersion
from onward.plans import shipped_plan_source

STANDARD = shipped_plan_source("standard")


def version(source: str, number: int = 1) -> PlanVersion:
    return PlanVersion(
        id=number,
        name="standard",
        version=number,
        source=source,
        checksum=checksum(source),
        created_at=datetime(2026, 11, 24, tzinfo=UTC),
    )


def test_the_same_checksum_gives_the_same_parsed_plan() -> None:
    plans = ParsedPlans()
    first = plans.get(version(STANDARD))
    again = plans.get(version(STANDARD))  # another row object, as another session loads it
    assert again is first
    assert len(plans) == 1


def test_a_new_version_is_parsed_anew() -> None:
    plans = ParsedPlans()
    old = plans.get(version(STANDARD))
    changed = STANDARD.replace("name: standard", "name: standard\n# a comment: a new version", 1)
    assert changed != STANDARD
    new = plans.get(version(changed, 2))
    assert new is not old and len(plans) == 2
    assert [step.id for step in new.steps] == [step.id for step in old.steps]


def test_the_least_recently_used_plan_makes_room() -> None:
    plans = ParsedPlans(size=2)
    sources = [STANDARD + f"\n# version {n}\n" for n in range(3)]
    first = plans.get(version(sources[0], 1))
    second = plans.get(version(sources[1], 2))
    assert plans.get(version(sources[0], 1)) is first  # used again: the second is now oldest
    plans.get(version(sources[2], 3))
    assert len(plans) == 2
    assert plans.get(version(sources[0], 1)) is first  # kept
    assert plans.get(version(sources[1], 2)) is not second  # dropped, so parsed again
    assert len(plans) == 2

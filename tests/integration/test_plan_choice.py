"""Plans that adapt, through the real inbox: REJECTED takes the first plan of the operator's order
whose `when:` rules hold (a third rejection in a month gets the gentler plan), else the default."""

from __future__ import annotations

import gc
from textwrap import dedent
from weakref import WeakKeyDictionary

import pytest
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session

from onward.engine import plan_choice, plan_store
from onward.engine.errors import NotFound, UsageError
from onward.engine.plan_store import add_plan, set_default
from onward.engine.storage.models import PlanVersion
from onward.plans import shipped_plan_source
from onward.plans.rules import Facts
from tests.integration.inbound_helpers import OTHER_PHONE, PHONE, Talk

ENGINEERS = dedent(
    """\
    name: engineers
    description: For engineers and developers.
    when:
      role_matches: "engineer|developer"
    steps:
      - id: ack
        kind: message
        due: 0m
        text: Sorry about {{ company or "the job" }}. Engineers get this plan.
    """
)
ISLES = ENGINEERS.replace("engineers", "isles").replace(
    'role_matches: "engineer|developer"', "country: [GB, IE]"
)


def plan_of_latest_run(talk: Talk, address: str = PHONE) -> str:
    return talk.plan_of(talk.run(address)).name


def add(talk: Talk, *sources: str) -> None:
    with talk.sessions.begin() as session:
        for source in sources:
            add_plan(session, source, talk.clock)


def order(talk: Talk, *names: str) -> list[str]:
    with talk.sessions.begin() as session:
        return plan_choice.set_plan_order(session, names)


def test_a_third_rejection_within_a_month_gets_the_gentler_plan(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    assert plan_of_latest_run(talk) == "standard"
    talk.later(days=12)
    talk.say("REJECTED Globex")
    assert plan_of_latest_run(talk) == "standard"
    talk.later(days=12)
    reply = talk.say("REJECTED Initech")
    assert plan_of_latest_run(talk) == "gentle"
    assert reply is not None and "When the no's pile up" in reply


def test_rejections_older_than_thirty_days_do_not_count(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.later(days=1)
    talk.say("REJECTED Globex")
    talk.later(days=29)
    talk.say("REJECTED Initech")  # Acme was 30 days ago to the minute: it still counts
    assert plan_of_latest_run(talk) == "gentle"
    talk.later(days=29, hours=23)  # only Initech is within 30 days now
    talk.say("REJECTED Umbrella")
    assert plan_of_latest_run(talk) == "standard"


def test_the_role_picks_a_plan_for_engineers(talk: Talk) -> None:
    add(talk, ENGINEERS)
    assert order(talk, "engineers", "gentle") == ["engineers", "gentle"]
    talk.say("REJECTED Acme - Senior Software Engineer")
    assert plan_of_latest_run(talk) == "engineers"
    talk.say("REJECTED Globex - Designer", OTHER_PHONE)
    assert plan_of_latest_run(talk, OTHER_PHONE) == "standard"


def test_the_country_picks_a_plan_for_britain_and_ireland(talk: Talk) -> None:
    add(talk, ISLES)
    order(talk, "isles")
    talk.say("REJECTED Acme", OTHER_PHONE)  # a UK mobile
    assert plan_of_latest_run(talk, OTHER_PHONE) == "isles"
    talk.say("REJECTED Acme", PHONE)  # San Francisco
    assert plan_of_latest_run(talk, PHONE) == "standard"


def test_the_order_decides_and_the_default_is_the_fallback(talk: Talk) -> None:
    add(talk, ENGINEERS)
    order(talk, "gentle", "engineers")
    for company in ("Acme", "Globex", "Initech"):
        talk.say(f"REJECTED {company} - Engineer")
    assert plan_of_latest_run(talk) == "gentle"  # both match: the first in the order wins
    order(talk)  # nothing in the order: every REJECTED starts the default plan
    talk.say("REJECTED Umbrella - Engineer")
    assert plan_of_latest_run(talk) == "standard"
    with talk.sessions.begin() as session:
        set_default(session, "engineers")
    talk.say("REJECTED Hooli - Designer")
    assert plan_of_latest_run(talk) == "engineers"


def test_a_plan_keyword_starts_its_plan_whatever_the_rules(talk: Talk) -> None:
    add(talk, ENGINEERS)
    order(talk, "engineers")
    talk.say("SETBACK Acme - Engineer")
    assert plan_of_latest_run(talk) == "gentle"


def test_the_order_names_only_known_plans_once(talk: Talk) -> None:
    with talk.sessions() as session:
        assert plan_choice.plan_order(session) == ["gentle"]  # the shipped order
    with pytest.raises(NotFound, match="nosuch"), talk.sessions.begin() as session:
        plan_choice.set_plan_order(session, ["gentle", "nosuch"])
    with pytest.raises(UsageError, match="twice"), talk.sessions.begin() as session:
        plan_choice.set_plan_order(session, ["gentle", "gentle"])
    with pytest.raises(UsageError, match="no when: rules"), talk.sessions.begin() as session:
        plan_choice.set_plan_order(session, ["standard"])


def test_the_choice_costs_one_statement(talk: Talk) -> None:
    talk.say("REJECTED Acme")  # warms the caches: the ordered plans' rules, the version's columns
    person = talk.me()
    with talk.sessions() as session:
        statements = _counting(session)
        # The facts are columns, not objects: through the session's ORM execution they cost
        # about 110 µs more (on a slow machine; 300 against 185) for nothing it would add.
        through_orm: list[object] = []
        event.listen(session, "do_orm_execute", through_orm.append)
        version = plan_choice.choose_plan(session, person, "REJECTED", "", talk.clock.now())
        assert version.name == "standard"
        # One for the facts (recent rejections, the order, the newest version, which version of
        # the default plan): the version's object is made from its columns as first read.
        assert len(statements) == 1, statements
        assert through_orm == []
        assert version.checksum == plan_store.checksum(version.source)
        assert session.get(PlanVersion, version.id) is version  # in the session, as if loaded
        statements.clear()
        keyword = plan_choice.choose_plan(session, person, "SETBACK", "", talk.clock.now())
        assert keyword.name == "gentle"
        assert not any("rejections" in sql for sql in statements)


def test_a_plan_the_rules_choose_costs_one_statement_too(talk: Talk) -> None:
    add(talk, ENGINEERS)
    order(talk, "engineers")
    talk.say("REJECTED Acme - Engineer")  # warms the caches: the rules, the version's columns
    person = talk.me()
    with talk.sessions() as session:
        statements = _counting(session)
        version = plan_choice.choose_plan(session, person, "REJECTED", "Engineer", talk.clock.now())
        assert version.name == "engineers"
        assert len(statements) == 1, statements
        assert version.source == ENGINEERS


def test_a_new_default_or_a_new_version_of_it_is_started_at_once(talk: Talk) -> None:
    talk.say("REJECTED Acme")  # the standard plan's version, remembered
    person = talk.me()
    with talk.sessions.begin() as session:
        set_default(session, "gentle")
    with talk.sessions() as session:
        chosen = plan_choice.choose_plan(session, person, "REJECTED", "", talk.clock.now())
        assert (chosen.name, chosen.version) == ("gentle", 1)
    newer = shipped_plan_source("gentle").replace("name: gentle", "name: gentle  # v2", 1)
    with talk.sessions.begin() as session:
        added = add_plan(session, newer, talk.clock).id
    with talk.sessions() as session:
        chosen = plan_choice.choose_plan(session, person, "REJECTED", "", talk.clock.now())
        assert (chosen.id, chosen.version, chosen.source) == (added, 2, newer)


def test_explain_says_which_plan_and_why(talk: Talk) -> None:
    add(talk, ENGINEERS)
    order(talk, "engineers", "gentle")
    with talk.sessions() as session:
        choice = plan_choice.explain(session, Facts(3, role="Barista", country="US"))
    assert choice.plan == "gentle"
    assert [(c.plan, c.matched) for c in choice.checked] == [("engineers", False), ("gentle", True)]


def _counting(session: Session) -> list[str]:
    statements: list[str] = []
    connection = session.connection()

    @event.listens_for(connection, "before_cursor_execute")
    def _count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    return statements


def test_what_is_cached_of_a_database_stays_with_its_engine() -> None:
    """Caches of plans are kept by engine, not by URL: two engines on databases that share a
    URL (a file made again in the same place) never see each other's, and a disposed engine's
    part goes with it."""
    caches: WeakKeyDictionary[Engine, dict[str, int]] = WeakKeyDictionary()
    first, second = create_engine("sqlite://"), create_engine("sqlite://")
    with Session(first) as one, Session(second) as other, Session(first) as again:
        plan_store.cache_for(caches, one)["order"] = 1
        assert plan_store.cache_for(caches, again) == {"order": 1}
        assert plan_store.cache_for(caches, other) == {}
    del one, again
    first.dispose()
    del first
    gc.collect()
    assert list(caches) == [second]

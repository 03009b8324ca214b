"""The claim and the batch writes that keep a drain cheap, on both backends."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, event, select, text

from onward.engine.clock import FakeClock
from onward.engine.dispatch import claims, in_doubt
from onward.engine.dispatch.batch_sql import fresh_plans
from onward.engine.dispatch.dispatcher import RECOVERY_INTERVAL
from onward.engine.dispatch.pacing import ChannelHealth
from onward.engine.dispatch.prepare import claim_and_prepare
from onward.engine.storage.bulk_rows import insert_rows, update_rows
from onward.engine.storage.declarative import Base
from onward.engine.storage.models import Person
from tests.integration.dispatch_helpers import FlakyChannel, Harness

DELIVERIES = Base.metadata.tables["deliveries"]
STEPS = Base.metadata.tables["steps"]


def test_a_claim_takes_expired_leases_and_due_steps_together_oldest_first(world: Harness) -> None:
    run_id = world.start_run()
    world.clock.advance(timedelta(hours=5))  # noon in San Francisco: inside the window
    now = world.clock.now()
    first, second, third, fourth = world.steps(run_id)[:4]
    world.update_step(first.id, due_at=now - timedelta(minutes=3))
    world.update_step(third.id, due_at=now - timedelta(minutes=1))
    world.update_step(fourth.id, due_at=now + timedelta(minutes=1))  # not due yet
    # A step claimed by a dispatcher that died: its lease ran out a second ago.
    world.update_step(
        second.id,
        status="claimed",
        claimed_by="gone",
        due_at=now - timedelta(minutes=5),
        lease_until=now - timedelta(seconds=1),
    )
    config = world.dispatcher(batch=2).config
    channels = {"sms": ("console", world.sms)}

    def claim() -> list[int]:
        """The production claim, held (as a batch is while it is sent) and not sent."""
        with world.sessions.begin() as session:
            prepared = claim_and_prepare(session, now, config, channels, ChannelHealth())
        return [p.step_id for p in prepared if not isinstance(p, str)]

    assert claim() == [second.id, first.id]
    assert claim() == [third.id]
    assert claim() == []
    # Handed to the provider as each claim committed: written as sent, their deliveries in
    # `sending` until the provider's answer is recorded.
    handed = {s.id for s in world.steps(run_id) if s.status == "sent"}
    assert handed == {first.id, second.id, third.id}
    assert {(d.step_id, d.status) for d in world.deliveries()} == {
        (first.id, "sending"),
        (second.id, "sending"),
        (third.id, "sending"),
    }


def test_claiming_steps_that_fail_their_guards_writes_only_what_changed(world: Harness) -> None:
    run_id = world.start_run()
    ack = world.step(run_id, "ack")
    world.clock.set(ack.due_at)
    world.update_person(sms_status="opted_out")  # and no email: nothing can carry it
    assert world.dispatcher().tick() == {"skipped": 1}
    step = world.step(run_id, "ack")
    assert (step.status, step.claimed_by, step.lease_until, step.attempts) == (
        "skipped",
        None,
        None,
        0,
    )
    assert step.last_error == "no medium can carry it (opted out?)"
    assert world.deliveries() == []


def _claim_statements(engine: Engine, world: Harness) -> list[tuple[str, Any]]:
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT") and "LIMIT" in statement:
            captured.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with world.sessions.begin() as session:
            claims.claim_due(session, world.clock.now(), 50)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return captured


def test_the_claim_reads_due_steps_in_order_off_an_index_without_sorting(
    db_engine: Engine, world: Harness
) -> None:
    """A sort would cost every claim the whole backlog of due steps, again and again."""
    world.start_run()
    statements = _claim_statements(db_engine, world)
    # Pending steps that are due, then claims whose lease ran out: only the first grows with the
    # backlog (the second reads the few steps dispatchers hold at the moment).
    assert len(statements) == 2
    statement, params = statements[0]
    with db_engine.begin() as conn:
        if world.is_postgres:
            # Tiny test tables make any plan cheap: ask whether one exists that needs no sort.
            conn.exec_driver_sql("SET LOCAL enable_sort = off")
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = [row[0] for row in conn.exec_driver_sql(f"EXPLAIN {statement}", params)]
            assert not any("Sort" in line for line in plan), plan
        else:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            plan = [str(row[-1]) for row in rows]
            assert not any("TEMP B-TREE" in line for line in plan), plan


def test_the_look_for_sends_in_doubt_reads_only_the_unanswered_ones(
    db_engine: Engine, world: Harness
) -> None:
    """Every few seconds each dispatcher looks for sends a dead one left in doubt: off the
    partial index of unanswered deliveries, never through the whole table."""
    world.start_run()
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "FROM deliveries" in statement and "provider_id IS NULL" in statement:
            captured.append((statement, params))

    event.listen(db_engine, "before_cursor_execute", capture)
    try:
        with world.sessions.begin() as session:
            assert in_doubt.mark_in_doubt(session, world.clock.now(), timedelta(seconds=120)) == 0
    finally:
        event.remove(db_engine, "before_cursor_execute", capture)
    [(statement, params)] = captured
    with db_engine.begin() as conn:
        if world.is_postgres:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
            plan = [row[0] for row in conn.exec_driver_sql(f"EXPLAIN {statement}", params)]
        else:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            plan = [str(row[-1]) for row in rows]
    assert any("ix_deliveries_unanswered" in line for line in plan), plan


def test_fresh_plans_hold_only_inside_the_block(db_engine: Engine, world: Harness) -> None:
    with world.sessions.begin() as session:
        if not world.is_postgres:
            with fresh_plans(session):
                pass  # nothing to plan on SQLite
            return
        with fresh_plans(session):
            assert session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
            assert session.scalar(text("SHOW enable_seqscan")) == "off"
            assert session.scalar(text("SHOW max_parallel_workers_per_gather")) == "0"
        assert session.scalar(text("SHOW plan_cache_mode")) == "auto"
        assert session.scalar(text("SHOW enable_seqscan")) == "on"
        assert session.scalar(text("SHOW max_parallel_workers_per_gather")) != "0"


def test_a_batch_looks_deliveries_up_by_key_whatever_the_statistics_say(
    db_engine: Engine, world: Harness
) -> None:
    """Statistics taken while `deliveries` was empty (a fresh database, right before its first
    burst) make reading the whole table look cheaper than a hundred lookups, and each batch of
    the burst would read it all again: the dispatcher's lookups go by key all the same."""
    runs = [world.start_run(phone=f"+1415555{n:04d}") for n in range(15)]
    with db_engine.begin() as conn:
        if world.is_postgres:  # an empty table, as a fresh database has it
            conn.exec_driver_sql("TRUNCATE deliveries CASCADE")
            conn.exec_driver_sql("ANALYZE deliveries")
    # Then the burst: thousands of deliveries written since, and 100 steps due at once.
    last = world.steps(runs[0])[-1]
    person_id = world.person("+14155550000").id
    names = ("step_id", "run_id", "person_id", "channel", "medium", "address")
    rows = [(last.id, runs[0], person_id, "console", "sms", f"+1{n:010d}") for n in range(30_000)]
    now = world.clock.now()
    same = {"status": "sent", "status_rank": 3, "attempts": 1, "created_at": now}
    with world.sessions.begin() as session:
        insert_rows(session, DELIVERIES, names, rows, {**same, "updated_at": now}, ("id",))
    due = world.step(runs[0], "ack").due_at
    with db_engine.begin() as conn:
        conn.execute(STEPS.update().where(STEPS.c.reminder_of.is_(None)).values(due_at=due))
    world.clock.set(due)
    captured: list[list[str]] = []

    def capture(conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT deliveries.id") and "status_rank" in statement:
            explain = "EXPLAIN" if world.is_postgres else "EXPLAIN QUERY PLAN"
            plan = conn.exec_driver_sql(f"{explain} {statement}", params)
            captured.append([str(row[-1]) for row in plan])

    event.listen(db_engine, "before_cursor_execute", capture)
    try:
        assert world.dispatcher(batch=100).tick().get("sent", 0) >= 100
    finally:
        event.remove(db_engine, "before_cursor_execute", capture)
    plan = captured[0]
    slow = ("Seq Scan on deliveries", "Gather")  # the whole table, or a parallel worker
    assert not any(
        any(word in line for word in slow) or line.startswith("SCAN deliveries") for line in plan
    ), plan


def test_rows_are_inserted_and_updated_in_bulk(world: Harness) -> None:
    run_id = world.start_run()
    person_id = world.person().id
    first, second = world.steps(run_id)[:2]
    now = world.clock.now()
    names = ("step_id", "run_id", "person_id", "channel", "medium", "address")
    rows = [(s.id, run_id, person_id, "console", "sms", "+14155550100") for s in (first, second)]
    same = {"status": "sending", "status_rank": 1, "attempts": 1, "created_at": now}
    same["updated_at"] = now
    with world.sessions.begin() as session:
        returned = insert_rows(session, DELIVERIES, names, rows, same, ("id", "step_id"))
    ids = {step_id: delivery_id for delivery_id, step_id in returned}
    assert set(ids) == {first.id, second.id}

    later = now + timedelta(seconds=5)
    changes = [
        (ids[first.id], "SM1", "sent", 3),
        (ids[second.id], "SM2", "delivered", 4),
        (ids[second.id] + 1000, "SM3", "sent", 3),  # erased meanwhile: simply not matched
    ]
    with world.sessions.begin() as session:
        update_rows(
            session,
            DELIVERIES,
            ("id", "provider_id", "status", "status_rank"),
            changes,
            {"updated_at": later, "error": None},
        )
    found = {d.step_id: d for d in world.deliveries()}
    assert [(found[s.id].provider_id, found[s.id].status) for s in (first, second)] == [
        ("SM1", "sent"),
        ("SM2", "delivered"),
    ]
    assert {d.updated_at for d in found.values()} == {later}
    assert {d.created_at for d in found.values()} == {now}
    with world.sessions() as session:
        assert (
            session.scalar(select(DELIVERIES.c.id).where(DELIVERIES.c.provider_id == "SM3")) is None
        )


def test_a_bulk_insert_larger_than_one_statement_keeps_every_row(world: Harness) -> None:
    """SQLite takes at most 32,766 parameters a statement: 3,100 rows of 11 need two."""
    run_id = world.start_run()
    person_id = world.person().id
    step = world.steps(run_id)[0]
    start = world.clock.now()
    names = ("step_id", "run_id", "person_id", "channel", "medium", "address", "created_at")
    rows = [
        (step.id, run_id, person_id, "console", "sms", f"+1415555{n:04d}", start + timedelta(n))
        for n in range(3100)
    ]
    same = {"status": "sending", "status_rank": 1, "attempts": 1, "updated_at": start}
    with world.sessions.begin() as session:
        returned = insert_rows(session, DELIVERIES, names, rows, same, ("id", "address"))
    assert len({delivery_id for delivery_id, _ in returned}) == 3100
    stored = {d.address: d.created_at for d in world.deliveries()}
    assert len(stored) == 3100
    # Each row's own instant, converted as the ORM would store it.
    assert stored["+14155550000"] == start
    assert stored["+14155553099"] == start + timedelta(3099)


def test_a_forward_only_state_is_written_only_where_its_rank_is_higher(world: Harness) -> None:
    run_id = world.start_run()
    person_id = world.person().id
    first, second = world.steps(run_id)[:2]
    now = world.clock.now()
    names = ("step_id", "run_id", "person_id", "channel", "medium", "address", "status")
    rows = [
        (first.id, run_id, person_id, "console", "sms", "+14155550100", "sending"),
        (second.id, run_id, person_id, "console", "sms", "+14155550100", "delivered"),
    ]
    ranks = {"sending": 1, "delivered": 4}
    with world.sessions.begin() as session:
        returned = insert_rows(
            session,
            DELIVERIES,
            names,
            rows,
            {"attempts": 1, "created_at": now, "updated_at": now, "status_rank": 0},
            ("id", "step_id"),
        )
        ids = {step_id: delivery_id for delivery_id, step_id in returned}
        session.execute(
            DELIVERIES.update()
            .values(status_rank=ranks["delivered"])
            .where(DELIVERIES.c.id == ids[second.id])
        )
        session.execute(
            DELIVERIES.update()
            .values(status_rank=ranks["sending"])
            .where(DELIVERIES.c.id == ids[first.id])
        )
    with world.sessions.begin() as session:
        update_rows(
            session,
            DELIVERIES,
            ("id", "provider_id", "status", "status_rank"),
            [(ids[first.id], "SM1", "sent", 3), (ids[second.id], "SM2", "sent", 3)],
            {"error": None},
            forward=("status", "status_rank"),
        )
    found = {d.step_id: d for d in world.deliveries()}
    # The first moves up to sent; the second, already delivered, keeps its state but still
    # takes the provider's id.
    assert (found[first.id].status, found[first.id].status_rank) == ("sent", 3)
    assert (found[second.id].status, found[second.id].status_rank) == ("delivered", 4)
    assert (found[first.id].provider_id, found[second.id].provider_id) == ("SM1", "SM2")


def _writes_during(engine: Engine, act: Callable[[], object]) -> Counter[str]:
    """The statements PostgreSQL or SQLite runs that write steps, deliveries or people, and the
    looks for leases that ran out, counted while `act` runs. An executemany is one statement
    on SQLite (it runs in-process) and one a row on PostgreSQL, which plans and runs each."""
    counted: Counter[str] = Counter()
    kinds = ("UPDATE steps", "INSERT INTO deliveries", "UPDATE deliveries", "UPDATE people")

    def count(conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        flat = " ".join(statement.replace('"', "").split())
        runs = len(params) if many and conn.dialect.name == "postgresql" else 1
        for kind in kinds:
            if flat.startswith(kind):
                counted[kind] += runs
        if flat.startswith("SELECT") and "steps.lease_until <" in flat:
            counted["lease-expired claim"] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        act()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return counted


def test_a_batch_writes_each_step_once_and_each_delivery_once_then_its_answer(
    db_engine: Engine, world: Harness
) -> None:
    """The claim writes the steps handed to the provider as sent (one UPDATE), their deliveries
    in `sending` (one INSERT) and the opt-out footer each first message carries, on its person
    (one UPDATE); the record writes only the provider's answer (one UPDATE)."""
    runs = [world.start_run(phone=f"+1415555{n:04d}") for n in range(3)]
    world.clock.set(world.step(runs[0], "ack").due_at)
    dispatcher = world.dispatcher()
    writes = _writes_during(db_engine, lambda: dispatcher.tick() == {"sent": 3} or 1 / 0)
    assert writes == {
        "UPDATE steps": 1,
        "INSERT INTO deliveries": 1,
        "UPDATE people": 1,
        "UPDATE deliveries": 1,
        "lease-expired claim": 1,
    }
    people = [world.person(f"+1415555{n:04d}") for n in range(3)]
    assert {p.sms_footer_at for p in people} == {world.clock.now()}
    acks = [world.step(run_id, "ack") for run_id in runs]
    assert {(s.status, s.sent_at, s.claimed_by, s.lease_until, s.attempts) for s in acks} == {
        ("sent", world.clock.now(), None, None, 1)
    }
    # (the console channel answers `delivered` at once)
    assert {(d.status, d.provider_id is not None) for d in world.deliveries()} == {
        ("delivered", True)
    }


def test_a_batch_leaves_its_people_nothing_to_flush(world: Harness) -> None:
    """The footers a batch owes are written by its one UPDATE of people, not remembered as
    changes of the ORM's objects: the flush before each later statement of the batch, and the
    commit's, would otherwise go over every person of it (4% of a dispatcher's CPU). Its people
    are read as plain rows (loading and reading ORM entities cost 15% of a drain's CPU)."""
    runs = [world.start_run(phone=f"+1415555{n:04d}") for n in range(3)]
    now = world.step(runs[0], "ack").due_at
    config = world.dispatcher().config
    channels = {"sms": ("console", world.sms)}
    flushes: list[int] = []
    entities: list[object] = []
    with world.sessions.begin() as session:
        event.listen(session, "before_flush", lambda *_: flushes.append(len(session.dirty)))
        event.listen(session, "loaded_as_persistent", lambda _s, obj: entities.append(obj))
        prepared = claim_and_prepare(session, now, config, channels, ChannelHealth())
        assert len(prepared) == 3
    assert flushes == []
    # Its people are plain rows, not ORM entities: nothing of theirs to track or expire.
    assert not [entity for entity in entities if isinstance(entity, Person)]
    written = [world.person(f"+1415555{n:04d}").sms_footer_at for n in range(3)]
    assert written == [now] * 3


def test_leases_that_ran_out_are_looked_for_every_few_seconds_not_every_batch(
    db_engine: Engine, world: Harness
) -> None:
    runs = [world.start_run(phone=f"+1415555{n:04d}") for n in range(4)]
    world.clock.set(world.step(runs[0], "ack").due_at)
    dispatcher = world.dispatcher(batch=1)
    outcomes: list[dict[str, int]] = []
    writes = _writes_during(db_engine, lambda: outcomes.append(dispatcher.tick()))
    assert outcomes == [{"sent": 4}]  # four batches and a last, empty claim
    assert writes["lease-expired claim"] == 1

    # A dispatcher that died holding a step: found at the next look, a few seconds on.
    checkin = world.step(runs[0], "checkin")
    now = world.clock.now()
    world.update_step(
        checkin.id, status="claimed", claimed_by="gone", lease_until=now - timedelta(seconds=1)
    )
    world.update_step(checkin.id, due_at=now - timedelta(hours=1))
    assert _writes_during(db_engine, dispatcher.tick)["lease-expired claim"] == 0
    world.clock.advance(RECOVERY_INTERVAL)
    writes = _writes_during(db_engine, lambda: outcomes.append(dispatcher.tick()))
    assert (outcomes[-1], writes["lease-expired claim"]) == ({"sent": 1}, 1)


def test_only_a_record_of_accepted_sends_commits_without_waiting_for_the_disk(
    db_engine: Engine, clock: FakeClock
) -> None:
    """A record that only writes the providers' answers may be lost in a crash of PostgreSQL
    itself: its sends are then left in doubt, as a dispatcher killed mid-send leaves them
    (never sent twice). A record that puts a step back in the queue must last."""
    world = Harness(db_engine, clock, sms=FlakyChannel())
    runs = [world.start_run(phone=f"+1415555{n:04d}") for n in range(2)]
    world.clock.set(world.step(runs[0], "ack").due_at)
    dispatcher = world.dispatcher()
    seen: list[str] = []

    def before_commit(conn: Any) -> None:
        if world.is_postgres:
            seen.append(str(conn.exec_driver_sql("SHOW synchronous_commit").scalar()))

    event.listen(db_engine, "commit", before_commit)
    try:
        assert dispatcher.tick() == {"sent": 2}
        world.clock.set(world.step(runs[0], "checkin").due_at)

        def sigterm_arrives(_message: Any) -> None:
            dispatcher.stopping = True

        world.sms.during_send = sigterm_arrives  # type: ignore[attr-defined]
        assert dispatcher.tick() == {"sent": 1, "released": 1}
    finally:
        event.remove(db_engine, "commit", before_commit)
    if world.is_postgres:
        # Each tick: the look for expired leases' claim, the claim, the record.
        assert seen == ["on", "off", "on", "on"]

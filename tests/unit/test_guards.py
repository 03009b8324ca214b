"""The guards as a pure decision over what a claim read: no database, every branch a value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from onward.engine.dispatch.guards import Release, Rules, Send, decide
from onward.engine.dispatch.values import Batch, Claimed, DeliveryRow, Prompt, StepRow
from onward.engine.storage.models import PersonRow
from onward.plans import SendWindow, load_plan, parse_window, shipped_plan_source

PLAN = load_plan(shipped_plan_source("standard"), "standard.yaml")
NOON_LA = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)  # a Wednesday, 12:00 in San Francisco
RULES = Rules(
    grace=timedelta(hours=6),
    default_window=parse_window("09:00-20:00"),
    channel_names={"sms": "twilio", "email": "smtp"},
    held=frozenset(),
)


def person(**values: Any) -> PersonRow:
    fields: dict[str, Any] = {
        "id": 7,
        "phone": "+14155550100",
        "email": None,
        "timezone": "America/Los_Angeles",
        "country": "US",
        "sms_status": "active",
        "email_status": "active",
        "preferred_medium": "sms",
        "send_window": None,
        "language": None,
        "sms_footer_at": None,
        "email_footer_at": None,
    }
    fields.update(values)
    return PersonRow(**fields)


def claimed(
    key: str = "checkin",
    due: datetime = NOON_LA,
    run_status: str = "active",
    reminder_of: int | None = None,
    someone: PersonRow | None = None,
    medium: str | None = None,
) -> Claimed:
    step = StepRow(
        id=11,
        run_id=3,
        step_key=key,
        reminder_of=reminder_of,
        due_at=due,
        status="claimed",
        claimed_by="w1",
        lease_until=due + timedelta(minutes=2),
        attempts=0,
        last_error=None,
        sent_at=None,
        medium=medium,
    )
    return Claimed(step, (), run_status, 7, 0, 1, "Acme", "Engineer", someone or person())


def batch(item: Claimed, earlier: DeliveryRow | None = None, parent: Prompt | None = None) -> Batch:
    latest = {item.step.id: earlier} if earlier is not None else {}
    parents = {item.step.reminder_of: parent} if parent and item.step.reminder_of else {}
    return Batch([item], latest, {}, parents, {}, {1: PLAN})


def delivery(status: str) -> DeliveryRow:
    return DeliveryRow(
        id=5,
        step_id=11,
        status=status,
        status_rank=0,
        error=None,
        updated_at=NOON_LA,
        channel="twilio",
        medium="sms",
        address="+14155550100",
        attempts=1,
        created_at=NOON_LA - timedelta(minutes=1),
        body_digest=None,
    )


def decided(item: Claimed, now: datetime = NOON_LA, **kwargs: object) -> Release | Send:
    windows: dict[tuple[str | None, int], SendWindow] = {}
    return decide(item, batch(item, **kwargs), now, RULES, windows)  # type: ignore[arg-type]


def test_a_due_step_of_a_reachable_person_is_sent_rendered_on_their_medium() -> None:
    decision = decided(claimed())
    assert isinstance(decision, Send)
    assert (decision.channel_name, decision.medium, decision.address) == (
        "twilio",
        "sms",
        "+14155550100",
    )
    assert decision.text and not decision.reuse
    assert decision.expires_at == datetime(2026, 11, 26, 4, 0, tzinfo=UTC)  # 20:00 there


def test_a_paused_run_holds_the_step_and_an_ended_one_cancels_it() -> None:
    assert decided(claimed(run_status="paused")) == Release("held")
    ended = decided(claimed(run_status="superseded"), earlier=delivery("queued"))
    assert ended == Release(
        "cancelled",
        status="cancelled",
        last_error="run superseded",
        earlier_state="cancelled",
        earlier_error="run superseded",
    )


@pytest.mark.parametrize(
    ("status", "outcome", "earlier_state"),
    [
        ("sending", "unknown", "unknown"),
        ("unknown", "unknown", None),
        ("sent", "already-sent", None),
    ],
)
def test_a_step_whose_delivery_may_have_gone_is_never_sent_again(
    status: str, outcome: str, earlier_state: str | None
) -> None:
    decision = decided(claimed(), earlier=delivery(status))
    assert isinstance(decision, Release)
    assert (decision.outcome, decision.status, decision.earlier_state) == (
        outcome,
        "sent",
        earlier_state,
    )
    assert decision.sent_at == NOON_LA - timedelta(minutes=1)


def test_a_queued_retry_is_sent_again_on_its_own_delivery() -> None:
    decision = decided(claimed(), earlier=delivery("queued"))
    assert isinstance(decision, Send) and decision.reuse


def test_a_step_overdue_past_the_grace_is_missed_not_sent_late() -> None:
    late = decided(claimed(due=NOON_LA - timedelta(hours=6, seconds=1)))
    assert isinstance(late, Release) and (late.outcome, late.status) == ("missed", "missed")
    assert decided(claimed(due=NOON_LA - timedelta(hours=6))).__class__ is Send


def test_a_step_due_at_night_moves_to_the_morning() -> None:
    night = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 22:00 in San Francisco
    decision = decided(claimed(due=night), now=night)
    assert decision == Release(
        "rescheduled", status="pending", due_at=datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
    )


def test_a_reminder_of_an_answered_prompt_is_skipped() -> None:
    answered = Prompt("sent", NOON_LA - timedelta(days=1), NOON_LA - timedelta(hours=1))
    decision = decided(claimed("reflect.reminder", reminder_of=9), parent=answered)
    assert isinstance(decision, Release)
    assert (decision.outcome, decision.last_error) == ("skipped", "the prompt was answered")


def test_nobody_reachable_skips_and_a_held_channel_waits() -> None:
    gone = decided(claimed(someone=person(sms_status="opted_out")))
    assert isinstance(gone, Release) and gone.outcome == "skipped"
    held_rules = Rules(RULES.grace, RULES.default_window, RULES.channel_names, {"twilio"})
    item = claimed()
    held = decide(item, batch(item), NOON_LA, held_rules, {})
    assert held == Release("held", status="pending", due_at=NOON_LA + timedelta(minutes=5))


def test_deciding_changes_nothing_it_was_given() -> None:
    item = claimed(run_status="superseded")
    earlier = delivery("queued")
    decided(item, earlier=earlier)
    assert (item.step.status, item.step.last_error, earlier.status) == ("claimed", None, "queued")

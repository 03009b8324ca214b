"""The operator's listings and actions: people, runs, deliveries and channels, through `main()`."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from onward.engine.cli import main
from onward.engine.cli.state import state
from onward.engine.clock import FakeClock
from onward.engine.inbound.commands import DEFAULT_PAUSE
from onward.engine.plan_store import install_shipped_plans, latest_version
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from onward.engine.storage.models import (
    Delivery,
    InboundMessage,
    JournalEntry,
    Person,
    Rejection,
    Run,
    Step,
)
from onward.plans import shipped_plan_source

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
PHONE, EMAIL = "+14155550100", "sam@example.org"
PERSON_KEYS = {
    "id",
    "phone",
    "email",
    "timezone",
    "language",
    "sms",
    "email_status",
    "preferred_medium",
    "send_window",
    "created_at",
    "open_runs",
}
RUN_KEYS = {
    "id",
    "person",
    "plan",
    "version",
    "company",
    "role",
    "status",
    "started_at",
    "next_due",
    "paused_until",
    "applied",
}
DELIVERY_KEYS = {
    "id",
    "run",
    "step",
    "channel",
    "medium",
    "address",
    "status",
    "provider_id",
    "error",
    "note",
    "error_code",
    "attempts",
    "created_at",
    "updated_at",
}
STEP_KEYS = {
    "id",
    "step",
    "kind",
    "reminder_of",
    "due_at",
    "status",
    "sent_at",
    "attempts",
    "last_error",
}


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def onward(*args: str, input: str | None = None, tty: bool = False) -> Outcome:
    """Run the console script's `main()` with captured streams (stdin is not a terminal)."""
    # A wide "terminal", so that rich tables show whole cells to the assertions.
    with CliRunner().isolation(input=input, env={"COLUMNS": "250"}) as (out, err, _mixed):
        if tty:  # the one way to say "a person is at the keyboard" inside the runner
            sys.stdin.isatty = lambda: True  # type: ignore[method-assign]
        code = main(list(args))
        sys.stdout.flush()
        sys.stderr.flush()
        return Outcome(code, out.getvalue().decode(), err.getvalue().decode())


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def runtime(sqlite_engine: Engine) -> Iterator[Runtime]:
    url = sqlite_engine.url.render_as_string(hide_password=False)
    runtime = Runtime(load_settings({"ONWARD_DATABASE_URL": url}), clock=FakeClock(NOW))
    with runtime.sessions.begin() as session:
        install_shipped_plans(session, runtime.clock)
    state.use(runtime)
    yield runtime
    state.use(None)
    runtime.engine.dispose()


def add_person(
    session: Session, phone: str | None = None, email: str | None = None, **fields: Any
) -> Person:
    person = Person(
        phone=phone,
        email=email,
        timezone=fields.pop("timezone", "UTC"),
        created_at=NOW,
        updated_at=NOW,
        **fields,
    )
    session.add(person)
    session.flush()
    return person


def add_run(
    session: Session,
    person: Person,
    company: str = "Acme",
    role: str = "Designer",
    status: str = "active",
    started: datetime = NOW,
) -> Run:
    rejection = Rejection(person_id=person.id, company=company, role=role, reported_at=started)
    session.add(rejection)
    session.flush()
    version = latest_version(session, "standard")
    assert version is not None
    run = Run(
        person_id=person.id,
        rejection_id=rejection.id,
        plan_version_id=version.id,
        status=status,
        started_at=started,
        applied_count=0,
    )
    session.add(run)
    session.flush()
    return run


def add_step(
    session: Session,
    run: Run,
    key: str,
    due: datetime,
    status: str = "pending",
    reminder_of: int | None = None,
    kind: str = "reflect",
) -> Step:
    step = Step(
        run_id=run.id,
        step_key=key,
        kind=kind,
        seq=0,
        due_at=due,
        status=status,
        reminder_of=reminder_of,
        attempts=0,
    )
    session.add(step)
    session.flush()
    return step


def add_delivery(
    session: Session,
    run: Run,
    step: Step | None,
    status: str = "delivered",
    created: datetime = NOW,
    **fields: Any,
) -> Delivery:
    delivery = Delivery(
        step_id=step.id if step else None,
        run_id=run.id if run else None,
        person_id=run.person_id,
        channel="console",
        medium="sms",
        address=PHONE,
        status=status,
        created_at=created,
        updated_at=created,
        **fields,
    )
    session.add(delivery)
    session.flush()
    return delivery


@pytest.fixture
def world(runtime: Runtime) -> dict[str, int]:
    """Sam (phone, a run with waiting steps), Alex (email only, opted out, a paused run)."""
    with runtime.sessions.begin() as s:
        sam = add_person(s, phone=PHONE, timezone="America/Los_Angeles", send_window="00:00-24:00")
        alex = add_person(s, email=EMAIL, email_status="opted_out", preferred_medium="email")
        old = add_run(s, sam, company="Initech", status="superseded", started=NOW - timedelta(9))
        run = add_run(s, sam)
        sent = add_step(s, run, "ack", NOW - timedelta(hours=1), status="sent", kind="message")
        reflect = add_step(s, run, "reflect", NOW + timedelta(days=2), status="claimed")
        add_step(s, run, "feedback", NOW + timedelta(days=3))
        add_step(s, run, "reflect.reminder", NOW + timedelta(hours=2), reminder_of=reflect.id)
        paused = add_run(s, alex, company="", role="", status="paused", started=NOW - timedelta(1))
        add_step(s, paused, "ack", NOW + timedelta(days=1))
        add_delivery(s, run, sent, provider_id="c-1", created=NOW - timedelta(hours=1))
        failed_at = NOW - timedelta(minutes=30)
        add_delivery(
            s,
            run,
            sent,
            status="failed",
            error="carrier said no",
            error_code="30007",
            created=failed_at,
        )
        add_delivery(s, run, None, status="undelivered", created=NOW - timedelta(minutes=10))
        s.add(
            JournalEntry(
                person_id=sam.id,
                run_id=run.id,
                step_key="reflect",
                text="the panel went badly",
                created_at=NOW,
            )
        )
        s.add(
            InboundMessage(
                channel="console",
                provider_message_id="m1",
                medium="sms",
                sender=PHONE,
                body="REJECTED Acme",
                person_id=sam.id,
                received_at=NOW,
            )
        )
        s.add(
            InboundMessage(
                channel="console",
                provider_message_id="m2",
                medium="sms",
                sender=PHONE,
                body="hello?",
                received_at=NOW,
            )
        )
        return {
            "sam": sam.id,
            "alex": alex.id,
            "run": run.id,
            "old": old.id,
            "paused": paused.id,
            "reflect": reflect.id,
        }


def test_people_list_json(world: dict[str, int]) -> None:
    result = onward("people", "list", "--json")
    assert result.code == 0, result.err
    sam, alex = result.json()
    assert set(sam) == PERSON_KEYS and set(alex) == PERSON_KEYS
    assert sam == {
        "id": world["sam"],
        "phone": PHONE,
        "email": None,
        "timezone": "America/Los_Angeles",
        "language": "en",
        "sms": "active",
        "email_status": "unconfirmed",
        "preferred_medium": "sms",
        "send_window": "00:00-24:00",
        "created_at": "2026-11-24T15:00:00Z",
        "open_runs": 1,
    }
    assert (alex["phone"], alex["email"], alex["email_status"]) == (None, EMAIL, "opted_out")
    assert alex["open_runs"] == 1
    table = onward("people", "list")
    assert table.code == 0 and PHONE in table.out and EMAIL in table.out


def test_people_show_any_phone_format_without_journal_text(world: dict[str, int]) -> None:
    result = onward("people", "show", "+1 (415) 555-0100", "--json")
    assert result.code == 0, result.err
    shown = result.json()
    assert set(shown) == PERSON_KEYS | {"runs", "journal_entries"}
    assert shown["journal_entries"] == 1 and "the panel" not in result.out
    assert [r["id"] for r in shown["runs"]] == [world["run"], world["old"]]
    assert all(set(r) == RUN_KEYS for r in shown["runs"])
    with_journal = onward("people", "show", PHONE, "--json", "--journal").json()
    [entry] = with_journal["journal"]
    assert entry == {
        "run": world["run"],
        "step": "reflect",
        "created_at": iso(NOW),
        "text": "the panel went badly",
    }
    assert onward("people", "show", EMAIL.upper()).code == 0


@pytest.mark.parametrize("who", ["+1 415 555 0199", "nobody@example.org", "not a number"])
def test_people_show_unknown_exits_1_with_one_line(world: dict[str, int], who: str) -> None:
    result = onward("people", "show", who, "--json")
    assert result.code == 1 and result.out == ""
    assert len(result.err.strip().splitlines()) == 1 and "error" in result.err


def rows_naming_sam(runtime: Runtime, sam_id: int) -> dict[str, int | None]:
    with runtime.sessions() as s:

        def count(column: Any, *where: Any) -> int | None:
            return s.scalar(select(func.count(column)).where(*where))

        return {
            "people": count(Person.id, Person.id == sam_id),
            "rejections": count(Rejection.id, Rejection.person_id == sam_id),
            "runs": count(Run.id, Run.person_id == sam_id),
            "steps": count(Step.id, Step.run_id.in_(select(Run.id).where(Run.person_id == sam_id))),
            "deliveries": count(Delivery.id, Delivery.person_id == sam_id),
            "journal": count(JournalEntry.id, JournalEntry.person_id == sam_id),
            "inbound": count(InboundMessage.id, InboundMessage.sender == PHONE),
        }


def test_forget_refuses_without_yes_off_a_terminal(runtime: Runtime, world: dict[str, int]) -> None:
    before = rows_naming_sam(runtime, world["sam"])
    result = onward("people", "forget", PHONE)
    assert result.code == 2
    assert "refusing to erase without --yes when not on a terminal" in result.err
    assert rows_naming_sam(runtime, world["sam"]) == before
    assert all(before.values())


def test_forget_on_a_terminal_asks_first(runtime: Runtime, world: dict[str, int]) -> None:
    declined = onward("people", "forget", PHONE, input="n\n", tty=True)
    assert declined.code == 1 and "Erase +14155550100" in declined.out
    assert rows_naming_sam(runtime, world["sam"])["people"] == 1
    agreed = onward("people", "forget", PHONE, input="y\n", tty=True)
    assert agreed.code == 0, agreed.err
    assert not any(rows_naming_sam(runtime, world["sam"]).values())


def test_forget_yes_erases_every_row_naming_them_and_nothing_else(
    runtime: Runtime, world: dict[str, int]
) -> None:
    result = onward("people", "forget", "+1 415-555-0100", "--yes")
    assert result.code == 0, result.err
    assert "erased +14155550100" in result.out
    assert rows_naming_sam(runtime, world["sam"]) == dict.fromkeys(
        ["people", "rejections", "runs", "steps", "deliveries", "journal", "inbound"], 0
    )
    people = onward("people", "list", "--json").json()
    assert [p["email"] for p in people] == [EMAIL]
    assert [r["id"] for r in onward("runs", "list", "--json").json()] == [world["paused"]]


def test_runs_list_json_and_next_due(world: dict[str, int]) -> None:
    result = onward("runs", "list", "--json")
    assert result.code == 0, result.err
    rows = {row["id"]: row for row in result.json()}
    assert all(set(row) == RUN_KEYS for row in rows.values())
    # The claimed step counts as waiting; the sent step and the earlier reminder do not.
    assert rows[world["run"]] == {
        "id": world["run"],
        "person": PHONE,
        "plan": "standard",
        "version": 1,
        "company": "Acme",
        "role": "Designer",
        "status": "active",
        "started_at": iso(NOW),
        "next_due": iso(NOW + timedelta(days=2)),
        "paused_until": None,
        "applied": 0,
    }
    assert rows[world["old"]]["next_due"] is None
    assert rows[world["old"]]["status"] == "superseded"
    assert rows[world["paused"]]["person"] == EMAIL
    assert list(rows) == [world["run"], world["paused"], world["old"]]  # newest first
    active = onward("runs", "list", "--active", "--json").json()
    assert {r["id"] for r in active} == {world["run"], world["paused"]}
    assert "Acme" in onward("runs", "list", "--active").out


def test_runs_show_json(world: dict[str, int]) -> None:
    result = onward("runs", "show", str(world["run"]), "--json")
    assert result.code == 0, result.err
    shown = result.json()
    assert set(shown) == RUN_KEYS | {"ended_at", "pause_reason", "arm", "steps", "deliveries"}
    assert all(set(step) == STEP_KEYS for step in shown["steps"])
    assert [s["step"] for s in shown["steps"]] == ["ack", "reflect.reminder", "reflect", "feedback"]
    assert shown["steps"][1]["reminder_of"] == world["reflect"]
    assert len(shown["deliveries"]) == 3
    assert onward("runs", "show", "999").code == 1
    assert "reflect.reminder" in onward("runs", "show", str(world["run"])).out


def run_state(
    runtime: Runtime, run_id: int
) -> tuple[str, datetime | None, dict[str, tuple[str, datetime]]]:
    with runtime.sessions() as s:
        run = s.get_one(Run, run_id)
        steps = {
            st.step_key: (st.status, st.due_at)
            for st in s.scalars(select(Step).where(Step.run_id == run_id))
        }
        return run.status, run.paused_until, steps


def test_runs_pause_for_then_resume_shifts_waiting_steps(
    runtime: Runtime, world: dict[str, int]
) -> None:
    run_id = str(world["run"])
    paused = onward("runs", "pause", run_id, "--for", "3d")
    assert paused.code == 0, paused.err
    status, until, before = run_state(runtime, world["run"])
    assert (status, until) == ("paused", NOW + timedelta(days=3))
    assert isinstance(runtime.clock, FakeClock)
    runtime.clock.advance(timedelta(days=1))
    resumed = onward("runs", "resume", run_id)
    assert resumed.code == 0, resumed.err
    status, until, after = run_state(runtime, world["run"])
    assert (status, until) == ("active", None)
    assert after["feedback"] == ("pending", before["feedback"][1] + timedelta(days=1))
    assert after["ack"] == before["ack"]  # what was sent stays put
    assert onward("runs", "resume", run_id).code == 2  # not paused any more


def test_runs_pause_without_duration_holds_as_long_as_the_pause_text(
    runtime: Runtime, world: dict[str, int]
) -> None:
    assert onward("runs", "pause", str(world["run"])).code == 0
    assert run_state(runtime, world["run"])[:2] == ("paused", NOW + DEFAULT_PAUSE)


@pytest.mark.parametrize("duration", ["soon", "2d at 18:00", "0m", "-3d"])
def test_runs_pause_bad_duration_exits_2(
    runtime: Runtime, world: dict[str, int], duration: str
) -> None:
    result = onward("runs", "pause", str(world["run"]), "--for", duration)
    assert result.code == 2 and "--for" in result.err
    assert run_state(runtime, world["run"])[0] == "active"


def test_runs_actions_on_unknown_id_exit_1(world: dict[str, int]) -> None:
    for action in ("pause", "resume", "cancel"):
        extra = ["--yes"] if action == "cancel" else []
        result = onward("runs", action, "424242", *extra)
        assert result.code == 1 and "no run with id 424242" in result.err


def test_runs_cancel_needs_yes_off_a_terminal(runtime: Runtime, world: dict[str, int]) -> None:
    refused = onward("runs", "cancel", str(world["run"]))
    assert refused.code == 2 and "without --yes when not on a terminal" in refused.err
    assert run_state(runtime, world["run"])[0] == "active"
    done = onward("runs", "cancel", str(world["run"]), "--yes")
    assert done.code == 0, done.err
    status, _until, steps = run_state(runtime, world["run"])
    assert status == "cancelled"
    assert {key: st for key, (st, _due) in steps.items()} == {
        "ack": "sent",
        "reflect": "cancelled",
        "feedback": "cancelled",
        "reflect.reminder": "cancelled",
    }
    assert onward("runs", "cancel", str(world["run"]), "--yes").code == 2


def test_deliveries_list_json_failed_and_limit(world: dict[str, int]) -> None:
    result = onward("deliveries", "list", "--json")
    assert result.code == 0, result.err
    rows = result.json()
    assert all(set(row) == DELIVERY_KEYS for row in rows)
    assert [r["status"] for r in rows] == ["undelivered", "failed", "delivered"]  # newest first
    failed = rows[1]
    assert failed | {"id": 0} == {
        "id": 0,
        "run": world["run"],
        "step": "ack",
        "channel": "console",
        "medium": "sms",
        "address": PHONE,
        "status": "failed",
        "provider_id": None,
        "error": "carrier said no",
        "note": None,
        "error_code": "30007",
        "attempts": 1,
        "created_at": iso(NOW - timedelta(minutes=30)),
        "updated_at": iso(NOW - timedelta(minutes=30)),
    }
    assert rows[0]["step"] is None and rows[2]["provider_id"] == "c-1"
    only_failed = onward("deliveries", "list", "--failed", "--json").json()
    assert [r["status"] for r in only_failed] == ["undelivered", "failed"]
    assert len(onward("deliveries", "list", "--limit", "1", "--json").json()) == 1
    assert "carrier said no" in onward("deliveries", "list", "--failed").out


def test_deliveries_retry_requeues_the_step(runtime: Runtime, world: dict[str, int]) -> None:
    with runtime.sessions.begin() as s:
        run = s.get_one(Run, world["run"])
        step = add_step(s, run, "research", NOW - timedelta(hours=3), status="failed")
        step.attempts, step.last_error = 3, "timeout"
        delivery = add_delivery(s, run, step, status="failed", error="timeout")
        delivered = s.scalars(select(Delivery.id).where(Delivery.status == "delivered")).one()
        ids = (delivery.id, step.id)
    result = onward("deliveries", "retry", str(ids[0]))
    assert result.code == 0, result.err
    assert "queued again" in result.out
    with runtime.sessions() as s:
        delivery, step = s.get_one(Delivery, ids[0]), s.get_one(Step, ids[1])
        assert (delivery.status, delivery.error) == ("queued", None)
        assert (step.status, step.due_at, step.attempts, step.last_error) == (
            "pending",
            NOW,
            0,
            None,
        )
    assert onward("deliveries", "retry", str(delivered)).code == 2
    assert onward("deliveries", "retry", "999").code == 1


def channel_runtime(tmp_path: Path, **env: str) -> None:
    env = {"ONWARD_DATABASE_URL": f"sqlite:///{tmp_path}/c.db", **env}
    state.use(Runtime(load_settings(env), clock=FakeClock(NOW)))


def test_channels_list_defaults_to_console(tmp_path: Path) -> None:
    try:
        channel_runtime(tmp_path)
        result = onward("channels", "list", "--json")
        assert result.code == 0, result.err
        sms, email = result.json()
        assert (sms["medium"], sms["channel"], email["channel"]) == ("sms", "console", "console")
        assert sms["available"] is True and sms["problem"] is None and sms["settings"] == {}
        listing = onward("channels", "list").out
        assert "installed channels:" in listing and "console" in listing
        check = onward("channels", "check")
        assert check.code == 0 and check.out.count("ok") == 2
    finally:
        state.use(None)


def test_channels_list_never_shows_a_secret(tmp_path: Path) -> None:
    token, key = "tok_supersecret_9f8e7d", "SG.secret-key-abcdef"
    try:
        channel_runtime(
            tmp_path,
            TWILIO_ACCOUNT_SID="AC123",
            TWILIO_AUTH_TOKEN=token,
            ONWARD_TWILIO_FROM="+14155550123",
            SENDGRID_API_KEY=key,
            ONWARD_EMAIL_FROM="onward@example.org",
            # Once those channels are installed, `check` asks a port that refuses at once.
            ONWARD_TWILIO_API_BASE="http://127.0.0.1:9",
            ONWARD_SENDGRID_API_BASE="http://127.0.0.1:9",
        )
        result = onward("channels", "list", "--json")
        assert result.code == 0, result.err
        sms, email = result.json()
        assert (sms["channel"], email["channel"]) == ("twilio", "sendgrid")
        assert sms["settings"]["TWILIO_AUTH_TOKEN"] == "set"
        assert sms["settings"]["TWILIO_ACCOUNT_SID"] == "AC123"
        assert email["settings"]["SENDGRID_API_KEY"] == "set"
        assert email["settings"]["ONWARD_INBOUND_EMAIL_PASSWORD"] == "unset"
        table = onward("channels", "list")
        check = onward("channels", "check", "--json")
        for output in (result.out, table.out, table.err, check.out, check.err):
            assert token not in output and key not in output
            assert token[-4:] not in output and key[-4:] not in output
    finally:
        state.use(None)


def test_channels_check_fails_for_a_channel_that_cannot_load(tmp_path: Path) -> None:
    try:
        channel_runtime(tmp_path, ONWARD_SMS_CHANNEL="no-such-channel")
        result = onward("channels", "check", "--json")
        assert result.code == 1
        assert result.err.strip() == "error: channel check failed: sms (no-such-channel)"
        sms, email = result.json()
        assert sms["ok"] is False and "no-such-channel" in sms["detail"]
        assert email == {"medium": "email", "channel": "console", "ok": True, "detail": "ok"}
        listed = onward("channels", "list", "--json").json()
        assert listed[0]["available"] is False and "unknown channel" in listed[0]["problem"]
    finally:
        state.use(None)


# -- tables that read well in an 80-column terminal ------------------------------------------
# Short local times on one line, cells shown literally, flags shown as flags.

ISO_PIECE = re.compile(r"\d{4}-\d\d-\d\dT|\d\d:\d\d:\d\d")


def onward_80(*args: str, tz: str = "UTC") -> Outcome:
    """The console script in an 80-column terminal, in the operator's zone `tz`."""
    env = {"COLUMNS": "80", "TZ": tz}
    try:
        with CliRunner().isolation(env=env) as (out, err, _mixed):
            time.tzset()  # the C library reads TZ only when told to
            code = main(list(args))
            sys.stdout.flush()
            return Outcome(code, out.getvalue().decode(), err.getvalue().decode())
    finally:
        time.tzset()


LISTINGS = [
    ("people", "list"),
    ("runs", "list"),
    ("deliveries", "list"),
    ("plans", "list"),
    ("plans", "preview", "standard", "--at", "2026-11-24T15:00:00Z", "--tz", "Europe/London"),
]


@pytest.mark.parametrize("args", LISTINGS, ids=" ".join)
def test_tables_fit_80_columns_and_never_split_a_time(
    world: dict[str, int], args: tuple[str, ...]
) -> None:
    result = onward_80(*args)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines and max(len(line) for line in lines) <= 80
    assert not ISO_PIECE.search(result.out), "tables show short times; --json keeps ISO-8601"


def test_times_in_tables_are_local_to_the_operator_and_named(world: dict[str, int]) -> None:
    result = onward_80("runs", "list", tz="America/New_York")
    assert "times in EST" in result.out
    assert "2026-11-26 15:00" not in result.out  # the next nudge, due at 15:00 UTC ...
    assert "2026-11-26 10:00" in result.out  # ... is 10:00 in New York


def test_json_keeps_full_iso_times(world: dict[str, int]) -> None:
    result = onward_80("runs", "list", "--json")
    assert result.code == 0
    assert "2026-11-24T" in result.out and result.out.rstrip().endswith("]")


def test_rich_markup_in_a_cell_is_shown_literally(world: dict[str, int], tmp_path: Path) -> None:
    # A draft with a bracketed blank, as plan texts have ("Thanks, [your name]").
    plan = tmp_path / "drafts.yaml"
    source = shipped_plan_source("standard").replace("name: standard", "name: drafts", 1)
    plan.write_text(source.replace("I'm so sorry", "[b]Hi[/b], I'm so sorry", 1))
    result = onward_80("plans", "preview", str(plan), "--at", "2026-11-24T15:00:00Z")
    assert result.code == 0, result.err
    assert "[b]Hi[/b]" in result.out  # rich would have taken it for markup and eaten it


@pytest.mark.parametrize("command", [("runs", "list"), ("people", "list"), ("plans", "list")])
def test_json_is_shown_as_a_flag_in_help(command: tuple[str, ...]) -> None:
    result = onward_80(*command, "--help")
    line = next(line for line in result.out.splitlines() if "--json" in line)
    assert "<bool>" not in line and "BOOLEAN" not in line


def test_plans_list_marks_the_default_and_keywords_that_never_start_a_plan(
    runtime: Runtime, tmp_path: Path
) -> None:
    # A second plan that claims gentle's keywords: gentle (first by name) keeps them.
    shadowed = tmp_path / "later.yaml"
    shadowed.write_text(shipped_plan_source("gentle").replace("name: gentle", "name: later", 1))
    assert onward_80("plans", "add", str(shadowed)).code == 0
    result = onward_80("plans", "list")
    assert re.search(r"standard \*", result.out)
    later = next(line for line in result.out.splitlines() if line.startswith("later"))
    assert "(SETBACK)" in later and "(ROUGH)" in later
    gentle_line = next(line for line in result.out.splitlines() if line.startswith("gentle"))
    assert "SETBACK" in gentle_line and "(SETBACK)" not in gentle_line
    rows = {row["name"]: row for row in json.loads(onward_80("plans", "list", "--json").out)}
    assert rows["later"]["live_keywords"] == [] and rows["standard"]["default"] is True

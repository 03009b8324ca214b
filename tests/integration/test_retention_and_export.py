"""Retention, the subject access export and the consent CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

from sqlalchemy import Engine, func, select

from onward.engine import audit
from onward.engine.clock import FakeClock
from onward.engine.coaches import staff
from onward.engine.housekeeping import sweep
from onward.engine.logs import configure_logging
from onward.engine.metrics import RETENTION_ERASED
from onward.engine.records.retention import erase_idle
from onward.engine.runtime import Runtime
from onward.engine.storage.models import JournalEntry
from onward.engine.storage.record_models import Suppression
from onward.plans import load_shipped_plan, parse_window
from tests.integration.inbound_helpers import PHONE, Talk
from tests.integration.records_helpers import MakeRuntime
from tests.integration.test_cli_listings import onward

IDLE, BUSY = "+14155550150", "+14155550151"
WINDOW = parse_window("09:00-20:00")


def test_retention_erases_the_idle_as_forget_does_and_counts_them(
    records: Runtime, engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(engine, clock)
    talk.say("REJECTED Acme", IDLE)
    talk.say("REJECTED Acme", BUSY)
    talk.later(days=700)
    talk.say("APPLIED", BUSY)  # a message is activity
    talk.later(days=31)  # IDLE: 731 days without a word either way
    before = RETENTION_ERASED._value.get()
    log = io.StringIO()
    configure_logging("json", "INFO", stream=log)
    try:
        with records.sessions.begin() as session:
            counts = sweep(session, clock.now(), WINDOW, retention_days=730)
    finally:
        configure_logging()
    assert counts["erased_by_retention"] == 1
    assert RETENTION_ERASED._value.get() == before + 1
    assert talk.person(IDLE) is None and talk.person(BUSY) is not None
    with records.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Suppression)) == 1
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    [line] = [entry for entry in lines if entry.get("count") == 1]
    assert line["days"] == 730
    assert IDLE not in log.getvalue() and IDLE[-4:] not in log.getvalue()


def test_retention_keeps_anyone_touched_in_the_period_and_zero_turns_it_off(
    records: Runtime, engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(engine, clock)
    talk.say("REJECTED Acme", IDLE)
    talk.later(days=729)
    with records.sessions.begin() as session:
        assert erase_idle(session, clock.now(), 730) == 0
    talk.later(days=2)
    with records.sessions.begin() as session:
        assert erase_idle(session, clock.now(), 0) == 0  # retention off
        assert erase_idle(session, clock.now(), 730) == 1


def test_export_holds_everything_and_writes_a_private_page(
    records: Runtime, engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    talk = Talk(engine, clock)
    talk.say("REJECTED Acme - Analyst")
    run = talk.run()
    talk.mark_sent(run.id, "reflect")
    talk.say("It went <script>alert(1)</script> fine")
    person_id = talk.me().id
    with talk.sessions.begin() as session:  # a coach opened their page
        coach = staff.add_staff(
            session, "robin@example.org", "coach", "Robin", "a long passphrase", clock.now()
        )
        audit.record(session, coach.id, audit.VIEW_PERSON, person_id, clock.now())
    result = onward("people", "export", PHONE)
    assert result.code == 0, result.err
    data = result.json()
    assert set(data) >= {
        "profile",
        "consent",
        "rejections",
        "runs",
        "messages_in",
        "messages_out",
        "journal",
    }
    assert data["profile"]["phone"] == PHONE
    assert data["rejections"][0]["company"] == "Acme"
    assert [m["text"] for m in data["messages_in"]] == [
        "REJECTED Acme - Analyst",
        "It went <script>alert(1)</script> fine",
    ]
    assert data["messages_in"][0]["reply"]  # what onward answered at once
    assert data["journal"][0]["text"] == "It went <script>alert(1)</script> fine"
    assert data["consent"][0]["event"] == "opt_in"
    [seen] = data["staff_actions"]
    assert (seen["staff"], seen["action"]) == ("robin@example.org", "view_person")

    out = tmp_path / "sar.json"
    written = onward("people", "export", PHONE, "--out", str(out))
    assert written.code == 0, written.err
    page = (tmp_path / "sar.html").read_text(encoding="utf-8")
    assert json.loads(out.read_text(encoding="utf-8"))["profile"]["id"] == data["profile"]["id"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    assert "Your journal" in page and "Your consent" in page
    for path in (out, tmp_path / "sar.html"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert onward("people", "export", "+14155550199").code == 1


def test_export_renders_the_texts_onward_sent(
    records: Runtime, engine: Engine, clock: FakeClock
) -> None:
    from tests.integration.dispatch_helpers import FlakyChannel, Harness

    sms = FlakyChannel()
    world = Harness(engine, clock, sms=sms)
    run_id = world.start_run(PHONE, company="Globex")
    world.clock.set(world.step(run_id, "ack").due_at)
    world.dispatcher().tick()
    out = onward("people", "export", PHONE).json()["messages_out"]
    assert out[0]["step"] == "ack"
    assert sms.outbox[0].body.startswith(out[0]["text"])  # as sent, less the opt-out footer
    assert "Globex" in out[0]["text"] and out[0]["text_note"].startswith("rendered again")


def test_consent_list_and_revoke_on_the_command_line(
    records: Runtime, engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(engine, clock)
    talk.say("REJECTED Acme")
    talk.say("please stop")
    talk.say("START")
    rows = onward("consent", "list", "+1 (415) 555-0100", "--json").json()
    assert [r["event"] for r in rows] == ["opt_in", "opt_out", "re_subscription"]
    table = onward("consent", "list", PHONE)
    assert table.code == 0 and "re_subscription" in table.out
    assert onward("consent", "list", "nobody@example.org").code == 1
    revoked = onward("consent", "revoke", PHONE, "--reason", "asked on the phone")
    assert revoked.code == 0, revoked.err
    assert talk.me().sms_status == "opted_out"
    last = onward("consent", "list", PHONE, "--json").json()[-1]
    assert (last["event"], last["how"]) == ("revocation", "operator")
    assert last["detail"] == "onward consent revoke: asked on the phone"
    assert onward("consent", "revoke", PHONE, "--medium", "email", "--reason", "x").code == 2


def test_compliance_pack_as_markdown_and_json(make_runtime: MakeRuntime) -> None:
    make_runtime(ONWARD_OPERATOR_NAME="Northside Careers")
    bare = onward("compliance", "pack")
    assert bare.code == 0
    assert "# Campaign registration: Northside Careers (standard plan)" in bare.out
    assert "ONWARD_PRIVACY_POLICY_URL is not set" in bare.err
    make_runtime(
        ONWARD_OPERATOR_NAME="Northside Careers",
        ONWARD_PRIVACY_POLICY_URL="https://careers.example.edu/privacy",
    )
    pack = onward("compliance", "pack", "--plan", "gentle", "--json")
    assert pack.code == 0 and pack.err == ""
    data = pack.json()
    assert data["plan"] == "gentle"
    assert data["privacy_policy_url"] == "https://careers.example.edu/privacy"
    assert data["missing"] == []
    assert "Msg & data rates may apply" in data["opt_in"]["welcome_message"]
    assert "STOP" in data["opt_out"]["keywords"]
    assert data["help"]["reply"].startswith("Northside Careers")
    assert data["sample_messages"][0]["step"] == "ack"
    assert len(data["sample_messages"]) == len(load_shipped_plan("gentle").steps)  # one a step
    assert all("{{" not in s["text"] for s in data["sample_messages"])
    assert onward("compliance", "pack", "--plan", "nope").code == 1


def test_journal_rows_are_in_the_export_only_for_their_person(
    records: Runtime, engine: Engine, clock: FakeClock
) -> None:
    talk = Talk(engine, clock)
    for phone in (PHONE, BUSY):
        talk.say("REJECTED Acme", phone)
        talk.mark_sent(talk.run(phone).id, "reflect")
        talk.say(f"notes of {phone}", phone)
    with records.sessions() as session:
        assert session.scalar(select(func.count()).select_from(JournalEntry)) == 2
    data = onward("people", "export", PHONE).json()
    assert [j["text"] for j in data["journal"]] == [f"notes of {PHONE}"]
    assert all(m["from"] == PHONE for m in data["messages_in"])
    assert data["profile"]["id"] == talk.me().id

"""`onward people import` on SQLite and PostgreSQL: consented people are enrolled in one
transaction, each refused row is named by its line, and each new person gets one welcome that
the dispatcher sends inside their window, and nothing else until they report a rejection."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from onward.engine import consent_ledger
from onward.engine.clock import FakeClock
from onward.engine.runtime import Runtime
from onward.engine.storage.models import Person, Run, Step
from onward.engine.storage.record_models import Suppression
from tests.integration.dispatch_helpers import FlakyChannel, Harness
from tests.integration.inbound_helpers import Talk
from tests.integration.test_cli_listings import onward

ANN, BEA = "+14155550101", "bea@example.org"  # Ann: Los Angeles by her number
OPTED_OUT, ERASED, KNOWN = "+14155550102", "+14155550103", "+14155550104"
HEADER = "phone,email,name,consent_source,consent_date,timezone\n"


def write(tmp_path: Path, body: str, name: str = "cohort.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_import_enrols_the_consented_and_refuses_the_rest_by_line(
    records: Runtime, engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    talk = Talk(engine, clock)
    talk.say("REJECTED Acme", OPTED_OUT)
    talk.say("STOP", OPTED_OUT)
    talk.say("REJECTED Acme", ERASED)
    talk.say("FORGET", ERASED)
    talk.say("FORGET YES", ERASED)
    talk.say("REJECTED Initech", KNOWN)
    csv = write(
        tmp_path,
        f"{ANN},,Ann Lee,Spring careers fair sign-up,2026-10-01,\n"  # line 2
        f",{BEA.upper()},Bea,Advising form,2026-11-02,Europe/London\n"  # line 3
        f"{OPTED_OUT},,Olly,form,2026-10-01,\n"  # 4
        f"{ERASED},,Erin,form,2026-10-01,\n"  # 5
        f"{KNOWN},,Kit,form,2026-10-01,\n"  # 6
        "not a number,,Nat,form,2026-10-01,\n"  # 7
        f"+14155550109,,Noor,,2026-10-01,\n"  # 8
        f"+14155550110,,Mo,form,,\n"  # 9
        f"{ANN},,Ann twice,form,2026-10-01,\n",  # 10
    )
    result = onward("people", "import", str(csv), "--json")
    assert result.code == 1, result.err  # some rows were refused
    report = result.json()
    assert [r["line"] for r in report["imported"]] == [2, 3]
    reasons = {r["line"]: r["reason"] for r in report["refused"]}
    assert sorted(reasons) == [4, 5, 6, 7, 8, 9, 10]
    assert reasons[4].startswith("opted out")
    assert reasons[5].startswith("suppressed")
    assert reasons[6].startswith("already known")
    assert reasons[7].startswith("malformed phone")
    assert reasons[8] == "missing consent: consent_source is empty"
    assert reasons[9] == "missing consent: consent_date is empty"
    assert reasons[10] == "duplicate: the same person as line 2"

    with records.sessions() as session:
        ann = session.scalars(select(Person).where(Person.phone == ANN)).one()
        bea = session.scalars(select(Person).where(Person.email == BEA)).one()
        assert (ann.name, ann.timezone, ann.sms_status) == (
            "Ann Lee",
            "America/Los_Angeles",
            "active",
        )
        assert (bea.timezone, bea.email_status, bea.preferred_medium) == (
            "Europe/London",
            "active",
            "email",
        )
        # Their links carry a random value of their own, as for anyone who texts in.
        assert ann.link_key and bea.link_key and ann.link_key != bea.link_key
        [row] = consent_ledger.ledger_rows(session, ann.id)
        assert consent_ledger.disagreements(session) == []
    assert (row["event"], row["how"]) == ("opt_in", "import")
    assert row["detail"] == "Spring careers fair sign-up (imported from cohort.csv, line 2)"
    assert row["given_at"] == datetime(2026, 10, 1, tzinfo=UTC)


def test_the_welcome_leaves_through_the_dispatcher_inside_the_window_and_alone(
    records: Runtime, engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    # 15:00 UTC is 07:00 in Los Angeles: before Ann's window opens at 09:00.
    csv = write(tmp_path, f"{ANN},,Ann,Spring careers fair,2026-10-01,\n")
    assert onward("people", "import", str(csv)).code == 0
    sms = FlakyChannel()
    world = Harness(engine, clock, sms=sms, email=FlakyChannel(medium="email"))
    dispatcher = world.dispatcher()
    assert dispatcher.tick() == {}  # not due before the window opens
    sent = world.drive(dispatcher)
    assert [outcome for _, outcome in sent] == ["sent"]
    assert sent[0][0] == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # 09:00 in Los Angeles
    [welcome] = sms.outbox
    assert welcome.to == ANN
    for needed in (
        "onward",
        "Up to 10 msgs over 2 wks",
        "Msg & data rates may apply",
        "HELP",
        "STOP",
    ):
        assert needed in welcome.body
    assert dispatcher.earliest_due() is None  # nothing else until a rejection
    # Their own rejection starts the plan; the welcome run gives way.
    Talk(engine, clock).say("REJECTED Acme", ANN)
    with records.sessions() as session:
        plans = session.execute(
            select(Run.status, Run.rejection_id.is_(None)).order_by(Run.id)
        ).all()
    assert [tuple(p) for p in plans] == [("superseded", True), ("active", False)]


def test_a_dry_run_checks_every_row_and_imports_nothing(records: Runtime, tmp_path: Path) -> None:
    csv = write(tmp_path, f"{ANN},,Ann,form,2026-10-01,\n,x@,Bad,form,2026-10-01,\n")
    result = onward("people", "import", str(csv), "--dry-run")
    assert result.code == 1
    assert "would import 1 person, refused 1 row" in result.out
    assert f"{csv}:3: malformed email" in result.err
    with records.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0
        assert session.scalar(select(func.count()).select_from(Step)) == 0


def test_a_file_without_the_consent_columns_imports_nothing(
    records: Runtime, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"phone,name\n{ANN},Ann\n", encoding="utf-8")
    result = onward("people", "import", str(path))
    assert result.code == 2
    assert "missing columns: consent_source, consent_date" in result.err
    assert onward("people", "import", str(tmp_path / "nope.csv")).code == 1
    with records.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0


def test_only_a_message_from_an_erased_number_lifts_its_suppression(
    records: Runtime, engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    talk = Talk(engine, clock)
    talk.say("REJECTED Acme", ERASED)
    talk.say("FORGET", ERASED)
    talk.say("FORGET YES", ERASED)
    with records.sessions() as session:
        hashes = session.scalars(select(Suppression.key_hash)).all()
    assert len(hashes) == 1 and ERASED[1:] not in hashes[0]  # a keyed hash, not the number
    csv = write(tmp_path, f"{ERASED},,Erin,form,2026-10-01,\n")
    assert onward("people", "import", str(csv)).code == 1  # an operator cannot bring them back
    talk.say("hello", ERASED)  # not a consent: no person, still suppressed
    assert onward("people", "import", str(csv)).code == 1
    talk.say("REJECTED Globex", ERASED)  # they came back themselves
    with records.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Suppression)) == 0
    refused = onward("people", "import", str(csv), "--json").json()["refused"]
    assert refused[0]["reason"].startswith("already known")

"""People's words sealed at rest: journal entries and inbound messages, on both databases."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, Text, delete, select, type_coerce, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from onward.engine.cli import app
from onward.engine.cli.state import state
from onward.engine.errors import ConfigError
from onward.engine.settings import load_settings
from onward.engine.storage import journal_keys
from onward.engine.storage.db import create_db_engine
from onward.engine.storage.migrate import upgrade
from onward.engine.storage.models import AppSetting, InboundMessage, JournalEntry, Person
from onward.engine.storage.sealing import PREFIX, STORED_KEY, UnreadableWords, key_id, new_key

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
WORDS = "The panel asked about dbt and I froze. I felt stupid."


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def write_words(engine: Engine, text: str = WORDS, phone: str = "+14155550100") -> tuple[int, int]:
    with Session(engine) as session, session.begin():
        person = Person(phone=phone, timezone="UTC", created_at=NOW, updated_at=NOW)
        session.add(person)
        session.flush()
        entry = JournalEntry(person_id=person.id, text=text, created_at=NOW)
        message = InboundMessage(
            channel="console",
            provider_message_id=f"m-{text[:8]}",
            medium="sms",
            sender=phone,
            body=text,
            subject="Re: how did it go",
            person_id=person.id,
            received_at=NOW,
        )
        session.add_all([entry, message])
        session.flush()
        return entry.id, message.id


def stored(engine: Engine) -> list[str]:
    """What the database holds, not opened: the journal's text, the messages' body and subject."""
    with engine.connect() as conn:
        texts = conn.scalars(select(type_coerce(JournalEntry.text, Text))).all()
        bodies = conn.execute(
            select(
                type_coerce(InboundMessage.body, Text), type_coerce(InboundMessage.subject, Text)
            )
        ).all()
    return [*texts, *(value for row in bodies for value in row)]


def read_words(engine: Engine) -> tuple[str, str]:
    with Session(engine) as session:
        entry = session.scalars(select(JournalEntry)).one()
        message = session.scalars(select(InboundMessage)).one()
        return entry.text, message.body


def kid_of(value: str) -> str:
    return value.removeprefix(PREFIX).split(":")[0]


def test_words_are_sealed_in_the_database_and_read_back_whole(engine: Engine) -> None:
    write_words(engine)
    raw = stored(engine)
    assert all(value.startswith(PREFIX) for value in raw)
    assert not any("froze" in value or "how did it go" in value for value in raw)
    assert read_words(engine) == (WORDS, WORDS)
    with Session(engine) as session:  # Core reads are opened too
        assert session.scalar(select(JournalEntry.text)) == WORDS


def test_the_same_words_never_seal_to_the_same_text(engine: Engine) -> None:
    write_words(engine)
    journal, body, _subject = stored(engine)
    assert journal != body  # a fresh nonce for every value: equal words do not show


def test_an_empty_text_is_stored_empty(engine: Engine) -> None:
    """An SMS has no subject: its empty text is kept as it is (sealing it would hide nothing, its
    length shows it is empty either way, and the reseal skips empty values all the same)."""
    with Session(engine) as session, session.begin():
        session.add(
            InboundMessage(
                channel="console",
                provider_message_id="m-empty",
                medium="sms",
                sender="+14155550100",
                body=WORDS,
                subject="",
                received_at=NOW,
            )
        )
    body, subject = stored(engine)
    assert body.startswith(PREFIX) and subject == ""
    with Session(engine) as session:
        message = session.scalars(select(InboundMessage)).one()
        assert (message.body, message.subject) == (WORDS, "")


def test_altered_words_are_refused_not_misread(engine: Engine) -> None:
    entry_id, _ = write_words(engine)
    [value, *_] = stored(engine)
    kid, payload = value.removeprefix(PREFIX).split(":")
    raw = bytearray(base64.b64decode(payload))
    raw[-1] ^= 1
    forged = f"{PREFIX}{kid}:{base64.b64encode(bytes(raw)).decode()}"
    with engine.begin() as conn:
        conn.execute(
            update(JournalEntry)
            .where(JournalEntry.id == entry_id)
            .values({type_coerce(JournalEntry.text, Text): forged})
        )
    with Session(engine) as session, pytest.raises(UnreadableWords, match="altered"):
        session.scalars(select(JournalEntry)).one()


def test_rotation_reseals_everything_with_a_new_key(engine: Engine) -> None:
    write_words(engine)
    before = {kid_of(v) for v in stored(engine)}
    rotation = journal_keys.rotate(engine)
    after = {kid_of(v) for v in stored(engine)}
    assert rotation.resealed == 3 and rotation.source == "database"
    assert after == {rotation.key_id} and before.isdisjoint(after)
    assert read_words(engine) == (WORDS, WORDS)
    with Session(engine) as session:
        names = set(session.scalars(select(AppSetting.key).where(AppSetting.key.like("journal%"))))
    assert names == {STORED_KEY} | {f"{STORED_KEY}.{kid}" for kid in before}  # old: opens only
    other = create_db_engine(str(engine.url.render_as_string(hide_password=False)))
    try:  # another process, which never saw the old key, reads everything
        assert read_words(other) == (WORDS, WORDS)
    finally:
        other.dispose()


def test_a_replica_still_sealing_with_the_old_key_keeps_it_alive(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    replica = create_db_engine(url)
    try:
        write_words(replica, "first words")  # the replica loads the key of today
        journal_keys.rotate(engine)
        write_words(replica, "later words", "+14155550101")  # ... and still seals with it
        with replica.connect() as conn:
            last = conn.scalar(
                select(type_coerce(JournalEntry.text, Text)).order_by(JournalEntry.id.desc())
            )
        old_kid = kid_of(last or "")
        with Session(engine) as session:
            kept = session.get(AppSetting, f"{STORED_KEY}.{old_kid}")
        assert kept is not None, "a key some stored text needs was dropped"
        fresh = create_db_engine(url)
        try:
            with Session(fresh) as session:
                texts = set(session.scalars(select(JournalEntry.text)))
            assert texts == {"first words", "later words"}
        finally:
            fresh.dispose()
    finally:
        replica.dispose()


def test_an_operator_key_seals_and_the_database_key_still_opens(database_url: str) -> None:
    stored_engine = create_db_engine(database_url)
    upgrade(stored_engine)
    write_words(stored_engine)
    stored_engine.dispose()
    operator_key = new_key()
    settings = load_settings(
        {"ONWARD_DATABASE_URL": database_url, "ONWARD_JOURNAL_KEY": operator_key}
    )
    engine = create_db_engine(database_url, journal_keys=settings.journal_keys)
    try:
        assert read_words(engine) == (WORDS, WORDS)  # sealed with the database's key
        rotation = journal_keys.rotate(engine)
        assert rotation.source == "ONWARD_JOURNAL_KEY"
        assert {kid_of(v) for v in stored(engine)} == {key_id(settings.journal_keys[0])}
        assert read_words(engine) == (WORDS, WORDS)
    finally:
        engine.dispose()


def test_words_written_before_sealing_are_sealed_by_the_upgrade(database_url: str) -> None:
    engine = create_db_engine(database_url)
    upgrade(engine)
    write_words(engine)
    with engine.begin() as conn:  # as an older onward left them: plain text, no key yet
        conn.execute(update(JournalEntry).values({type_coerce(JournalEntry.text, Text): WORDS}))
        conn.execute(
            update(InboundMessage).values(
                {
                    type_coerce(InboundMessage.body, Text): WORDS,
                    type_coerce(InboundMessage.subject, Text): "hi",
                }
            )
        )
        conn.execute(delete(AppSetting).where(AppSetting.key.like("journal_key%")))
    engine.dispose()
    engine = create_db_engine(database_url)
    try:
        assert read_words(engine) == (WORDS, WORDS)  # plain text still reads
        upgrade(engine)
        assert all(value.startswith(PREFIX) for value in stored(engine))
        assert read_words(engine) == (WORDS, WORDS)
    finally:
        engine.dispose()


@pytest.mark.parametrize("value", ["CHANGE-ME", "c2hvcnQ=", f"{'A' * 43}=,nope"])
def test_an_unreadable_operator_key_is_one_clear_line(value: str) -> None:
    with pytest.raises(ConfigError, match="ONWARD_JOURNAL_KEY: key"):
        load_settings({"ONWARD_DATABASE_URL": "sqlite:////tmp/x.db", "ONWARD_JOURNAL_KEY": value})


def test_the_cli_makes_keys_and_rotates(database_url: str) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["journal", "new-key"])
    assert made.exit_code == 0
    new = made.stdout.strip()
    assert len(base64.urlsafe_b64decode(new)) == 32
    engine = create_db_engine(database_url)
    upgrade(engine)
    write_words(engine)
    engine.dispose()
    state.use(None)
    try:
        rotated = runner.invoke(
            app, ["journal", "rotate-key"], env={"ONWARD_DATABASE_URL": database_url}
        )
        assert rotated.exit_code == 0, rotated.output
        assert rotated.stdout.startswith("sealed 3 stored texts with key ")
    finally:
        state.use(None)


def test_a_filter_on_sealed_words_is_refused_not_silently_empty(engine: Engine) -> None:
    write_words(engine)
    with pytest.raises(TypeError, match="sealed words cannot be compared"):
        select(JournalEntry).where(JournalEntry.text == WORDS)
    with pytest.raises(TypeError, match="sealed words cannot be compared"):
        select(InboundMessage).where(InboundMessage.body.like("%froze%"))

"""Alembic migrations on SQLite and PostgreSQL: the §3 tables, round trips, keys, pragmas."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.db import make_engine
from bot.store.migrate import current_revision, downgrade, head_revision, is_up_to_date, upgrade
from bot.store.models import Base, Contact, ContactIdentity, Message

DESIGN_TABLES = {"contacts", "contact_identities", "conversations", "messages", "tickets",
                 "ticket_events", "outbox", "quarantine", "kb_feedback"}
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    built = make_engine(db_url)
    yield built
    built.dispose()


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def message(channel: str, provider_id: str) -> Message:
    return Message(direction="in", channel=channel, provider_message_id=provider_id,
                   sender="console:ana", text="hola", attachments=[], raw={}, created_at=NOW)


def test_an_empty_database_is_not_up_to_date(engine: Engine) -> None:
    assert current_revision(engine) is None
    assert not is_up_to_date(engine)


def test_upgrade_to_head_creates_every_design_table(engine: Engine) -> None:
    upgrade(engine)
    assert tables(engine) >= DESIGN_TABLES
    assert current_revision(engine) == head_revision()
    assert is_up_to_date(engine)


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_the_migrated_schema_matches_the_models(engine: Engine) -> None:
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_base_and_up_again(engine: Engine) -> None:
    upgrade(engine)
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert not DESIGN_TABLES & tables(engine)
    upgrade(engine)
    assert tables(engine) >= DESIGN_TABLES
    assert current_revision(engine) == head_revision()


def test_a_provider_message_id_is_stored_once_per_channel(engine: Engine) -> None:
    upgrade(engine)
    with Session(engine) as session:
        session.add_all([message("whatsapp", "SM1"), message("telegram", "SM1")])
        session.commit()
        session.add(message("whatsapp", "SM1"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_an_address_belongs_to_one_contact_per_channel(engine: Engine) -> None:
    upgrade(engine)
    with Session(engine) as session:
        ana, otra = Contact(name="Ana", created_at=NOW), Contact(name="Otra", created_at=NOW)
        session.add_all([ana, otra])
        session.flush()
        session.add(ContactIdentity(contact_id=ana.id, channel="email", address="ana@x.co"))
        session.commit()
        session.add(ContactIdentity(contact_id=otra.id, channel="email", address="ana@x.co"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    upgrade(engine)
    with Session(engine) as session:
        session.add(ContactIdentity(contact_id=999, channel="email", address="ana@x.co"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_sqlite_runs_in_wal_mode_with_foreign_keys_on(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'atiende.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_0006_moves_the_adapters_facts_out_of_raw_into_columns(engine: Engine) -> None:
    upgrade(engine, "0005")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO messages (direction, channel, provider_message_id, sender, text, "
            "attachments, raw, status, created_at) VALUES ('in', 'email', :pid, 'a@b.co', "
            "'hola', '[]', :raw, 'failed', :at)"), [
            {"pid": "<m1@x>", "at": NOW, "raw": (
                '{"Subject": "Factura", "_atiende": {"subject": "Factura", "reply_to": "<m0@x>",'
                ' "language_hint": "es", "is_automated": true, "ticket_number": 12,'
                ' "route_failures": 2}}')},
            {"pid": "<m2@x>", "at": NOW, "raw": '{"Body": "x"}'}])
    upgrade(engine)
    with Session(engine) as session:
        first, second = session.query(Message).order_by(Message.id).all()
    assert first.raw == {"Subject": "Factura"}
    assert (first.subject, first.reply_to, first.language_hint, first.is_automated,
            first.claimed_ticket, first.route_failures) == (
        "Factura", "<m0@x>", "es", True, 12, 2)
    assert second.raw == {"Body": "x"}
    assert (second.subject, second.is_automated, second.claimed_ticket,
            second.route_failures) == (None, False, None, 0)
    downgrade(engine, "0005")
    assert "claimed_ticket" not in {c["name"] for c in inspect(engine).get_columns("messages")}


def test_0007_adds_the_mail_thread_facts_to_a_database_with_mail(engine: Engine) -> None:
    upgrade(engine, "0006")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO messages (direction, channel, provider_message_id, sender, text, "
            "attachments, raw, status, created_at, is_automated, route_failures) VALUES "
            "('in', 'email', '<m1@x>', 'a@b.co', 'hola', '[]', '{\"subject\": \"Hola\"}', "
            "'processed', :at, false, 0)"), {"at": NOW})
    upgrade(engine)
    with Session(engine) as session:
        [kept] = session.query(Message).all()
        assert (kept.text, kept.raw, kept.claim_verified, kept.in_reply_to,
                kept.thread_references, kept.automated_reasons, kept.thread) == (
            "hola", {"subject": "Hola"}, False, None, None, None, None)
        kept.in_reply_to, kept.thread = ["<m0@x>"], {"ticket": 3}
        session.commit()
    downgrade(engine, "0006")
    columns = {c["name"] for c in inspect(engine).get_columns("messages")}
    assert "thread" not in columns and "claimed_ticket" in columns
    with engine.connect() as connection:
        assert connection.execute(text("SELECT text FROM messages")).scalar() == "hola"

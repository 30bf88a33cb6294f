"""Column updates a routing batch defers: on the object at once, out of the unit of work,
in the database before anything could read them back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.app import Runtime
from bot.engine import route as engine
from bot.engine.pipeline import store
from bot.store.deferred_updates import deferred_updates, set_columns, write_updates
from bot.store.models import Contact, Conversation
from channels.base import InboundMessage
from scheduler.clock import FixedClock
from tests.fakes.sql_log import executed

KB_QUESTION = "¿Cuál es el horario de atención?"
PROBLEM = "La factura electrónica no llega al correo del contador desde el lunes"


@pytest.fixture
def contact_ids(runtime: Runtime, clock: FixedClock) -> list[int]:
    with runtime.factory() as session, session.begin():
        contacts = [Contact(name=f"Cliente {n}", created_at=clock.now()) for n in range(3)]
        session.add_all(contacts)
    return [contact.id for contact in contacts]


@pytest.fixture
def batch(runtime: Runtime) -> Iterator[Session]:
    with runtime.factory() as session, session.begin(), deferred_updates(session):
        yield session


def stored_names(runtime: Runtime) -> dict[int, str | None]:
    with runtime.engine.connect() as connection:
        return dict(connection.execute(text("SELECT id, name FROM contacts")).all())


def test_a_deferred_value_is_on_the_object_at_once_and_nothing_is_left_to_flush(
        runtime: Runtime, contact_ids: list[int], batch: Session) -> None:
    contact = batch.get(Contact, contact_ids[0])
    set_columns(contact, name="Ana", language="es")
    assert (contact.name, contact.language) == ("Ana", "es")
    assert contact not in batch.dirty
    write_updates(batch)
    assert batch.execute(select(Contact.name, Contact.language).where(
        Contact.id == contact_ids[0])).one() == ("Ana", "es")


def test_a_query_that_would_autoflush_reads_the_deferred_values_first(
        runtime: Runtime, contact_ids: list[int], batch: Session, clock: FixedClock) -> None:
    first, second = (batch.get(Contact, n) for n in contact_ids[:2])
    set_columns(first, name="Ana")
    with batch.no_autoflush:   # what no_autoflush keeps from a query, it keeps here too
        assert batch.scalar(select(Contact.id).where(Contact.name == "Ana")) is None
    assert batch.scalar(select(Contact.id).where(Contact.name == "Ana")) == first.id
    set_columns(second, name="Beto")
    second_conversation = Conversation(contact_id=second.id, channel="whatsapp",
                                       address="whatsapp:+573000000002",
                                       created_at=clock.now(), updated_at=clock.now())
    batch.add(second_conversation)
    batch.flush()   # an ORM flush writes the deferred values before its own
    assert batch.scalar(select(Contact.name).where(Contact.id == second.id)) == "Beto"


def test_the_values_are_written_in_one_statement_per_table_and_set_of_columns(
        runtime: Runtime, contact_ids: list[int], batch: Session) -> None:
    contacts = [batch.get(Contact, n) for n in contact_ids]
    for n, contact in enumerate(contacts):
        set_columns(contact, name=f"Nombre {n}")
    set_columns(contacts[0], language="en")   # the same row again: its values merge
    with executed(runtime.engine) as sent:
        write_updates(batch)
        write_updates(batch)   # nothing left the second time
    updates = [statement for statement, _ in sent if statement.startswith("UPDATE contacts")]
    assert len(updates) == 2
    assert batch.execute(select(Contact.name, Contact.language).order_by(Contact.id)).all() == [
        ("Nombre 0", "en"), ("Nombre 1", None), ("Nombre 2", None)]


def test_outside_a_batch_the_unit_of_work_writes_them(runtime: Runtime,
                                                      contact_ids: list[int]) -> None:
    with runtime.factory() as session, session.begin():
        contact = session.get(Contact, contact_ids[0])
        set_columns(contact, name="Ana")
        assert contact in session.dirty
    assert stored_names(runtime)[contact_ids[0]] == "Ana"


def test_a_routing_batch_links_its_messages_in_one_update_per_set_of_columns(
        runtime: Runtime, clock: FixedClock) -> None:
    """Each turn links its message to its conversation (and ticket) and marks it handled;
    the batch writes those links together, not as changed ORM objects one flush each run."""
    ids = [store(runtime.factory, runtime.ctx, InboundMessage(
        channel="whatsapp", provider_message_id=f"SMD{n:04d}",
        sender=f"whatsapp:+57300777{n:04d}", text=KB_QUESTION if n % 2 else PROBLEM,
        received_at=clock.now(), sender_name="Ana")).message_id for n in range(8)]
    with executed(runtime.engine) as sent, runtime.factory() as session, session.begin():
        results = engine.route_messages(session, runtime.ctx, ids)
    updates = [statement for statement, _ in sent if statement.startswith("UPDATE messages")]
    assert len(updates) == 2   # with a ticket and without
    with runtime.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT status, conversation_id IS NOT NULL, ticket_id IS NOT NULL FROM messages "
            "ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [
        ("processed", True, result.ticket_number is not None) for result in results]

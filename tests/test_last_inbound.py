"""When a customer last wrote on a channel (WhatsApp's window): stored, routed, in batches."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.app import Runtime
from bot.engine.contacts import ensure_contact_id
from bot.engine.inbox import accept_inbound
from bot.engine.windows import find_last_inbound_many
from bot.store.db import transaction
from bot.store.models import Conversation, Message
from channels.base import InboundMessage
from tests.fakes.clients import CUSTOMER
from tests.fakes.sql_log import skip_unless_sqlite, sqlite_steps

OTHER = "whatsapp:+10000000000"   # never wrote


def test_a_message_stored_but_not_yet_routed_opens_the_window(runtime: Runtime) -> None:
    received = runtime.clock.now()
    with runtime.factory() as session:
        accept_inbound(session, runtime.config, InboundMessage(
            channel="whatsapp", provider_message_id="SMnew", sender=CUSTOMER, text="Hola",
            received_at=received))
    with runtime.factory() as session:
        assert find_last_inbound_many(session, "whatsapp", [CUSTOMER])[CUSTOMER] == received
        assert find_last_inbound_many(session, "whatsapp", [OTHER])[OTHER] is None


def customer_wrote(runtime: Runtime, sid: str, sender: str, at: datetime) -> None:
    with runtime.factory() as session:
        accept_inbound(session, runtime.config, InboundMessage(
            channel="whatsapp", provider_message_id=sid, sender=sender, text="Hola",
            received_at=at))


def test_a_batch_of_windows_is_looked_up_at_once(runtime: Runtime) -> None:
    now, other = runtime.clock.now(), "whatsapp:+573001112233"
    customer_wrote(runtime, "SMa1", CUSTOMER, now - timedelta(hours=30))
    customer_wrote(runtime, "SMa2", CUSTOMER, now - timedelta(hours=2))
    customer_wrote(runtime, "SMb1", other, now - timedelta(hours=30))
    with runtime.factory() as session:
        found = find_last_inbound_many(session, "whatsapp",
                                       [CUSTOMER, other, "whatsapp:+10000000000"])
    assert found == {CUSTOMER: now - timedelta(hours=2), other: now - timedelta(hours=30),
                     "whatsapp:+10000000000": None}


def test_a_conversation_without_any_inbound_message_has_no_window(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with transaction(runtime.factory) as session:
        contact_id = ensure_contact_id(session.connection(), runtime.config, "whatsapp",
                                       CUSTOMER, None, now)
        session.add(Conversation(contact_id=contact_id, channel="whatsapp", address=CUSTOMER,
                                 state="idle", context={}, created_at=now, updated_at=now))
    with runtime.factory() as session:
        assert find_last_inbound_many(session, "whatsapp", [CUSTOMER]) == {CUSTOMER: None}


def test_a_customer_who_wrote_thousands_of_times_costs_the_lookup_what_a_new_one_does(
        runtime: Runtime) -> None:
    """The window reads each address's newest stored message, not all of them: SQLite's work
    for a customer with 2,000 stored messages is that for one with 20."""
    skip_unless_sqlite(runtime.engine)
    now = runtime.clock.now()

    def lookup_steps(sender: str, count: int) -> tuple[int, datetime | None]:
        customer_wrote(runtime, f"{sender}-0", sender, now - timedelta(hours=count))
        with transaction(runtime.factory) as session:
            contact_id = session.scalar(select(Message.contact_id).where(
                Message.sender == sender))
            session.execute(Message.__table__.insert(), [
                {"direction": "in", "channel": "whatsapp", "provider_message_id": f"{sender}-{k}",
                 "contact_id": contact_id, "sender": sender, "text": "Hola", "attachments": [],
                 "raw": {}, "status": "processed",
                 "created_at": now - timedelta(hours=count - k)} for k in range(1, count)])
        with sqlite_steps(runtime.engine) as steps, runtime.factory() as session:
            found = find_last_inbound_many(session, "whatsapp", [sender])[sender]
        return steps[0], found

    few, few_last = lookup_steps("whatsapp:+573001110020", 20)
    many, many_last = lookup_steps("whatsapp:+573001112000", 2000)
    assert few_last == many_last == now - timedelta(hours=1)
    # 7 and 10 tens of steps here; with a max over every stored message, 46 and 4,009
    assert many <= few * 1.5, (few, many)

"""POST /webhooks/whatsapp/status: Twilio's delivery reports update the outbox row, once each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.engine.outbox import enqueue
from bot.store.db import transaction
from bot.store.models import Conversation, DeliveryStatus, OutboxItem, QuarantineItem
from channels.base import DeliveryHeld, OutboundMessage
from scheduler.clock import FixedClock
from tests.channels.conftest import PUBLIC_URL, Live
from tests.fakes.clients import CUSTOMER, status_params, twilio_post
from tests.fakes.twilio_api import FakeTwilio

STATUS = "/webhooks/whatsapp/status"


def sent_reply(live: Live) -> OutboxItem:
    """The customer asks; the bot's answer goes out through the fake Twilio."""
    live.whatsapp_in("¿Cuál es el horario de atención?")
    assert live.dispatch() == 1
    [item] = live.outbox("whatsapp")
    assert item.status == "sent" and item.provider_message_id.startswith("SM")
    return item


def row(live: Live, item_id: int) -> OutboxItem:
    with live.runtime.factory() as session:
        found = session.get(OutboxItem, item_id)
        assert found is not None
        return found


def status_count(live: Live) -> int:
    with live.runtime.factory() as session:
        return session.scalar(select(func.count()).select_from(DeliveryStatus)) or 0


def test_delivered_then_read_move_the_row_forward(live: Live) -> None:
    item = sent_reply(live)
    for status, expected in (("sent", "sent"), ("delivered", "delivered"), ("read", "read")):
        response = live.whatsapp_status(item.provider_message_id, status, outbox_id=item.id)
        assert response.status_code == 204
        assert row(live, item.id).status == expected


def test_a_late_callback_never_moves_the_row_backwards(live: Live) -> None:
    item = sent_reply(live)
    live.whatsapp_status(item.provider_message_id, "read")
    live.whatsapp_status(item.provider_message_id, "delivered")
    live.whatsapp_status(item.provider_message_id, "sent")
    assert row(live, item.id).status == "read"


def test_a_repeated_callback_is_recorded_once(live: Live) -> None:
    item = sent_reply(live)
    for _ in range(3):
        assert live.whatsapp_status(item.provider_message_id, "delivered").status_code == 204
    assert status_count(live) == 1
    with live.runtime.factory() as session:
        report = session.scalars(select(DeliveryStatus)).one()
    assert (report.provider_message_id, report.status, report.outbox_id) == (
        item.provider_message_id, "delivered", item.id)


def test_a_failure_marks_the_row_failed_with_twilio_s_code(live: Live) -> None:
    item = sent_reply(live)
    live.whatsapp_status(item.provider_message_id, "undelivered", error_code="30008")
    failed = row(live, item.id)
    assert (failed.status, failed.last_error) == ("failed", "Twilio undelivered (error 30008)")


def test_error_63016_marks_the_conversation_and_sends_again(live: Live, clock: FixedClock,
                                                           twilio_api: FakeTwilio) -> None:
    item = sent_reply(live)
    clock.advance(timedelta(minutes=1))
    live.whatsapp_status(item.provider_message_id, "failed", error_code="63016")
    again = row(live, item.id)
    assert again.status == "pending" and "outside the 24 h window" in again.last_error
    with live.runtime.factory() as session:
        conversation = session.scalars(select(Conversation)).one()
    assert conversation.template_required_at == clock.now()
    assert live.dispatch() == 0   # no template configured: held, with the reason
    held = row(live, item.id)
    assert held.status == "held"
    assert "no template configured for agent_reply" in held.last_error
    assert len(twilio_api.messages) == 1


def test_error_63016_mid_batch_makes_the_sender_read_the_window_again(
        live: Live, clock: FixedClock, twilio_api: FakeTwilio) -> None:
    """The dispatcher looked up the batch's windows (open); then Twilio says 63016 for this
    customer: the next send in the same batch is held, not sent as free text."""
    item = sent_reply(live)
    channel = live.whatsapp.channel
    assert channel is not None
    live.server.run(channel.prepare([CUSTOMER]))
    assert CUSTOMER in channel.open_windows
    live.whatsapp_status(item.provider_message_id, "failed", error_code="63016")
    assert CUSTOMER not in channel.open_windows
    with pytest.raises(DeliveryHeld):
        live.server.run(channel.send(OutboundMessage(channel="whatsapp", recipient=CUSTOMER,
                                                     text="Ya quedó", kind="agent_reply")))
    assert len(twilio_api.messages) == 1


def test_a_callback_for_a_split_part_finds_the_row_by_the_outbox_id(live: Live,
                                                                    clock: FixedClock) -> None:
    live.whatsapp_in("Hola")
    live.drain()
    with transaction(live.runtime.factory) as session:
        item = enqueue(session, channel="whatsapp", recipient=CUSTOMER, text="palabra " * 400,
                       now=clock.now(), kind="agent_reply")
        item_id = item.id
    live.dispatch()
    second_part = "SM" + "9" * 32
    live.whatsapp_status(second_part, "undelivered", error_code="30003", outbox_id=item_id)
    assert row(live, item_id).status == "failed"


def test_a_callback_for_a_message_we_do_not_know_is_accepted_and_ignored(live: Live) -> None:
    assert live.whatsapp_status("SM" + "1" * 32, "delivered").status_code == 204
    assert status_count(live) == 1


def test_a_lost_commit_is_reconciled_from_the_callback(live: Live, clock: FixedClock) -> None:
    """The send went out but its commit was lost: Twilio's report completes the row."""
    with transaction(live.runtime.factory) as session:
        item_id = enqueue(session, channel="whatsapp", recipient=CUSTOMER, text="Hola",
                          now=clock.now()).id
    sid = "SM" + "2" * 32
    live.whatsapp_status(sid, "sent", outbox_id=item_id)
    reconciled = row(live, item_id)
    assert (reconciled.status, reconciled.provider_message_id) == ("sent", sid)


def test_bad_signature_on_the_status_callback_is_403(live: Live) -> None:
    item = sent_reply(live)
    response = twilio_post(live.url, PUBLIC_URL, STATUS, status_params(
        item.provider_message_id, "delivered"), token="not-the-token")
    assert response.status_code == 403
    assert row(live, item.id).status == "sent"


@pytest.mark.parametrize(("params", "reason"), [
    ({"MessageSid": "SM1"}, "missing MessageStatus"),
    ({"MessageSid": "SM1", "MessageStatus": "exploded"}, "unknown MessageStatus 'exploded'"),
    ({"MessageStatus": "sent"}, "missing MessageSid"),
])
def test_malformed_status_callbacks_are_400_and_quarantined(live: Live, params: dict[str, str],
                                                            reason: str) -> None:
    response = twilio_post(live.url, PUBLIC_URL, STATUS, params)
    assert (response.status_code, response.text) == (400, reason + "\n")
    with live.runtime.factory() as session:
        assert session.scalars(select(QuarantineItem.reason)).all() == [reason]

"""Odd but well-signed webhook values get 400 with a reason; a failed request writes nothing."""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select

from bot.engine import delivery_status
from bot.store.db import transaction
from bot.store.models import DeliveryStatus, QuarantineItem
from channels.whatsapp.webhooks import delivery_update
from channels.whatsapp.wire import StatusReport
from tests.channels.conftest import PUBLIC_URL, Live
from tests.channels.test_whatsapp_status import row, sent_reply
from tests.fakes.clients import (
    WEBHOOK_SECRET,
    status_params,
    telegram_message,
    twilio_params,
    twilio_post,
)


def count(live: Live, model: type) -> int:
    with live.runtime.factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(("extra", "reason"), [
    ({"NumMedia": "²"}, "NumMedia must be a number from 0 to 10"),
    ({"NumMedia": "١"}, "NumMedia must be a number from 0 to 10"),
    ({"Body": "hola\x00"}, "'Body' holds a NUL character"),
    ({"From": "ana@example.com"}, "From is not a WhatsApp address"),
    ({"MessageSid": "SM" + "x" * 300}, "MessageSid is not a Twilio SID"),
])
def test_odd_whatsapp_fields_are_400_with_a_reason(live: Live, extra: dict[str, str],
                                                   reason: str) -> None:
    response = twilio_post(live.url, PUBLIC_URL, "/webhooks/whatsapp",
                           twilio_params("hola", **extra))
    assert response.status_code == 400 and reason in response.text, response.text
    assert live.messages("whatsapp") == []
    assert count(live, QuarantineItem) == 1


@pytest.mark.parametrize("outbox", ["²", "٣", "9" * 30, str(2**31)])
def test_odd_outbox_hints_are_400(live: Live, outbox: str) -> None:
    path = f"/webhooks/whatsapp/status?outbox={quote(outbox)}"
    response = twilio_post(live.url, PUBLIC_URL, path, status_params("SM" + "1" * 32, "delivered"))
    assert response.status_code == 400, response.text
    assert "the outbox query parameter must be a number" in response.text
    assert count(live, DeliveryStatus) == 0


def test_an_odd_error_code_is_400(live: Live) -> None:
    response = twilio_post(live.url, PUBLIC_URL, "/webhooks/whatsapp/status",
                           status_params("SM" + "1" * 32, "failed", error_code="😀" * 30))
    assert response.status_code == 400 and "ErrorCode must be a number" in response.text


def post_update(live: Live, body: bytes) -> httpx.Response:
    return httpx.post(f"{live.url}/webhooks/telegram", content=body, timeout=30, headers={
        "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET, "Content-Type": "application/json"})


def update_with(**message_fields: object) -> bytes:
    update = telegram_message("hola")
    update["message"].update(message_fields)
    return json.dumps({**update, "message": {
        k: v for k, v in update["message"].items() if v != "<drop>"}}).encode()


@pytest.mark.parametrize(("body", "reason"), [
    (update_with(chat="<drop>"), "missing message.chat"),
    (update_with(text=1), "message.text must be a string"),
    (update_with(text="hola \ud800"), "update.message.text holds NUL or a lone surrogate"),
    (update_with(chat={"id": 2**70, "type": "private"}), "message.chat.id must be a 64-bit"),
    (update_with(**{"from": "ana"}), "message.from must be an object"),
    (update_with(date="ayer"), "message.date must be a 64-bit integer"),
])
def test_odd_telegram_updates_are_400_with_a_reason(live: Live, body: bytes,
                                                    reason: str) -> None:
    response = post_update(live, body)
    assert response.status_code == 400 and reason in response.text, response.text
    assert live.messages("telegram") == []


def test_a_telegram_message_without_from_is_stored(live: Live) -> None:
    response = post_update(live, update_with(**{"from": "<drop>"}))
    assert response.status_code == 200, response.text
    [stored] = live.messages("telegram")
    assert stored.text == "hola"


def test_a_status_callback_that_fails_midway_leaves_nothing_behind(live: Live) -> None:
    """The delivery row and the outcome commit together or not at all, so the provider's
    retry of a failed callback is applied, not taken for a duplicate (on SQLite a savepoint
    opened first in a transaction committed the row when it was released)."""
    item = sent_reply(live)
    now = live.runtime.clock.now()
    update = delivery_update(StatusReport(item.provider_message_id, "failed", "63016", {}),
                             item.id, now)
    with pytest.raises(RuntimeError), transaction(live.runtime.factory) as session:
        assert delivery_status.record(session, update, now) == "requeued"
        raise RuntimeError("the request fails after the callback was applied")
    assert count(live, DeliveryStatus) == 0
    assert row(live, item.id).status == "sent"
    response = live.whatsapp_status(item.provider_message_id, "failed", error_code="63016",
                                    outbox_id=item.id)
    assert response.status_code == 204
    assert row(live, item.id).status == "pending"   # requeued: applied, not a duplicate
    assert count(live, DeliveryStatus) == 1

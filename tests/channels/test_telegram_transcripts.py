"""Telegram conversations end to end, es and en: webhook in, engine, Bot API out, buttons."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.config.root import AtiendeConfig
from bot.engine.outbox import enqueue
from bot.store.db import transaction
from bot.store.models import Conversation, OutboxItem, Ticket
from scheduler.clock import FixedClock
from tests.channels.conftest import Live
from tests.fakes.clients import (
    telegram_callback,
    telegram_message,
    telegram_post,
    telegram_user,
)
from tests.fakes.telegram_api import FakeTelegram

BILLING_PROBLEM = ("Nos debitaron dos veces la mensualidad y necesitamos la devolución del "
                   "dinero, ya revisamos el extracto")
TECH_PROBLEM = "The app crashes every time I try to save a new work order, error 500"
ANA = telegram_user(4242, "es")
JOHN = telegram_user(5151, "en", first="John", last="Smith")


def turn(live: Live, telegram_api: FakeTelegram, update: dict[str, Any]) -> list[dict[str, Any]]:
    """Telegram posts the update; the dispatcher runs; the sendMessage calls it caused."""
    before = len(telegram_api.sent())
    live.telegram_in(update)
    live.dispatch()
    return telegram_api.sent()[before:]


def buttons(sent: dict[str, Any]) -> list[list[dict[str, str]]]:
    return sent.get("reply_markup", {}).get("inline_keyboard", [])


def tap(sent: dict[str, Any], label: str, user: dict[str, Any]) -> dict[str, Any]:
    """The customer taps the button labelled `label` under the message we sent."""
    keyboard = buttons(sent)
    data = next(b["callback_data"] for row in keyboard for b in row if b["text"] == label)
    return telegram_callback(data, keyboard, user=user)


def agent_answer(live: Live, text: str) -> None:
    """An agent's answer, inserted through the engine's outbox (until the email relay lands)."""
    with transaction(live.runtime.factory) as session:
        ticket = session.scalars(select(Ticket)).one()
        conversation = session.get(Conversation, ticket.conversation_id)
        assert conversation is not None
        enqueue(session, channel=conversation.channel, recipient=conversation.address,
                text=text, kind="agent_reply", conversation_id=conversation.id,
                ticket_id=ticket.id, now=live.runtime.clock.now())


def test_es_kb_answer_has_yes_no_buttons_and_no_opens_a_ticket(
        live: Live, telegram_api: FakeTelegram) -> None:
    [answer] = turn(live, telegram_api, telegram_message("¿Cuál es el horario de atención?",
                                                         user=ANA))
    assert str(answer["text"]).endswith("¿Te ayudó? (sí/no)")
    assert buttons(answer) == [[{"text": "Sí", "callback_data": "Sí"},
                                {"text": "No", "callback_data": "No"}]]
    replies = turn(live, telegram_api, tap(answer, "No", ANA))
    assert "Creé tu ticket #1" in str(replies[0]["text"])
    assert len(telegram_api.sent("answerCallbackQuery")) == 1


def test_es_problem_ticket_and_the_agent_answer_arrives(live: Live,
                                                        telegram_api: FakeTelegram) -> None:
    [reply] = turn(live, telegram_api, telegram_message(BILLING_PROBLEM, user=ANA))
    assert "Creé tu ticket #1 (categoría: facturación, prioridad: media)" in str(reply["text"])
    agent_answer(live, "Hola Ana, ya reversamos el cobro duplicado.")
    assert live.dispatch() == 1
    last = telegram_api.sent()[-1]
    assert (str(last["chat_id"]), last["text"]) == (
        "4242", "Hola Ana, ya reversamos el cobro duplicado.")


def test_en_kb_answer_yes_tap_is_thanked(live: Live, telegram_api: FakeTelegram) -> None:
    [answer] = turn(live, telegram_api, telegram_message("How do I export my data?", user=JOHN))
    assert str(answer["text"]).endswith("Did this help? (yes/no)")
    [reply] = turn(live, telegram_api, tap(answer, "Yes", JOHN))
    assert "Great, glad I could help" in str(reply["text"])


def test_en_problem_ticket_and_the_agent_answer_arrives(live: Live,
                                                        telegram_api: FakeTelegram) -> None:
    [reply] = turn(live, telegram_api, telegram_message(TECH_PROBLEM, user=JOHN))
    assert "I opened ticket #1 for you" in str(reply["text"])
    agent_answer(live, "Hi John, the work order bug is fixed.")
    live.dispatch()
    assert telegram_api.sent()[-1]["text"] == "Hi John, the work order bug is fixed."


def test_a_long_answer_is_split_at_4096_with_the_buttons_on_the_last_part(
        live: Live, telegram_api: FakeTelegram, clock: FixedClock) -> None:
    text = "\n".join(f"Línea {n}: " + "x" * 90 for n in range(100))
    with transaction(live.runtime.factory) as session:
        enqueue(session, channel="telegram", recipient="telegram:4242", text=text,
                buttons=("Sí", "No"), now=clock.now())
    live.dispatch()
    parts = telegram_api.sent()
    assert len(parts) == 3 and all(len(str(p["text"])) <= 4096 for p in parts)
    assert "\n".join(str(p["text"]) for p in parts) == text
    assert [bool(buttons(p)) for p in parts] == [False, False, True]


def queue_one(live: Live, clock: FixedClock) -> int:
    with transaction(live.runtime.factory) as session:
        return enqueue(session, channel="telegram", recipient="telegram:4242", text="Hola",
                       now=clock.now()).id


def outbox_row(live: Live, item_id: int) -> OutboxItem:
    with live.runtime.factory() as session:
        found = session.get(OutboxItem, item_id)
        assert found is not None
        return found


def test_retry_after_from_telegram_is_honoured(live: Live, telegram_api: FakeTelegram,
                                               clock: FixedClock) -> None:
    item_id = queue_one(live, clock)
    telegram_api.fail_next("sendMessage", 429, "Too Many Requests: retry after 300", 300)
    assert live.dispatch() == 0
    waiting = outbox_row(live, item_id)
    assert waiting.status == "pending"
    assert waiting.next_attempt_at == clock.now() + timedelta(seconds=300)
    assert "flood control" in waiting.last_error
    assert live.dispatch(clock.now() + timedelta(seconds=300)) == 1


@pytest.mark.parametrize(("status", "description", "expected", "reason"), [
    (403, "Forbidden: bot was blocked by the user", "failed", "the user blocked the bot"),
    (400, "Bad Request: chat not found", "failed", "Telegram rejected the message"),
    (502, "Bad Gateway", "pending", "Telegram unreachable"),
])
def test_telegram_errors_fail_or_retry_with_the_reason(
        live: Live, telegram_api: FakeTelegram, clock: FixedClock, status: int,
        description: str, expected: str, reason: str) -> None:
    item_id = queue_one(live, clock)
    telegram_api.fail_next("sendMessage", status, description)
    live.dispatch()
    row = outbox_row(live, item_id)
    assert row.status == expected and reason in row.last_error


def write_article(folder: Path, article_id: str, title: str, question: str, body: str) -> None:
    text = f"---\nid: {article_id}\nlang: en\ntitle: {title}\nquestions:\n  - {question}\n" \
           f"---\n{body}\n"
    (folder / f"{article_id}.md").write_text(text, encoding="utf-8")


class TestAmbiguousChoices:
    @pytest.fixture
    def config(self, config: AtiendeConfig, tmp_path: Path) -> AtiendeConfig:
        kb = tmp_path / "kb"
        kb.mkdir()
        write_article(kb, "printer-setup-en", "Setting up the receipt printer",
                      "How do I connect the printer?", "Plug the printer in and pair it.")
        write_article(kb, "printer-paper-en", "Changing the printer paper roll",
                      "How do I change the printer paper?", "Open the lid and swap the roll.")
        write_article(kb, "invoices-en", "Downloading invoices", "Where are my invoices?",
                      "Invoices are under Billing.")
        return config.model_copy(update={"kb": config.kb.model_copy(update={"path": str(kb)})})

    def test_choices_come_as_buttons_and_a_tap_answers(self, live: Live,
                                                       telegram_api: FakeTelegram) -> None:
        [menu] = turn(live, telegram_api, telegram_message("printer", user=JOHN))
        assert "Reply with the number" in str(menu["text"])
        labels = [b["text"] for row in buttons(menu) for b in row]
        assert labels[-1] == "0" and len(labels) == 3
        pick = "1" if "1. Setting up the receipt printer" in str(menu["text"]) else "2"
        [answer] = turn(live, telegram_api, tap(menu, pick, JOHN))
        assert str(answer["text"]).startswith("Plug the printer in and pair it.")


def test_an_update_that_cannot_be_stored_is_not_acknowledged(
        live: Live, telegram_api: FakeTelegram) -> None:
    """No 200 without storage: Telegram gets 503 and delivers the update again."""
    update = telegram_message("¿Cuál es el horario de atención?", user=ANA)
    with live.runtime.engine.begin() as connection:
        connection.execute(text("ALTER TABLE messages RENAME TO messages_away"))
    response = telegram_post(live.url, update)
    assert (response.status_code, response.json()) == (
        503, {"ok": False, "error": "could not store the update"})
    with live.runtime.engine.begin() as connection:
        connection.execute(text("ALTER TABLE messages_away RENAME TO messages"))
    assert turn(live, telegram_api, update)[0]["text"].endswith("¿Te ayudó? (sí/no)")

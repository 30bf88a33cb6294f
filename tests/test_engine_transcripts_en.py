"""Conversations in English, language switching, and choosing among ambiguous articles."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Runtime, build_runtime
from bot.cli.chat import ChatSession
from bot.config.root import AtiendeConfig
from bot.store.models import Contact, Ticket
from scheduler.clock import FixedClock
from tests.transcript import actions, count, send, ticket

TECH_PROBLEM = "The app crashes every time I try to save a new work order, error 500"


def test_english_greeting(chat: ChatSession) -> None:
    result = chat.send("Hello there")
    assert result["lang"] == "en"
    assert "Hi Ana! I'm Atiende's support assistant" in result["replies"][0]["text"]


def test_english_kb_answer_and_yes(chat: ChatSession, runtime: Runtime) -> None:
    result = chat.send("How do I export my data?")
    assert result["replies"][0]["text"].endswith("Did this help? (yes/no)")
    assert result["replies"][0]["buttons"] == ["Yes", "No"]
    assert "Great, glad I could help" in send(chat, "yes")
    assert count(runtime, Ticket) == 0


def test_english_problem_becomes_a_technical_ticket(chat: ChatSession, runtime: Runtime) -> None:
    result = chat.send(TECH_PROBLEM)
    assert "I opened ticket #1 for you (category: technical, priority: medium)" in (
        result["replies"][0]["text"])
    # Tuesday 10:00 + 8 business hours (medium) = Wednesday 9:00
    assert "An agent will answer you by tomorrow at 9:00 (Colombia time) at the latest." in (
        result["replies"][0]["text"])
    assert ticket(runtime, 1).language == "en"


def test_english_agent_request_status_and_escalation(chat: ChatSession, runtime: Runtime) -> None:
    assert "tell me briefly what happened" in send(chat, "I want to talk to a human")
    assert "I opened ticket #1" in send(chat, TECH_PROBLEM)
    text = send(chat, "what's the status of my ticket?")
    assert "Status: open · Priority: medium · Assigned to: unassigned" in text
    assert "I escalated ticket #1 to level 2 (senior)" in send(chat, "please escalate")
    assert actions(runtime, 1) == ["created", "status_reported", "escalated"]


def test_language_follows_each_message_and_is_remembered(chat: ChatSession,
                                                         runtime: Runtime) -> None:
    assert chat.send("Hola, ¿cómo puedo exportar mis datos?")["lang"] == "es"
    assert chat.send("sorry, can I get the answer in English please?")["lang"] == "en"
    assert chat.send("ok")["lang"] == "en"  # too short to tell: the remembered language
    with runtime.factory() as session:
        assert session.scalars(select(Contact.language)).one() == "en"


def test_provider_retry_is_processed_once(runtime: Runtime) -> None:
    from bot.engine.pipeline import receive
    from channels.base import InboundMessage

    inbound = InboundMessage(channel="console", provider_message_id="retry-1",
                             sender="console:bea", text=TECH_PROBLEM,
                             received_at=runtime.clock.now())
    assert receive(runtime.factory, runtime.ctx, inbound) is not None
    assert receive(runtime.factory, runtime.ctx, inbound) is None
    assert count(runtime, Ticket) == 1


def write_article(folder: Path, article_id: str, title: str, questions: list[str],
                  body: str) -> None:
    lines = ["---", f"id: {article_id}", "lang: en", f"title: {title}", "questions:",
             *(f"  - {q}" for q in questions), "---", body, ""]
    (folder / f"{article_id}.md").write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture
def ambiguous_runtime(config: AtiendeConfig, tmp_path: Path, clock: FixedClock) -> Runtime:
    kb = tmp_path / "kb"
    kb.mkdir()
    write_article(kb, "printer-setup-en", "Setting up the receipt printer",
                  ["How do I connect the printer?"], "Plug the printer in and pair it.")
    write_article(kb, "printer-paper-en", "Changing the printer paper roll",
                  ["How do I change the printer paper?"], "Open the lid and swap the roll.")
    write_article(kb, "invoices-en", "Downloading invoices",
                  ["Where are my invoices?"], "Invoices are under Billing.")
    changed = config.model_copy(update={"kb": config.kb.model_copy(update={"path": str(kb)})})
    return build_runtime(changed, clock)


def test_ambiguous_question_offers_choices_and_the_pick_is_answered(
        ambiguous_runtime: Runtime) -> None:
    chat = ChatSession(ambiguous_runtime, "console:carl")
    result = chat.send("printer")
    text = result["replies"][0]["text"]
    assert "Reply with the number" in text
    assert "Setting up the receipt printer" in text and "Changing the printer paper roll" in text
    assert result["replies"][0]["buttons"][-1] == "0"
    pick = "1" if text.index("Setting up") < text.index("Changing the printer") else "2"
    answer = send(chat, pick)
    assert answer.startswith("Plug the printer in and pair it.")


def test_none_of_the_choices_asks_for_details_then_opens_a_ticket(
        ambiguous_runtime: Runtime) -> None:
    chat = ChatSession(ambiguous_runtime, "console:dora")
    chat.send("printer")
    assert "tell me briefly what happened" in send(chat, "0")
    result = chat.send("The printer prints blank receipts since this morning")
    assert result["ticket"] == 1
    assert ticket(ambiguous_runtime, 1).description == (
        "The printer prints blank receipts since this morning\n\n(printer)")

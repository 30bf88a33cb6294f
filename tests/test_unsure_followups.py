"""A customer who answers "not sure, please check" is not left without a ticket.

After a KB answer, a reply that is neither yes nor no and asks nothing new ("no sé", "please
check", "an agent") opens a ticket with the question; it is not counted as "did not help".
After a VIP-only decline, the customer's next message that is no question for the KB opens
the ticket in the best category they may open, triaged on both messages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import Runtime
from bot.cli.chat import ChatSession
from bot.store.models import KbFeedback, Ticket
from tests.transcript import actions, count, send, ticket

VIP_ONLY = ("training", "customization")
TRAINING_ES = "necesito que alguien del equipo me explique varias cosas con calma por favor"
CUSTOM_EN = "Could you build a custom integration between your system and our ERP?"


def feedback_rows(runtime: Runtime) -> list[KbFeedback]:
    with runtime.factory() as session:
        return list(session.scalars(select(KbFeedback).where(KbFeedback.article_id.is_not(None))))


@pytest.mark.parametrize("reply", ["no sé, por favor revisen", "quiero hablar con un agente",
                                   "revisen porfa"])
def test_es_an_unsure_reply_to_a_kb_answer_opens_a_ticket(
        chat: ChatSession, runtime: Runtime, reply: str) -> None:
    question = "¿Cuál es el horario de atención?"
    assert send(chat, question).endswith("¿Te ayudó? (sí/no)")
    result = chat.send(reply)
    assert result["ticket"] == 1
    assert "Creé tu ticket #1" in result["replies"][0]["text"]
    assert ticket(runtime, 1).description == question
    assert "kb_unconfirmed" in actions(runtime)
    assert [row.helpful for row in feedback_rows(runtime)] == []   # not a "no" in kb stats


def test_en_an_unsure_reply_to_a_kb_answer_opens_a_ticket(runtime: Runtime) -> None:
    chat = ChatSession(runtime, "console:joe")
    question = "How do I export my data?"
    assert send(chat, question).endswith("Did this help? (yes/no)")
    result = chat.send("not sure, please check")
    assert result["ticket"] == 1
    assert "I opened ticket #1" in result["replies"][0]["text"]
    assert ticket(runtime, 1).description == question


def test_en_thanks_after_a_kb_answer_opens_no_ticket(runtime: Runtime) -> None:
    chat = ChatSession(runtime, "console:joe")
    send(chat, "How do I export my data?")
    send(chat, "thanks!")
    assert count(runtime, Ticket) == 0


def test_es_please_check_after_a_vip_only_decline_opens_a_fitting_ticket(
        chat: ChatSession, runtime: Runtime) -> None:
    send(chat, "quiero hablar con un agente")
    assert "exclusivo para clientes VIP" in send(chat, TRAINING_ES)
    result = chat.send("no sé, por favor revisen")
    assert result["ticket"] == 1
    assert "Creé tu ticket #1" in result["replies"][0]["text"]
    opened = ticket(runtime, 1)
    assert opened.category is not None and opened.category not in VIP_ONLY
    assert TRAINING_ES in opened.description   # the first message is kept, not replaced
    assert actions(runtime).count("vip_only_category_declined") == 1


def test_en_an_agent_request_after_a_vip_only_decline_opens_a_fitting_ticket(
        runtime: Runtime) -> None:
    chat = ChatSession(runtime, "console:joe")
    assert "VIP customers only" in send(chat, CUSTOM_EN)
    result = chat.send("please, I want to talk to an agent")
    assert result["ticket"] == 1
    opened = ticket(runtime, 1)
    assert opened.category is not None and opened.category not in VIP_ONLY
    assert CUSTOM_EN in opened.description


def test_en_a_kb_question_after_a_vip_only_decline_gets_the_article(runtime: Runtime) -> None:
    chat = ChatSession(runtime, "console:joe")
    send(chat, CUSTOM_EN)
    said = send(chat, "How do I export my data?")
    assert said.endswith("Did this help? (yes/no)")
    assert count(runtime, Ticket) == 0

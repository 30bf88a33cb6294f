"""VIP-only categories (training, customization): a regular customer is told so politely, in
their language, with the alternatives; no ticket is put in such a category for them."""

from __future__ import annotations

from bot.app import Runtime, build_runtime
from bot.cli.chat import ChatSession
from bot.config.root import AtiendeConfig
from scheduler.clock import FixedClock
from tests.transcript import actions, send, ticket

VAGUE_ES = "necesito que alguien del equipo me explique varias cosas con calma por favor"
VAGUE_EN = "I need someone from your team to walk me through several things calmly please"


def test_es_a_regular_customer_cannot_pick_training(chat: ChatSession, runtime: Runtime) -> None:
    send(chat, "quiero hablar con un agente")
    assert "¿de qué se trata?" in send(chat, VAGUE_ES)
    said = send(chat, "5")  # 5. capacitación
    assert "El servicio de capacitación es exclusivo para clientes VIP" in said
    assert "base de conocimiento" in said and "funcional o técnico" in said
    assert "¿de qué se trata?" in said, "the category is asked again"
    assert ticket(runtime, 1).category is None
    assert "vip_only_category_declined" in actions(runtime)
    said = send(chat, "2")  # 2. funcional
    assert "funcional" in said and ticket(runtime, 1).category == "functional"


def test_en_a_regular_customer_cannot_pick_customization(runtime: Runtime) -> None:
    chat = ChatSession(runtime, "console:joe")
    send(chat, "I want to talk to an agent")
    send(chat, VAGUE_EN)
    said = send(chat, "6")  # 6. customization
    assert "Our customization service is for VIP customers only" in said
    assert "knowledge base" in said and "What is it about?".lower() in said.lower()
    assert ticket(runtime, 1).category is None


def test_en_a_vip_customer_gets_training(runtime: Runtime) -> None:
    chat = ChatSession(runtime, "console:vip-joe")
    chat.mark_vip()
    send(chat, "I want to talk to an agent")
    send(chat, VAGUE_EN)
    said = send(chat, "5")
    assert "VIP customers only" not in said and "training" in said
    assert ticket(runtime, 1).category == "training"


def test_es_the_list_is_configurable(config: AtiendeConfig, clock: FixedClock) -> None:
    vip = config.vip.model_copy(update={"only_categories": []})
    built = build_runtime(config.model_copy(update={"vip": vip}), clock)
    try:
        chat = ChatSession(built, "console:ana")
        send(chat, "quiero hablar con un agente")
        send(chat, VAGUE_ES)
        assert "exclusivo para clientes VIP" not in send(chat, "5")
        assert ticket(built, 1).category == "training"
    finally:
        built.engine.dispose()

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


# Issue 20: every ticket gets a best-guess category from triage, so the customer no longer
# picks one from a numbered list; a message triaged into a VIP-only category is declined there.
CUSTOM_EN = "Could you build a custom integration between your system and our ERP?"
FUNCTIONAL_ES = "no encuentro dónde se configuran los horarios del personal en el módulo de turnos"


def test_es_a_regular_customer_is_declined_training(chat: ChatSession, runtime: Runtime) -> None:
    send(chat, "quiero hablar con un agente")
    said = send(chat, VAGUE_ES)   # triaged as training
    assert "El servicio de capacitación es exclusivo para clientes VIP" in said
    assert "base de conocimiento" in said and "funcional o técnico" in said
    assert "vip_only_category_declined" in actions(runtime)
    assert "created" not in actions(runtime)
    said = send(chat, FUNCTIONAL_ES)
    assert "Creé tu ticket #1" in said
    assert ticket(runtime, 1).category not in ("training", "customization")


def test_en_a_regular_customer_is_declined_customization(runtime: Runtime) -> None:
    chat = ChatSession(runtime, "console:joe")
    send(chat, "I want to talk to an agent")
    said = send(chat, CUSTOM_EN)
    assert "Our customization service is for VIP customers only" in said
    assert "knowledge base" in said
    assert "created" not in actions(runtime)


def test_en_a_vip_customer_gets_training(runtime: Runtime) -> None:
    chat = ChatSession(runtime, "console:vip-joe")
    chat.mark_vip()
    send(chat, "I want to talk to an agent")
    said = send(chat, VAGUE_EN)
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

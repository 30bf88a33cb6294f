"""Triage by meaning (issue 20), as customers and agents see it, in Spanish and English."""

from __future__ import annotations

from datetime import datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.app import Runtime
from bot.cli.chat import ChatSession
from bot.cli.triage import triage as triage_cli
from bot.desk import tickets
from bot.desk.triage_learning import decide, listed
from bot.engine.triage import triager_for
from bot.store.models import (
    Conversation,
    KbFeedback,
    OutboxItem,
    Ticket,
    TicketEvent,
    TriageExample,
)
from tests.transcript import actions, count, reply_text, ticket

OUTAGE = {
    "es": "oigan el punto de venta no abre en ninguna caja y tenemos el local lleno",
    "en": "The whole platform is down, our shops cannot take any payment",
}
INTRUSION = {
    "es": "alguien ingresó a la cuenta del dueño y transfirió los pagos a otra cuenta",
    "en": "Someone logged into our admin account last night and changed the bank details "
          "for payouts",
}
BILLING_LOCK = {
    "es": "nos suspendieron la cuenta por falta de pago aunque ya pagamos y la caja no deja "
          "vender",
    "en": "Our account was suspended for an unpaid invoice we already paid and the checkout "
          "is blocked, we can't sell anything",
}
VAGUE = {"es": "la página de reservas no carga", "en": "The booking page is not loading"}
DOUBLE_CHARGE = {"es": "me cobraron dos veces la suscripción de este mes",
                 "en": "You charged me twice for this month's subscription"}
CREATED = {"es": "Creé tu ticket #1", "en": "I opened ticket #1"}
LANGS = ("es", "en")


def first_ticket(chat: ChatSession, runtime: Runtime, text: str) -> tuple[str, Ticket]:
    result = chat.send(text)
    assert result["ticket"] == 1, reply_text(result)
    return reply_text(result), ticket(runtime, 1)


@pytest.mark.parametrize("lang", LANGS)
def test_an_outage_is_a_critical_emergency_without_an_article(
        chat: ChatSession, runtime: Runtime, lang: str) -> None:
    text, found = first_ticket(chat, runtime, OUTAGE[lang])
    assert CREATED[lang] in text
    assert (found.category, found.priority) == ("emergency", "critical")
    assert actions(runtime) == ["emergency_detected", "created"]   # no KB article first


@pytest.mark.parametrize("lang", LANGS)
def test_a_security_incident_is_a_critical_emergency(
        chat: ChatSession, runtime: Runtime, lang: str) -> None:
    _, found = first_ticket(chat, runtime, INTRUSION[lang])
    assert (found.category, found.priority) == ("emergency", "critical")


@pytest.mark.parametrize("lang", LANGS)
def test_a_sales_blocking_billing_failure_stays_billing_at_critical(
        chat: ChatSession, runtime: Runtime, lang: str) -> None:
    _, found = first_ticket(chat, runtime, BILLING_LOCK[lang])
    assert (found.category, found.priority) == ("billing", "critical")


@pytest.mark.parametrize(("lang", "answer", "category", "priority"), [
    ("es", "sí", "emergency", "critical"), ("en", "no", "technical", "medium")])
def test_a_vague_outage_gets_one_yes_no_question_and_the_answer_adds_to_it(
        chat: ChatSession, runtime: Runtime, lang: str, answer: str, category: str,
        priority: str) -> None:
    result = chat.send(VAGUE[lang])
    text = reply_text(result)
    question = {"es": "¿Está detenida tu operación o tus ventas?",
                "en": "Is your operation or are your sales stopped?"}[lang]
    assert question in text and result["replies"][-1]["buttons"] in (["Sí", "No"],
                                                                     ["Yes", "No"])
    asked = ticket(runtime, 1)
    assert asked.category == "technical" and asked.priority == "high"   # unsure: not low
    after = chat.send(answer)
    assert after["ticket"] == 1
    found = ticket(runtime, 1)
    assert (found.category, found.priority) == (category, priority)
    assert found.description == VAGUE[lang]   # the first message is kept, the answer joins
    assert "customer_message" in actions(runtime, 1)


@pytest.mark.parametrize(("lang", "answer", "category", "priority", "said"), [
    ("es", "sí, no podemos cobrar nada desde las 9", "emergency", "critical", "urgente"),
    ("en", "yes, nobody can pay us", "emergency", "critical", "urgent"),
    ("es", "no, solo está lenta, igual reservan por teléfono", "technical", "medium",
     "Agregué"),
    ("en", "No, it's just slow, the rest works", "technical", "medium", "I added"),
    ("es", "no lo sé, revisen por favor", "technical", "high", "Agregué"),
    ("en", "not sure, please check", "technical", "high", "I added"),
])
def test_an_answer_in_words_counts_by_what_it_says(
        chat: ChatSession, runtime: Runtime, lang: str, answer: str, category: str,
        priority: str, said: str) -> None:
    """"sí, no podemos cobrar" is a yes, "no lo sé" is no "no": unsure keeps it at high, and
    every answer joins the ticket that asked."""
    chat.send(VAGUE[lang])
    after = chat.send(answer)
    assert after["ticket"] == 1
    assert said in reply_text(after)
    found = ticket(runtime, 1)
    assert (found.category, found.priority) == (category, priority)
    assert found.description == VAGUE[lang]
    assert count(runtime, Ticket) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_a_problem_report_opens_a_ticket_though_an_article_is_about_billing(
        chat: ChatSession, runtime: Runtime, lang: str) -> None:
    result = chat.send(DOUBLE_CHARGE[lang])
    assert result["ticket"] == 1, reply_text(result)
    found = ticket(runtime, 1)
    confirmation, offered = (reply["text"] for reply in result["replies"])
    assert CREATED[lang] in confirmation   # the ticket first, no "did this help?" article
    assert (found.category, found.priority) == ("billing", "medium")
    # the article about the topic beside the confirmation, to read meanwhile
    beside = {"es": "Mientras tanto, este artículo puede servirte: ",
              "en": "Meanwhile, this article may help: "}[lang]
    assert offered.startswith(beside)
    article = runtime.ctx.articles[offered_article(runtime)]
    assert article.lang == lang and "billing" in article.id
    assert offered == beside + article.title + "\n\n" + article.body.strip()
    assert actions(runtime) == ["problem_report", "created", "kb_offered_beside_ticket"]
    assert "Did this help" not in offered and "¿Te ayudó?" not in offered
    with runtime.factory() as session:   # no "did this help?" pending: the ticket goes on
        assert session.scalars(select(Conversation.state)).one() == "idle"
    assert count(runtime, KbFeedback) == 0


def offered_article(runtime: Runtime) -> str:
    with runtime.factory() as session:
        return session.scalars(select(TicketEvent.detail).where(
            TicketEvent.action == "kb_offered_beside_ticket")).one()


def correct(runtime: Runtime, category: str, priority: str, at: datetime) -> None:
    with runtime.factory() as session:
        found = session.scalars(select(Ticket).where(Ticket.number == 1)).one()
        tickets.set_category(session, runtime.ctx.desk, found, category, "agent:lu@desk.test",
                             at)
        tickets.set_priority(session, runtime.ctx.desk, found, priority, "agent:lu@desk.test",
                             at)
        session.commit()


@pytest.mark.parametrize("lang", LANGS)
def test_an_agent_correction_becomes_an_example_once_approved(
        chat: ChatSession, runtime: Runtime, lang: str) -> None:
    message = {"es": "necesito que revisen lo del cupón de la tienda de Palermo",
               "en": "please look into the coupon thing at the Palermo store"}[lang]
    first_ticket(chat, runtime, message)
    now = runtime.clock.now()
    correct(runtime, "customization", "low", now)
    with runtime.factory() as session:
        [pending] = listed(session)
        assert (pending.text, pending.category, pending.priority) == (
            message, "customization", "low")
        assert pending.proposed_by == "lu@desk.test"
        before = triager_for(session, runtime.config)
        decide(session, pending.id, True, now)
        session.commit()
        after = triager_for(session, runtime.config)
        assert after is not before and after.size == before.size + 1
        assert after.classify(message).category == "customization"
    assert count(runtime, TriageExample) == 1


def test_triage_learned_cli_lists_and_rejects(chat: ChatSession, runtime: Runtime,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    first_ticket(chat, runtime, DOUBLE_CHARGE["es"])
    correct(runtime, "billing", "high", runtime.clock.now())
    for module in ("bot.cli.triage", "bot.cli.review"):
        monkeypatch.setattr(f"{module}.read_config", lambda path: runtime.config)
    shown = CliRunner().invoke(triage_cli, ["learned", "list", "--json"])
    assert shown.exit_code == 0, shown.output
    assert '"category": "billing", "priority": "high"' in shown.output
    rejected = CliRunner().invoke(triage_cli, ["learned", "reject", "1"])
    assert rejected.exit_code == 0 and "rejected" in rejected.output
    again = CliRunner().invoke(triage_cli, ["learned", "reject", "1"])
    assert again.exit_code == 2 and "already rejected" in again.output


def test_a_customer_answer_or_a_bot_change_is_no_correction(chat: ChatSession,
                                                            runtime: Runtime) -> None:
    chat.send(VAGUE["es"])
    chat.send("sí")
    with runtime.factory() as session:
        assert listed(session) == []


@pytest.mark.parametrize(("lang", "acks"), [("es", ["👍", "ok", "listo, gracias!"]),
                                            ("en", ["ok 👍", "thank you", "got it"])])
def test_a_bare_acknowledgement_is_not_appended_mailed_or_unanswered(
        chat: ChatSession, runtime: Runtime, lang: str, acks: list[str]) -> None:
    first_ticket(chat, runtime, DOUBLE_CHARGE[lang])
    mails = count(runtime, OutboxItem)
    for ack in acks:
        result = chat.send(ack)
        assert "customer_message" not in actions(runtime, 1)
    with runtime.factory() as session:   # no mail to the agents (a "thanks" reply at most)
        added = session.scalars(select(OutboxItem).order_by(OutboxItem.id).offset(mails)).all()
        assert [item.channel for item in added if item.channel == "email"] == []
    with runtime.factory() as session:
        unanswered = session.scalars(select(KbFeedback).where(
            KbFeedback.article_id.is_(None))).all()
        assert [row.question for row in unanswered if row.question in acks] == []
    assert all("#1" not in reply["text"] for reply in result["replies"])


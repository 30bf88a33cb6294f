"""Acting from the inbox over HTTP: reply, note, resolve, fields; audit rows; bad input; CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from bot.cli.chat import ChatSession
from bot.store.models import OutboxItem, Ticket, TicketEvent
from scheduler.clock import FixedClock
from tests.web.conftest import ANA, LUIS, Inbox, csrf_of

COMPLAINT = "Quiero hablar con un agente: la factura 4455 tiene un cobro doble"


def open_ticket(chat: ChatSession) -> int:
    number = chat.send(COMPLAINT)["ticket"]
    assert number is not None
    return number


def customer_rows(inbox: Inbox, number: int) -> list[OutboxItem]:
    """Outbox rows to the customer's console address for this ticket."""
    with inbox.runtime.factory() as session:
        ticket_id = session.scalar(select(Ticket.id).where(Ticket.number == number))
        return list(session.scalars(select(OutboxItem).where(
            OutboxItem.ticket_id == ticket_id, OutboxItem.channel == "console")
            .order_by(OutboxItem.id)))


def events(inbox: Inbox, number: int, action: str) -> list[TicketEvent]:
    with inbox.runtime.factory() as session:
        ticket_id = session.scalar(select(Ticket.id).where(Ticket.number == number))
        return list(session.scalars(select(TicketEvent).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.action == action)))


def ticket(inbox: Inbox, number: int) -> Ticket:
    with inbox.runtime.factory() as session:
        found = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        session.expunge(found)
        return found


def post(client: httpx.Client, number: int, action: str, **data: str) -> httpx.Response:
    token = csrf_of(client.get(f"/agent/tickets/{number}"))
    return client.post(f"/agent/tickets/{number}/{action}", data={"csrf": token, **data})


def test_the_conversation_page_shows_the_thread_and_the_contact(
        inbox: Inbox, chat: ChatSession) -> None:
    number = open_ticket(chat)
    page = inbox.signed_in(ANA).get(f"/agent/tickets/{number}")
    assert page.status_code == 200
    assert "cobro doble" in page.text                  # the customer's message
    assert "Ana Pérez" in page.text                     # the contact
    assert "console:ana" in page.text                   # their address
    assert re.search(rf"#{number}\b", page.text)


def test_a_reply_is_queued_to_the_customer_with_an_agent_event(
        inbox: Inbox, chat: ChatSession) -> None:
    number = open_ticket(chat)
    before = len(customer_rows(inbox, number))
    answer = post(inbox.signed_in(ANA), number, "reply", text="Ya revisé: le devolvemos el cobro.")
    assert answer.status_code == 303
    rows = customer_rows(inbox, number)
    assert len(rows) == before + 1
    assert rows[-1].payload["text"] == "Ya revisé: le devolvemos el cobro."
    assert rows[-1].payload["kind"] == "agent_reply"
    assert rows[-1].recipient == "console:ana"
    assert [e.actor for e in events(inbox, number, "agent_reply")] == [f"agent:{ANA}"]
    changed = ticket(inbox, number)
    assert changed.first_response_at is not None and changed.assignee == ANA
    assert changed.status == "in_progress"


def test_the_customer_gets_the_reply_on_their_channel(inbox: Inbox, chat: ChatSession) -> None:
    number = open_ticket(chat)
    post(inbox.signed_in(ANA), number, "reply", text="Hola Ana, ya está corregido.")
    assert chat.poll() == ["Hola Ana, ya está corregido."]   # `make chat` shows it unasked
    assert chat.poll() == []


def test_an_internal_note_never_reaches_the_outbox(inbox: Inbox, chat: ChatSession) -> None:
    number = open_ticket(chat)
    with inbox.runtime.factory() as session:
        outbox_before = session.scalar(select(func.count()).select_from(OutboxItem))
    answer = post(inbox.signed_in(ANA), number, "note", text="Cliente molesto: revisar contrato")
    assert answer.status_code == 303
    with inbox.runtime.factory() as session:
        outbox_after = session.scalar(select(func.count()).select_from(OutboxItem))
        texts = [row.payload["text"] for row in session.scalars(select(OutboxItem))]
    assert outbox_after == outbox_before
    assert not any("revisar contrato" in text for text in texts)
    notes = events(inbox, number, "note")
    assert [(n.actor, n.detail) for n in notes] == [(f"agent:{ANA}",
                                                     "Cliente molesto: revisar contrato")]
    assert "revisar contrato" in inbox.signed_in(LUIS).get(f"/agent/tickets/{number}").text


def test_resolve_starts_the_rating_flow(inbox: Inbox, chat: ChatSession) -> None:
    number = open_ticket(chat)
    answer = post(inbox.signed_in(ANA), number, "resolve")
    assert answer.status_code == 303
    assert ticket(inbox, number).status == "resolved"
    kinds = [row.payload["kind"] for row in customer_rows(inbox, number)]
    assert "rating_request" in kinds
    assert [e.actor for e in events(inbox, number, "status_changed")][-1] == f"agent:{ANA}"


def test_fields_assign_status_priority_category(inbox: Inbox, chat: ChatSession) -> None:
    number = open_ticket(chat)
    client = inbox.signed_in(ANA)
    assert post(client, number, "assign", assignee=LUIS).status_code == 303
    assert post(client, number, "priority", priority="high").status_code == 303
    assert post(client, number, "category", category="billing").status_code == 303
    assert post(client, number, "status", status="waiting_customer").status_code == 303
    changed = ticket(inbox, number)
    assert (changed.assignee, changed.priority, changed.category, changed.status) == (
        LUIS, "high", "billing", "waiting_customer")
    for action in ("assigned", "priority_changed", "category_changed", "status_changed"):
        assert f"agent:{ANA}" in [e.actor for e in events(inbox, number, action)], action


def test_a_bad_value_is_a_400_with_the_reason_and_changes_nothing(
        inbox: Inbox, chat: ChatSession) -> None:
    number = open_ticket(chat)
    answer = post(inbox.signed_in(ANA), number, "priority", priority="urgentísima")
    assert answer.status_code == 400
    assert "#priority takes one of" in answer.text
    assert ticket(inbox, number).priority != "urgentísima"


def test_an_empty_reply_is_refused_and_a_failed_reply_keeps_the_text(
        inbox: Inbox, chat: ChatSession) -> None:
    number = open_ticket(chat)
    client = inbox.signed_in(ANA)
    empty = post(client, number, "reply", text="   ")
    assert empty.status_code == 400 and "Escriba algo" in empty.text
    stale = client.post(f"/agent/tickets/{number}/reply",
                        data={"csrf": "from-an-old-page", "text": "Le escribo mañana"})
    assert stale.status_code == 403 and "caducó" in stale.text
    assert ">Le escribo mañana</textarea>" in stale.text  # what was typed is still in the box
    post(client, number, "resolve")
    again = post(client, number, "resolve")
    assert again.status_code == 400 and "already resolved" in again.text


def test_htmx_gets_the_thread_or_the_reason_as_a_fragment(
        inbox: Inbox, chat: ChatSession) -> None:
    number = open_ticket(chat)
    client = inbox.signed_in(ANA)
    token = csrf_of(client.get(f"/agent/tickets/{number}"))
    ok = client.post(f"/agent/tickets/{number}/note", data={"csrf": token, "text": "visto"},
                     headers={"HX-Request": "true"})
    assert ok.status_code == 200 and ok.text.lstrip().startswith('<ol id="thread"')
    assert "visto" in ok.text
    bad = client.post(f"/agent/tickets/{number}/note", data={"csrf": token, "text": ""},
                      headers={"HX-Request": "true"})
    assert bad.status_code == 400 and bad.text.strip().startswith('<p class="error">')


def test_an_action_without_a_session_or_csrf_token_does_nothing(
        inbox: Inbox, chat: ChatSession) -> None:
    number = open_ticket(chat)
    before = len(customer_rows(inbox, number))
    with inbox.client() as stranger:
        anonymous = stranger.post(f"/agent/tickets/{number}/reply", data={"text": "hola"})
    assert anonymous.status_code == 303 and "/agent/sign-in" in anonymous.headers["location"]
    client = inbox.signed_in(ANA)
    forged = client.post(f"/agent/tickets/{number}/reply",
                         data={"csrf": "not-the-token", "text": "hola"})
    assert forged.status_code == 403
    assert len(customer_rows(inbox, number)) == before
    assert events(inbox, number, "agent_reply") == []


def test_an_unknown_ticket_is_404(inbox: Inbox) -> None:
    client = inbox.signed_in(ANA)
    assert client.get("/agent/tickets/999").status_code == 404
    token = csrf_of(client.get("/agent/"))
    assert client.post("/agent/tickets/999/note",
                       data={"csrf": token, "text": "x"}).status_code == 404


def test_the_thread_shows_the_bot_answer_with_its_article_the_rating_and_desk_times(
        inbox: Inbox, chat: ChatSession, clock: FixedClock) -> None:
    answered = chat.send("¿Cuál es el horario de atención?")
    assert answered["replies"], answered
    number = open_ticket(chat)
    client = inbox.signed_in(ANA)
    post(client, number, "resolve")
    clock.advance(timedelta(minutes=5))
    chat.send("5")
    page = client.get(f"/agent/tickets/{number}").text
    thread = page.split('id="thread"', 1)[1].split("</ol>", 1)[0]
    assert answered["replies"][0]["text"].splitlines()[0] in thread   # the bot's answer
    with inbox.runtime.factory() as session:
        article = session.scalar(select(TicketEvent.detail).where(
            TicketEvent.action == "kb_answered"))
    assert article and f"kb_answered · {article}" in thread           # … and which article
    assert "rated · — → 5" in thread                                  # the customer's rating
    assert "<time>2026-11-24 10:00</time>" in thread                   # Bogotá, not UTC (15:00)
    assert "<time>2026-11-24 10:05</time>" in thread

"""The IMAP poller stores a fetched chunk, then routes its customers' mail together; a mail
that depends on earlier mail in the chunk (a reply in a thread, an agent's answer) still sees
that mail handled first, as if every mail were handled on arrival."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import Runtime
from bot.store.models import Message, Ticket
from channels.email.addresses import reply_address
from channels.email.ingest import Envelope
from channels.email.reply_address import sign_ticket
from channels.email.service import Mail, MailIntake
from tests.email.mailkit import AGENT, SUPPORT, intake, mail

PROBLEM = "La factura electrónica no llega al correo del contador desde el lunes"
CUSTOMER = "cliente@empresa.co"


def as_one_chunk(service: MailIntake, mails: list[bytes]) -> None:
    """What the poller does with one fetch: store each mail, then route what waits."""
    service.receive_all([Mail(raw, Envelope(), "email:imap") for raw in mails])


def test_a_reply_to_a_mail_in_the_same_chunk_continues_its_ticket(
        email_runtime: Runtime) -> None:
    service = intake(email_runtime)
    first = mail(CUSTOMER, "Factura electrónica", PROBLEM, message_id="<m1@empresa.co>")
    second = mail(CUSTOMER, "Re: Factura electrónica",
                  "Además la aplicación se cierra con error 500 cuando guardo la orden",
                  in_reply_to="<m1@empresa.co>", message_id="<m2@empresa.co>")
    as_one_chunk(service, [first.as_bytes(), second.as_bytes()])
    with email_runtime.factory() as session:
        tickets = session.scalars(select(Ticket)).all()
        linked = {m.ticket_id for m in session.scalars(
            select(Message).where(Message.direction == "in"))}
    assert len(tickets) == 1
    assert linked == {tickets[0].id}


def test_an_agents_answer_after_a_customer_follow_up_in_the_same_chunk_comes_last(
        email_runtime: Runtime) -> None:
    service = intake(email_runtime)
    service.receive_sync(mail(CUSTOMER, "Factura", PROBLEM).as_bytes(), Envelope(), "email:imap")
    with email_runtime.factory() as session:
        number = session.scalars(select(Ticket.number)).one()
    address = reply_address(SUPPORT, number, sign_ticket(b"k", number))
    follow_up = mail(CUSTOMER, f"Re: [#{number}] Factura",
                     "Otro dato: el contador es contador@empresa.co y sigue sin llegar nada",
                     to=address)
    answer = mail(AGENT, f"Re: [#{number}] Factura",
                  "Ya quedó corregido, revise por favor.\n#resolve", to=address)
    as_one_chunk(service, [follow_up.as_bytes(), answer.as_bytes()])
    with email_runtime.factory() as session:
        ticket = session.scalars(select(Ticket)).one()
    assert (ticket.status, ticket.reopen_count) == ("resolved", 0)

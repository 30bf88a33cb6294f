"""/my/: sign-in by one-time mailed link, the contact's tickets on every channel, the public
history only, add information, confirm, reopen, rate; another customer's ticket is a 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.config.root import AtiendeConfig
from bot.desk import agent_commands, relay, tickets
from bot.engine.contacts import find_contact
from bot.store.db import transaction
from bot.store.models import ContactIdentity, Message, Rating, Ticket, TicketEvent, WebUpload
from scheduler.clock import FixedClock
from tests.web.customer_site import FORM, Site, csrf_of, site_fixture  # noqa: F401

ANA = "ana@example.com"
POSTS_PER_MINUTE = 8


@pytest.fixture
def config(config: AtiendeConfig) -> AtiendeConfig:
    web = config.customer_web.model_copy(update={"posts_per_minute": POSTS_PER_MINUTE,
                                                 "sign_ins_per_hour": 4})
    return config.model_copy(update={"customer_web": web})
PDF = b"%PDF-1.4\n%fake\n"


def as_agent(site: Site, number: int, action: str, text: str = "") -> None:
    """What an agent does from the inbox or by mail: the desk's own functions."""
    runtime = site.runtime
    with transaction(runtime.factory) as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        desk, now = runtime.ctx.desk, runtime.clock.now()
        if action == "reply":
            relay.answer_customer(session, desk, ticket, ANA, text, now, "test")
        elif action == "note":
            agent_commands.add_note(session, desk, ticket, ANA, text, now)
        else:
            tickets.set_status(session, desk, ticket, action, f"agent:{ANA}", now)


def ticket(site: Site, number: int) -> Ticket:
    return next(found for found in site.tickets() if found.number == number)


def test_sign_in_by_a_one_time_link_and_see_every_channel(site: Site) -> None:
    number = site.open_ticket(site.client())
    runtime = site.runtime
    with transaction(runtime.factory) as session:   # the same contact also wrote on WhatsApp
        contact = find_contact(session, "email", FORM["email"])
        assert contact is not None
        session.add(ContactIdentity(contact_id=contact.id, channel="whatsapp",
                                    address="whatsapp:+573005550101"))
        tickets.create_ticket(session, runtime.ctx.desk, contact=contact, channel="whatsapp",
                              conversation_id=None, text="La app no abre en el celular",
                              category="technical", priority="medium", language="es",
                              actor="bot", now=runtime.clock.now())
    anonymous = site.client()
    assert "sign-in" in anonymous.get("/my/").text
    assert anonymous.get(f"/my/tickets/{number}").status_code == 303
    client = site.signed_in()
    cookie = client.cookies.jar
    assert any(c.name == "atiende_customer" and c.has_nonstandard_attr("HttpOnly")
               for c in cookie)
    listing = client.get("/my/")
    assert listing.status_code == 200
    assert FORM["title"] in listing.text and "La app no abre en el celular" in listing.text
    link = site.link_in("customer_sign_in", FORM["email"])
    again = site.client()
    assert again.post(link, data={"csrf": csrf_of(again.get("/my/"))}).status_code == 404


def test_no_link_for_an_unknown_address_and_links_expire(site: Site, clock: FixedClock) -> None:
    client = site.client()
    token = csrf_of(client.get("/my/"))
    answer = client.post("/my/sign-in", data={"email": "nadie@example.org", "csrf": token})
    assert answer.status_code == 200 and "Si esa dirección" in answer.text
    assert site.mails("customer_sign_in") == []
    site.open_ticket(site.client())
    client.post("/my/sign-in", data={"email": FORM["email"], "csrf": token})
    link = site.link_in("customer_sign_in", FORM["email"])
    clock.advance(timedelta(minutes=31))
    assert client.get(link).status_code == 404
    assert client.post(link, data={"csrf": token}).status_code == 404
    assert client.post("/my/sign-in", data={"email": FORM["email"],
                                            "csrf": "forged"}).status_code == 403


def test_only_what_the_customer_may_see_is_in_the_history(site: Site) -> None:
    number = site.open_ticket(site.client())
    as_agent(site, number, "note", "INTERNAL: customer is on the old plan")
    as_agent(site, number, "reply", "Hola María, ya lo revisamos: borre la caché.")
    client = site.signed_in()
    page = client.get(f"/my/tickets/{number}")
    assert page.status_code == 200
    assert "borre la caché" in page.text and FORM["description"] in page.text
    assert "INTERNAL" not in page.text and "old plan" not in page.text
    assert "Nuevo ticket" not in page.text and ANA not in page.text   # agents' mail
    assert "Ana" in page.text   # the assignee's first name
    assert "En curso" in page.text and "Alta" in page.text


def test_another_customers_ticket_is_not_found(site: Site) -> None:
    mine = site.open_ticket(site.client(),
                            files=[("attachments", ("a.pdf", PDF, "application/pdf"))])
    theirs = site.open_ticket(site.client(), email="pedro@otro.co", title="Secreto de Pedro",
                              files=[("attachments", ("p.pdf", PDF, "application/pdf"))])
    with site.runtime.factory() as session:
        uploads = {u.ticket_id: u.id for u in session.scalars(select(WebUpload))}
    client = site.signed_in()
    token = csrf_of(client.get("/my/"))
    assert "Secreto de Pedro" not in client.get("/my/").text
    assert client.get(f"/my/tickets/{theirs}").status_code == 404
    assert client.get("/my/tickets/999").status_code == 404
    for action in ("comment", "confirm", "reopen", "rate"):
        answer = client.post(f"/my/tickets/{theirs}/{action}",
                             data={"csrf": token, "text": "x", "score": "5"})
        assert answer.status_code == 404, action
    assert client.get(f"/my/attachments/{uploads[ticket(site, theirs).id]}").status_code == 404
    mine_file = client.get(f"/my/attachments/{uploads[ticket(site, mine).id]}")
    assert mine_file.status_code == 200 and mine_file.content == PDF
    assert mine_file.headers["content-disposition"].startswith("attachment")
    assert site.client().get(f"/my/attachments/{uploads[ticket(site, mine).id]}"
                             ).status_code == 404


def test_add_information_with_a_file(site: Site) -> None:
    number = site.open_ticket(site.client())
    as_agent(site, number, "waiting_customer")
    client = site.signed_in()
    token = csrf_of(client.get(f"/my/tickets/{number}"))
    before = len(site.mails("agent_notice"))
    answer = client.post(f"/my/tickets/{number}/comment",
                         data={"csrf": token, "text": "Adjunto el log <b>completo</b>"},
                         files=[("attachments", ("log.txt", b"error 500", "text/plain"))])
    assert answer.status_code == 303
    page = client.get(f"/my/tickets/{number}")
    assert "Adjunto el log &lt;b&gt;completo&lt;/b&gt;" in page.text and "log.txt" in page.text
    assert ticket(site, number).status == "open"   # it waited on the customer
    assert len(site.mails("agent_notice")) == before + 1
    with site.runtime.factory() as session:
        last = session.scalars(select(Message).order_by(Message.id.desc())).first()
        assert last is not None and last.ticket_id == ticket(site, number).id
    empty = client.post(f"/my/tickets/{number}/comment", data={"csrf": token, "text": " "})
    assert empty.status_code == 400 and "Escriba algo" in empty.text
    forged = client.post(f"/my/tickets/{number}/comment", data={"csrf": "x", "text": "hi"})
    assert forged.status_code == 403


def test_confirm_the_fix_closes_and_reopen_opens(site: Site) -> None:
    first = site.open_ticket(site.client())
    second = site.open_ticket(site.client(), email=FORM["email"], title="Segundo")
    client = site.signed_in()
    token = csrf_of(client.get("/my/"))
    early = client.post(f"/my/tickets/{first}/confirm", data={"csrf": token})
    assert early.status_code == 409 and "resuelto" in early.text
    as_agent(site, first, "resolved")
    as_agent(site, second, "resolved")
    assert client.post(f"/my/tickets/{first}/confirm", data={"csrf": token}).status_code == 303
    assert ticket(site, first).status == "closed"
    assert client.post(f"/my/tickets/{second}/reopen", data={"csrf": token}).status_code == 303
    assert (ticket(site, second).status, ticket(site, second).reopen_count) == ("open", 1)
    closed = client.post(f"/my/tickets/{first}/comment", data={"csrf": token, "text": "?"})
    assert closed.status_code == 409
    with site.runtime.factory() as session:
        actors = set(session.scalars(select(TicketEvent.actor)))
    assert f"customer:{FORM['email']}" in actors


@pytest.mark.parametrize("score", [5, 1])
def test_rate_the_resolution(site: Site, score: int) -> None:
    number = site.open_ticket(site.client())
    client = site.signed_in()
    token = csrf_of(client.get("/my/"))
    early = client.post(f"/my/tickets/{number}/rate", data={"csrf": token, "score": "5"})
    assert early.status_code == 409
    as_agent(site, number, "resolved")
    bad = client.post(f"/my/tickets/{number}/rate", data={"csrf": token, "score": "9"})
    assert bad.status_code == 400
    rated = client.post(f"/my/tickets/{number}/rate",
                        data={"csrf": token, "score": str(score), "comment": "Rápido"})
    assert rated.status_code == 303
    assert ticket(site, number).rating == score
    assert f"{score}/5" in client.get(f"/my/tickets/{number}").text
    with site.runtime.factory() as session:
        rating = session.scalars(select(Rating)).one()
        assert (rating.score, rating.comment) == (score, "Rápido")
        escalated = session.scalars(select(TicketEvent).where(
            TicketEvent.action == "escalated")).all()
    assert bool(escalated) == (score == 1)


def test_sign_out_and_session_expiry_end_access(site: Site, clock: FixedClock) -> None:
    number = site.open_ticket(site.client())
    client = site.signed_in()
    assert client.get(f"/my/tickets/{number}").status_code == 200
    token = csrf_of(client.get("/my/"))
    assert client.post("/my/sign-out", data={"csrf": token}).status_code == 303
    assert client.get(f"/my/tickets/{number}").status_code == 303
    later = site.signed_in()
    clock.advance(timedelta(hours=13))
    assert later.get(f"/my/tickets/{number}").status_code == 303
    assert "sign-in" in later.get("/my/").text


def test_too_many_posts_or_sign_in_requests_from_one_address(site: Site,
                                                             clock: FixedClock) -> None:
    number = site.open_ticket(site.client())
    client = site.signed_in()
    token = csrf_of(client.get("/my/"))
    for n in range(POSTS_PER_MINUTE):
        sent = client.post(f"/my/tickets/{number}/comment", data={"csrf": token, "text": f"{n}"})
        assert sent.status_code == 303
    limited = client.post(f"/my/tickets/{number}/comment", data={"csrf": token, "text": "+1"})
    assert limited.status_code == 429 and "Demasiadas" in limited.text
    clock.advance(timedelta(minutes=1, seconds=1))
    assert client.post(f"/my/tickets/{number}/comment",
                       data={"csrf": token, "text": "+1"}).status_code == 303
    for _ in range(3):   # the sign-in above was the first of 4 this hour
        client.post("/my/sign-in", data={"csrf": token, "email": FORM["email"]})
    again = client.post("/my/sign-in", data={"csrf": token, "email": FORM["email"]})
    assert again.status_code == 429

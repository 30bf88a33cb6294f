"""The ticket form at /tickets/new: confirmation by mailed link, limits, KB suggestions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.config.root import AtiendeConfig
from bot.engine.contacts import find_or_create_contact
from bot.store.db import transaction
from bot.store.models import ContactIdentity, Message, WebUpload
from bot.web.agent.accounts import invite
from scheduler.clock import FixedClock
from tests.web.customer_site import FORM, Site, csrf_of, number_in, site_fixture  # noqa: F401

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


@pytest.fixture
def config(config: AtiendeConfig) -> AtiendeConfig:
    web = config.customer_web.model_copy(update={
        "new_tickets_per_hour": 3, "suggestions_per_minute": 3, "max_attachments": 2,
        "max_attachment_bytes": 10_000})
    return config.model_copy(update={"customer_web": web})


def test_the_ticket_reaches_the_desk_only_once_confirmed_from_the_mail(site: Site) -> None:
    client = site.client()
    page = client.get("/tickets/new")
    assert page.status_code == 200 and 'name="title"' in page.text
    sent = site.send_form(client, files=[("attachments", ("shot.png", PNG, "image/png"))])
    assert sent.status_code == 202 and FORM["email"] in sent.text
    assert site.tickets() == []
    [mail] = site.mails("web_ticket_confirm", FORM["email"])
    assert mail.channel == "email" and mail.payload["subject"].endswith(FORM["title"])
    link = site.link_in("web_ticket_confirm", FORM["email"])
    shown = client.get(link)
    assert shown.status_code == 200 and FORM["title"] in shown.text
    assert site.tickets() == []   # looking at the link does not confirm it
    confirmed = client.post(link, data={"csrf": csrf_of(shown)})
    assert confirmed.status_code == 200
    [ticket] = site.tickets()
    assert number_in(confirmed.text) == ticket.number
    assert (ticket.subject, ticket.category, ticket.priority, ticket.status) == (
        FORM["title"], "technical", "high", "open")
    assert ticket.first_response_due_at is not None and ticket.channel == "webform"
    assert "Firefox 130" in ticket.description and "Informes" in ticket.description
    notices = site.mails("agent_notice")
    assert notices and FORM["title"] in notices[0].payload["subject"]
    [told] = site.mails("ticket_created", FORM["email"])
    assert f"#{ticket.number}" in told.payload["text"] and "a más tardar" in told.payload["text"]
    again = client.post(link, data={"csrf": csrf_of(shown)})
    assert again.status_code == 200 and number_in(again.text) == ticket.number
    assert len(site.tickets()) == 1


def test_the_ticket_is_on_the_contact_of_the_address_with_its_files(site: Site) -> None:
    runtime = site.runtime
    with transaction(runtime.factory) as session:
        known = find_or_create_contact(session, runtime.config, "email", FORM["email"], "M",
                                       runtime.clock.now()).id
    number = site.open_ticket(site.client(),
                              files=[("attachments", ("shot.png", PNG, "image/png"))])
    with runtime.factory() as session:
        [ticket] = site.tickets()
        assert ticket.number == number and ticket.contact_id == known
        identities = session.scalars(select(ContactIdentity).where(
            ContactIdentity.contact_id == known)).all()
        assert [(i.channel, i.address) for i in identities] == [("email", FORM["email"])]
        message = session.scalars(select(Message).where(Message.ticket_id == ticket.id)).one()
        [upload] = session.scalars(select(WebUpload)).all()
        assert upload.ticket_id == ticket.id and upload.data == PNG
        assert message.attachments[0]["url"] == f"/my/attachments/{upload.id}"


def test_one_unconfirmed_request_per_address_until_it_expires(site: Site,
                                                              clock: FixedClock) -> None:
    client = site.client()
    assert site.send_form(client).status_code == 202
    second = site.send_form(client, title="Otra cosa")
    assert second.status_code == 409 and "sin confirmar" in second.text
    assert site.send_form(client, email="otra@cliente.co").status_code == 202
    clock.advance(timedelta(hours=25))
    assert site.send_form(client).status_code == 202
    assert len(site.mails("web_ticket_confirm", FORM["email"])) == 2


def test_an_expired_or_unknown_link_confirms_nothing(site: Site, clock: FixedClock) -> None:
    client = site.client()
    site.send_form(client)
    link = site.link_in("web_ticket_confirm", FORM["email"])
    token = csrf_of(client.get(link))
    clock.advance(timedelta(hours=25))
    assert client.get(link).status_code == 404
    assert client.post(link, data={"csrf": token}).status_code == 404
    assert client.get("/tickets/confirm/nonsense").status_code == 404
    assert site.tickets() == []


def test_csrf_is_checked_on_the_form_and_the_confirmation(site: Site) -> None:
    client = site.client()
    client.get("/tickets/new")
    refused = client.post("/tickets/new", data={**FORM, "csrf": "forged"})
    assert refused.status_code == 403 and "caducó" in refused.text
    assert site.mails("web_ticket_confirm") == []
    site.send_form(client)
    link = site.link_in("web_ticket_confirm", FORM["email"])
    assert client.post(link, data={"csrf": "forged"}).status_code == 403
    assert site.tickets() == []


@pytest.mark.parametrize(("changes", "reason"), [
    ({"title": ""}, "Falta: title"), ({"email": "not-an-address"}, "correo válido"),
    ({"category": "nonsense"}, "category"), ({"priority": "urgent!"}, "priority"),
    ({"description": "x" * 10_001}, "máximo 10000"),
])
def test_bad_fields_are_refused_with_a_reason(site: Site, changes: dict[str, str],
                                              reason: str) -> None:
    answer = site.send_form(site.client(), **changes)
    assert answer.status_code == 400 and reason in answer.text
    assert site.mails("web_ticket_confirm") == []


@pytest.mark.parametrize(("files", "status", "reason"), [
    ([("attachments", ("big.png", PNG + b"\0" * 10_000, "image/png"))], 413,
     "big.png pasa de 10 KB"),
    ([("attachments", ("run.exe", b"MZ", "application/x-msdownload"))], 415, "run.exe"),
    ([("attachments", ("fake.png", b"<script>", "text/html"))], 415, "fake.png"),
    ([("attachments", (f"{n}.png", PNG, "image/png")) for n in range(3)], 400,
     "máximo 2"),
    ([("attachments", ("huge.png", b"\0" * 300_000, "image/png"))], 413, "demasiado grande"),
])
def test_attachment_limits_say_what_is_wrong(site: Site, files: list[object], status: int,
                                             reason: str) -> None:
    answer = site.send_form(site.client(), files=files)
    assert answer.status_code == status, answer.text
    assert reason in answer.text
    assert site.mails("web_ticket_confirm") == []


def test_markup_in_the_form_is_shown_as_text(site: Site) -> None:
    client = site.client()
    site.send_form(client, title="<script>alert(1)</script>")
    page = client.get(site.link_in("web_ticket_confirm", FORM["email"]))
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_too_many_forms_from_one_address_are_refused(site: Site, clock: FixedClock) -> None:
    client = site.client()
    for n in range(3):
        assert site.send_form(client, email=f"c{n}@cliente.co").status_code == 202
    limited = site.send_form(client, email="c9@cliente.co")
    assert limited.status_code == 429 and "Demasiadas" in limited.text
    clock.advance(timedelta(minutes=61))
    assert site.send_form(client, email="c9@cliente.co").status_code == 202


def test_the_kb_is_suggested_while_typing_the_title(site: Site) -> None:
    client = site.client()
    found = client.get("/tickets/suggest", params={"title": "¿Cuál es el horario de soporte?"})
    assert found.status_code == 200 and 'class="suggestion"' in found.text
    assert "/help/search?q=" in found.text
    assert "suggestion" not in client.get("/tickets/suggest", params={"title": "ab"}).text
    assert client.get("/tickets/suggest", params={"title": "horario"}).status_code == 200
    assert client.get("/tickets/suggest", params={"title": "horario"}).status_code == 429


def test_the_pages_speak_the_visitors_language(site: Site) -> None:
    client = site.client()
    assert "Crear un ticket" in client.get("/tickets/new").text
    english = client.get("/tickets/new", headers={"Accept-Language": "en-US,en;q=0.8"})
    assert "Create a ticket" in english.text
    chosen = client.get("/my/?lang=en")
    assert "Sign in to my tickets" in chosen.text
    assert "Sign in to my tickets" in client.get("/my/").text   # the choice is remembered


def test_agents_download_the_files_from_the_inbox(site: Site) -> None:
    number = site.open_ticket(site.client(),
                              files=[("attachments", ("shot.png", PNG, "image/png"))])
    with site.runtime.factory() as session:
        upload_id = session.scalars(select(WebUpload.id)).one()
    assert site.client().get(f"/agent/attachments/{upload_id}").status_code == 303
    with transaction(site.runtime.factory) as session:
        token = invite(session, site.runtime.config, "ana@example.com",
                       site.runtime.clock.now())
    agent = site.client()
    link = f"/agent/invite/{token}"
    agent.post(link, data={"csrf": csrf_of(agent.get(link)), "password": "correct horse 1",
                           "confirm": "correct horse 1"})
    page = agent.get(f"/agent/tickets/{number}")
    assert f'href="/agent/attachments/{upload_id}"' in page.text
    file = agent.get(f"/agent/attachments/{upload_id}")
    assert file.status_code == 200 and file.content == PNG
    assert agent.get("/agent/attachments/999").status_code == 404


def test_a_vip_only_category_is_left_for_an_agent_for_regular_customers(
        site: Site, config: AtiendeConfig) -> None:
    assert "training" in config.vip.only_categories
    regular = site.open_ticket(site.client(), category="training")
    special = site.open_ticket(site.client(), category="training", email="vip@cliente.com")
    found = {ticket.number: ticket for ticket in site.tickets()}
    assert found[regular].category is None
    assert (found[special].category, found[special].vip) == ("training", True)

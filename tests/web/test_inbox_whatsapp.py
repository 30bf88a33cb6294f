"""A WhatsApp conversation in the inbox: attachments, and the 24 h window notice."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from bot.app import Runtime, build_runtime
from bot.config.root import AtiendeConfig
from bot.engine.pipeline import receive
from bot.store.models import OutboxItem, Ticket
from channels.base import Attachment, InboundMessage
from scheduler.clock import FixedClock
from tests.fakes.loopback import LoopbackServer
from tests.web.conftest import ANA, Inbox, csrf_of

CUSTOMER = "whatsapp:+573001234567"
TEMPLATE_SID = "HX" + "ab" * 16


def whatsapp_in(runtime: Runtime, text: str, *attachments: Attachment) -> int:
    result = receive(runtime.factory, runtime.ctx, InboundMessage(
        channel="whatsapp", provider_message_id=f"SM{uuid.uuid4().hex}", sender=CUSTOMER,
        sender_name="Carla", text=text, received_at=runtime.clock.now(),
        attachments=attachments))
    assert result is not None and result.ticket_number is not None
    return result.ticket_number


def with_whatsapp(config: AtiendeConfig, templates: dict[str, object]) -> AtiendeConfig:
    data = config.model_dump(by_alias=True)
    data["channels"]["whatsapp"] = {"from_address": "whatsapp:+14155238886",
                                    "api_base_url": "http://127.0.0.1:9", "templates": templates}
    return AtiendeConfig.model_validate({**data, "source": config.source})


@pytest.fixture(params=["no_template", "template"])
def desk(request: pytest.FixtureRequest, config: AtiendeConfig,
         clock: FixedClock) -> Iterator[Inbox]:
    templates = ({"agent_reply": {"content_sid": TEMPLATE_SID}}
                 if request.param == "template" else {})
    runtime = build_runtime(with_whatsapp(config, templates), clock)
    from bot.web.app import create_web_app

    with LoopbackServer(create_web_app(runtime)) as server:
        yield Inbox(server.url, runtime)
    runtime.engine.dispose()


def test_attachments_are_listed_in_the_thread(desk: Inbox) -> None:
    number = whatsapp_in(desk.runtime, "Quiero hablar con un agente, adjunto la factura",
                         Attachment("factura-4455.pdf", "application/pdf", 2048))
    page = desk.signed_in(ANA).get(f"/agent/tickets/{number}")
    assert "📎 factura-4455.pdf" in page.text


def test_outside_the_24_hour_window_the_page_says_how_the_reply_goes(
        desk: Inbox, clock: FixedClock) -> None:
    number = whatsapp_in(desk.runtime, "Quiero hablar con un agente, la factura llegó doble")
    client = desk.signed_in(ANA)
    assert 'id="window"' not in client.get(f"/agent/tickets/{number}").text
    clock.advance(timedelta(hours=25))
    client = desk.signed_in(ANA)   # a new sign-in: the clock moved past the session's life
    page = client.get(f"/agent/tickets/{number}").text
    assert "Fuera de la ventana de 24 h de WhatsApp" in page
    if desk.runtime.config.channels.whatsapp.templates:  # type: ignore[union-attr]
        assert TEMPLATE_SID in page
    else:
        assert "quedará retenida hasta que el cliente escriba" in page


def closed_window_ticket(desk: Inbox, clock: FixedClock) -> tuple[int, httpx.Client]:
    """A WhatsApp ticket whose customer last wrote 25 h ago, and a freshly signed-in agent."""
    number = whatsapp_in(desk.runtime, "Quiero hablar con un agente, la factura llegó doble")
    clock.advance(timedelta(hours=25))
    return number, desk.signed_in(ANA)


def reply_rows(desk: Inbox, number: int) -> list[OutboxItem]:
    with desk.runtime.factory() as session:
        ticket_id = session.scalar(select(Ticket.id).where(Ticket.number == number))
        return [row for row in session.scalars(select(OutboxItem).where(
            OutboxItem.ticket_id == ticket_id)) if row.payload.get("kind") == "agent_reply"]


def test_inside_the_window_the_composer_is_free_text(desk: Inbox) -> None:
    number = whatsapp_in(desk.runtime, "Quiero hablar con un agente, la factura llegó doble")
    page = desk.signed_in(ANA).get(f"/agent/tickets/{number}").text
    assert 'name="template"' not in page and 'id="templates"' not in page
    assert ">Enviar al cliente</button>" in page


def test_outside_the_window_the_composer_offers_the_approved_template(
        desk: Inbox, clock: FixedClock) -> None:
    number, client = closed_window_ticket(desk, clock)
    page = client.get(f"/agent/tickets/{number}").text
    if not desk.runtime.config.channels.whatsapp.templates:  # type: ignore[union-attr]
        assert 'name="template"' not in page
        assert ">Dejar en espera hasta que el cliente escriba</button>" in page
        return
    assert 'type="radio" name="template" value="agent_reply" required' in page
    assert TEMPLATE_SID in page
    assert f"{{{{1}}}} = {number}" in page and "{{2}} = ‹…›" in page
    assert 'maxlength="900"' in page
    assert ">Enviar con la plantilla</button>" in page


def test_outside_the_window_a_reply_without_the_template_is_refused_and_kept(
        desk: Inbox, clock: FixedClock) -> None:
    number, client = closed_window_ticket(desk, clock)
    csrf = csrf_of(client.get(f"/agent/tickets/{number}"))
    answer = client.post(f"/agent/tickets/{number}/reply",
                         data={"csrf": csrf, "text": "Ya le devolvimos el cobro doble"})
    if not desk.runtime.config.channels.whatsapp.templates:  # type: ignore[union-attr]
        assert answer.status_code == 303   # held until the customer writes (see README)
        assert len(reply_rows(desk, number)) == 1
        return
    assert answer.status_code == 400
    assert "solo se puede enviar una plantilla aprobada" in answer.text
    assert "Ya le devolvimos el cobro doble</textarea>" in answer.text
    assert reply_rows(desk, number) == []


def test_outside_the_window_a_reply_with_the_template_is_queued(
        desk: Inbox, clock: FixedClock) -> None:
    if not desk.runtime.config.channels.whatsapp.templates:  # type: ignore[union-attr]
        pytest.skip("needs a configured agent_reply template")
    number, client = closed_window_ticket(desk, clock)
    csrf = csrf_of(client.get(f"/agent/tickets/{number}"))
    too_long = client.post(f"/agent/tickets/{number}/reply", data={
        "csrf": csrf, "template": "agent_reply", "text": "x" * 901})
    assert too_long.status_code == 400 and "máximo 900 caracteres" in too_long.text
    answer = client.post(f"/agent/tickets/{number}/reply", data={
        "csrf": csrf, "template": "agent_reply", "text": "Ya le devolvimos el cobro doble"})
    assert answer.status_code == 303
    [row] = reply_rows(desk, number)
    assert row.payload["text"] == "Ya le devolvimos el cobro doble"

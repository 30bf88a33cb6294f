"""A WhatsApp conversation in the inbox: attachments, and the 24 h window notice."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.app import Runtime, build_runtime
from bot.config.root import AtiendeConfig
from bot.engine.pipeline import receive
from channels.base import Attachment, InboundMessage
from scheduler.clock import FixedClock
from tests.fakes.loopback import LoopbackServer
from tests.web.conftest import ANA, Inbox

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

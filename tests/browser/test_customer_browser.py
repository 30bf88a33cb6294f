"""The customers' pages in a real browser: the ticket form confirmed from the mail (read from
the `.eml` folder transport), then my tickets: sign in by link, add a comment, confirm."""

from __future__ import annotations

import email
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from email import policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Runtime
from bot.channel_context import build_channel_context
from bot.config.root import AtiendeConfig
from bot.desk import relay, tickets
from bot.serve import make_lifespan
from bot.store.db import transaction
from bot.store.models import Ticket
from bot.web.app import create_web_app
from channels.email.plugin import build_plugin as build_email
from scheduler.clock import FixedClock
from tests.browser.conftest import PUBLIC_URL, screenshot
from tests.fakes.loopback import LoopbackServer
from tests.servers.ports import free_port

pytestmark = pytest.mark.browser
CUSTOMER = "maria@cliente.co"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
LINK = re.compile(r"https?://\S+")


@pytest.fixture
def config(config: AtiendeConfig, tmp_path: Path) -> AtiendeConfig:
    data = config.model_dump(by_alias=True)
    data["channels"]["whatsapp"] = None
    data["channels"]["email"] = {"support_address": "soporte@example.com",
                                 "smtp_inbound": {"host": "127.0.0.1", "port": free_port()},
                                 "outbound_transport": "folder",
                                 "outbound_folder": str(tmp_path / "mail-out")}
    return AtiendeConfig.model_validate({**data, "source": config.source})


class Mailbox:
    """The `.eml` files the email channel wrote, read like a customer's inbox."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def link(self, to: str, subject_part: str, seconds: float = 15.0) -> str:
        """The link in the first mail to `to` whose subject has `subject_part` (waits for the
        dispatcher to deliver it; bounded)."""
        limit = time.monotonic() + seconds
        while time.monotonic() < limit:
            for path in sorted(self.folder.glob("*.eml")):
                mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
                if to in str(mail["To"]) and subject_part in str(mail["Subject"]):
                    body = mail.get_body(preferencelist=("plain",))
                    assert body is not None
                    return LINK.findall(body.get_content())[0]
            time.sleep(0.05)
        raise AssertionError(f"no mail to {to} about {subject_part!r}")


@pytest.fixture
def served(runtime: Runtime, tmp_path: Path) -> Iterator[tuple[str, Mailbox]]:
    section = runtime.config.channels.email
    assert section is not None
    plugin = build_email(section, build_channel_context(runtime, {}))
    app = create_web_app(runtime, plugin.routes, make_lifespan(runtime, [plugin]))
    with LoopbackServer(app) as server:
        yield server.url, Mailbox(tmp_path / "mail-out")


def visit(page: Any, link: str, url: str) -> None:
    page.goto(link.replace(PUBLIC_URL, url).replace("http://127.0.0.1:8000", url))


def fill_ticket_form(page: Any, url: str) -> None:
    page.goto(f"{url}/tickets/new")
    page.fill("#email", CUSTOMER)
    page.fill("#name", "María Pérez")
    page.select_option("#category", "technical")
    page.select_option("#priority", "high")
    page.type("#title", "¿Cuál es el horario de soporte?", delay=5)
    page.wait_for_selector("#kb-suggestions .suggestion")
    page.fill("#description", "Necesito saber a qué hora atienden para llamar.")
    page.fill("#module", "Soporte")
    page.fill("#browser", "Chromium / Debian")
    page.set_input_files("#attachments", files=[
        {"name": "pantalla.png", "mimeType": "image/png", "buffer": PNG}])


def test_the_ticket_form_is_confirmed_from_the_mailed_link(browser: Any, served: Any,
                                                           runtime: Runtime) -> None:
    url, mailbox = served
    page = browser.new_context(locale="es-CO").new_page()
    page.set_default_timeout(10_000)
    fill_ticket_form(page, url)
    screenshot(page, "customer-ticket-form.png")
    page.click("#send")
    page.wait_for_selector("#notice")
    assert CUSTOMER in page.inner_text("#notice")
    visit(page, mailbox.link(CUSTOMER, "Confirme"), url)
    page.click("#confirm")
    notice = page.inner_text("#notice")
    with runtime.factory() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert f"#{ticket.number}" in notice and ticket.priority == "high"


def test_my_tickets_sign_in_comment_and_confirm(browser: Any, served: Any, runtime: Runtime,
                                                clock: FixedClock) -> None:
    url, mailbox = served
    page = browser.new_context(locale="es-CO").new_page()
    page.set_default_timeout(10_000)
    fill_ticket_form(page, url)
    page.click("#send")
    visit(page, mailbox.link(CUSTOMER, "Confirme"), url)
    page.click("#confirm")
    page.wait_for_selector("#notice")
    clock.advance(timedelta(minutes=20))
    number = agent(runtime, "reply", "Atendemos de lunes a viernes de 8:00 a 17:00.")
    page.goto(f"{url}/my/")
    page.fill("#email", CUSTOMER)
    page.click("#send-link")
    page.wait_for_selector("#notice")
    visit(page, mailbox.link(CUSTOMER, "enlace"), url)
    page.click("#enter")
    page.wait_for_selector("#tickets")
    screenshot(page, "customer-my-tickets.png")
    page.click(f"tr[data-ticket='{number}'] a")
    assert "lunes a viernes" in page.inner_text("#history")
    clock.advance(timedelta(minutes=5))
    page.fill("#comment-text", "Gracias, ¿y los sábados?")
    page.click("#add-comment")
    page.wait_for_selector("text=¿y los sábados?")
    clock.advance(timedelta(minutes=30))
    agent(runtime, "resolved")
    page.reload()
    page.click("#confirm-fix")
    page.wait_for_selector("#status:has-text('Cerrado')")
    page.check("input[name=score][value='5']")
    page.click("#rate")
    page.wait_for_selector("#rating")
    screenshot(page, "customer-my-ticket.png")
    with runtime.factory() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert (ticket.status, ticket.rating) == ("closed", 5)


def agent(runtime: Runtime, action: str, text: str = "") -> int:
    """An agent answers or resolves the only ticket, through the desk's functions."""
    with transaction(runtime.factory) as session:
        ticket = session.scalars(select(Ticket)).one()
        desk, now = runtime.ctx.desk, runtime.clock.now()
        if action == "reply":
            relay.answer_customer(session, desk, ticket, "ana@example.com", text, now, "test")
        else:
            tickets.set_status(session, desk, ticket, action, "agent:ana@example.com", now)
        return int(ticket.number or 0)

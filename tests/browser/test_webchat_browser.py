"""The widget and the help center in headless Chromium: a customer's site on another origin
embeds widget.js; KB answer, "no" opens a ticket, an agent's reply arrives live, reload keeps
the history, stars rate the ticket; phone size and keyboard; screenshots for the README."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bot.app import Runtime
from bot.channel_context import build_channel_context
from bot.config.root import AtiendeConfig
from bot.serve import make_lifespan
from bot.store.db import transaction
from bot.store.models import Ticket
from bot.web.agent.actions import ACTIONS
from bot.web.app import create_web_app
from channels.webchat.plugin import build_plugin
from tests.browser.conftest import screenshot
from tests.fakes.loopback import LoopbackServer

pytestmark = pytest.mark.browser
ANA = "ana@example.com"


class CustomerSite:
    """Another origin: a customer's own page with the one <script> line."""

    def __init__(self) -> None:
        self.atiende = ""
        self.server = LoopbackServer(Starlette(routes=[Route("/", self.page)]))

    async def page(self, _request: Request) -> HTMLResponse:
        return HTMLResponse(f"""<!doctype html><html lang="es"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Tienda QR</title>
</head><body><h1>Tienda QR</h1><p>Nuestra tienda en línea.</p>
<script src="{self.atiende}/widget.js" data-lang="es" async></script></body></html>""")


@pytest.fixture(scope="module")
def site() -> Iterator[CustomerSite]:
    customer = CustomerSite()
    with customer.server:
        yield customer


@pytest.fixture
def config(config: AtiendeConfig, site: CustomerSite) -> AtiendeConfig:
    data = config.model_dump(by_alias=True)
    data["channels"]["whatsapp"] = None
    data["channels"]["web"] = {"allowed_origins": [site.server.url]}
    return AtiendeConfig.model_validate({**data, "source": config.source})


@dataclass
class Chat:
    runtime: Runtime
    server: LoopbackServer
    site: CustomerSite

    def act(self, action: str, text: str = "") -> None:
        """What the agents' inbox does for an agent's button (the same engine functions)."""
        with transaction(self.runtime.factory) as session:
            ticket = session.scalars(select(Ticket)).one()
            ACTIONS[action](session, self.runtime.ctx.desk, ticket, ANA, text,
                            self.runtime.clock.now())
        assert self.server.loop is not None
        self.server.loop.call_soon_threadsafe(self.runtime.outbox_ready)

    def ticket(self) -> Ticket | None:
        with self.runtime.factory() as session:
            return session.scalars(select(Ticket)).first()


@pytest.fixture
def chat(runtime: Runtime, site: CustomerSite) -> Iterator[Chat]:
    plugin = build_plugin(runtime.config.channels.web, build_channel_context(runtime, {}))
    app = create_web_app(runtime, plugin.routes, make_lifespan(runtime, [plugin]))
    with LoopbackServer(app) as server:
        site.atiende = server.url
        yield Chat(runtime, server, site)


def eventually(check: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    limit = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < limit, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def contexts(browser: Any) -> Iterator[list[Any]]:
    """Browser contexts to close after the test (their event streams end with them)."""
    made: list[Any] = []
    yield made
    for context in made:
        context.close()


def new_page(browser: Any, contexts: list[Any], **options: Any) -> Any:
    context = browser.new_context(**options)
    contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def open_widget(browser: Any, contexts: list[Any], chat: Chat, **options: Any) -> Any:
    page = new_page(browser, contexts, **options)
    page.goto(chat.site.server.url)
    page.click(".bubble")
    page.wait_for_selector(".panel:not([hidden])")
    return page


def say(page: Any, text: str) -> None:
    page.fill("#atiende-text", text)
    page.press("#atiende-text", "Enter")


def test_answer_no_opens_a_ticket_agent_replies_live_reload_keeps_it_stars_rate(
        browser: Any, chat: Chat, contexts: list[Any]) -> None:
    page = open_widget(browser, contexts, chat, viewport={"width": 1100, "height": 760})
    say(page, "¿Cuál es el horario de soporte?")
    page.wait_for_selector(".m.out >> text=8:00")
    assert page.locator(".choices button").all_inner_texts() == ["Sí", "No"]
    screenshot(page, "widget-kb-answer.png")
    page.click(".choices button >> text=No")
    page.wait_for_selector(".m.out >> text=ticket #1")
    assert chat.ticket() is not None
    chat.act("reply", "Hola, soy Ana. Te ayudo con eso ahora mismo.")
    page.wait_for_selector(".m.out >> text=soy Ana")               # live, no reload
    before = page.locator(".m:not([data-id=hello])").all_inner_texts()
    page.reload()
    page.wait_for_selector(".panel:not([hidden]) .m.out >> text=soy Ana")
    after = page.locator(".m:not([data-id=hello])").all_inner_texts()
    assert after == before, (before, after)
    chat.act("resolve")
    stars = page.locator("button.star")
    stars.first.wait_for()
    assert stars.count() == 5
    assert stars.nth(4).get_attribute("aria-label") == "5 de 5 estrellas"
    screenshot(page, "widget-rating.png")
    stars.nth(4).click()
    eventually(lambda: (chat.ticket() or Ticket()).rating == 5, "the rating on the ticket")


def test_phone_size_and_keyboard(browser: Any, chat: Chat, contexts: list[Any]) -> None:
    page = new_page(browser, contexts, viewport={"width": 375, "height": 667}, is_mobile=True,
                    has_touch=True)
    page.goto(chat.site.server.url)
    page.wait_for_selector(".bubble")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "atiende-widget"
    page.keyboard.press("Enter")
    page.wait_for_selector(".panel:not([hidden])")
    assert page.locator(".bubble").get_attribute("aria-expanded") == "true"
    box = page.locator(".panel").bounding_box()
    assert box["width"] == 375 and box["x"] == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    say(page, "hola")
    page.wait_for_selector(".m.out >> nth=1")
    screenshot(page, "widget-phone.png")
    page.keyboard.press("Escape")
    assert page.locator(".panel").is_hidden()
    assert page.locator(".bubble").get_attribute("aria-expanded") == "false"


def test_help_center_pages(browser: Any, chat: Chat, contexts: list[Any]) -> None:
    page = new_page(browser, contexts, viewport={"width": 1100, "height": 900},
                    extra_http_headers={"Accept-Language": "es"})
    page.goto(f"{chat.server.url}/help/")
    assert "Centro de ayuda" in page.title()
    screenshot(page, "help-home.png")
    page.fill("#q", "¿Cuál es el horario de soporte?")
    page.press("#q", "Enter")
    page.wait_for_selector("#best")
    page.click("#best h2 a")
    page.click("form.vote button >> text=Sí")
    page.wait_for_selector("#vote-result")
    screenshot(page, "help-article.png")

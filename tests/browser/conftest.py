"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against `serve`'s app.

The app is the one `atiende serve` runs (channels, scheduler, outbox dispatcher), with WhatsApp
pointed at the local fake Twilio. Playwright only drives the system Chromium: nothing is
downloaded (`playwright install` is never needed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import Runtime
from bot.channel_context import build_channel_context
from bot.config.root import AtiendeConfig
from bot.serve import make_lifespan
from bot.store.db import transaction
from bot.web.agent.accounts import invite
from bot.web.app import create_web_app
from channels.whatsapp.plugin import build_plugin as build_whatsapp
from tests.conftest import REPO, need_service
from tests.fakes.clients import ACCOUNT_SID, AUTH_TOKEN, CUSTOMER, twilio_params, twilio_post
from tests.fakes.loopback import LoopbackServer
from tests.fakes.twilio_api import FakeTwilio

CHROMIUM = Path("/usr/bin/chromium")
ARTEFACTS = REPO / "test-artefacts"
PUBLIC_URL = "https://soporte.example.test"
ENV = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
PASSWORD = "correct horse battery"


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Browser tests use SQLite; the HTTP tests in tests/web cover PostgreSQL too."""
    yield f"sqlite:///{tmp_path / 'atiende.db'}"


@pytest.fixture(scope="session")
def twilio_server() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    with LoopbackServer(fake.app()) as server:
        fake.url = server.url
        yield fake


@pytest.fixture
def twilio(twilio_server: FakeTwilio) -> FakeTwilio:
    twilio_server.reset()
    return twilio_server


@pytest.fixture
def config(config: AtiendeConfig, twilio: FakeTwilio, tmp_path: Path) -> AtiendeConfig:
    data = config.model_dump(by_alias=True)
    data["http"]["public_url"] = PUBLIC_URL
    data["channels"]["whatsapp"] = {"from_address": "whatsapp:+14155238886",
                                    "api_base_url": twilio.url,
                                    "media_dir": str(tmp_path / "media")}
    data["channels"]["telegram"] = None
    data["channels"]["email"] = None
    return AtiendeConfig.model_validate({**data, "source": config.source})


@dataclass
class Desk:
    """`serve`'s app on 127.0.0.1 with the dispatcher running, and the fake Twilio."""

    runtime: Runtime
    server: LoopbackServer
    twilio: FakeTwilio

    @property
    def url(self) -> str:
        return self.server.url

    def customer_writes(self, text: str, sender: str = CUSTOMER) -> None:
        response = twilio_post(self.url, PUBLIC_URL, "/webhooks/whatsapp",
                               twilio_params(text, sender=sender))
        assert response.status_code == 200, response.text
        self.server.run(self.runtime.ctx.work.drain())

    def invite_link(self, email: str) -> str:
        with transaction(self.runtime.factory) as session:
            token = invite(session, self.runtime.config, email, self.runtime.clock.now())
        return f"{self.url}/agent/invite/{token}"

    def bodies(self) -> list[str]:
        """What reached the fake Twilio, in order."""
        return [m.one("Body") or "" for m in self.twilio.messages]


@pytest.fixture
def desk(runtime: Runtime, twilio: FakeTwilio) -> Iterator[Desk]:
    plugin = build_whatsapp(runtime.config.channels.whatsapp,
                            build_channel_context(runtime, ENV))
    assert plugin.is_on, plugin.status
    app = create_web_app(runtime, plugin.routes, make_lifespan(runtime, [plugin]))
    # a page left open by the module's browser keeps its event stream: a short graceful
    # shutdown, or each test waits the default 10 s for a stream that never ends by itself
    with LoopbackServer(app, graceful_s=1) as server:
        yield Desk(runtime, server, twilio)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Closed at the end of the module: Playwright's sync API keeps an event loop running in
    this thread while it is open, and later tests call asyncio.run()."""
    if not CHROMIUM.exists():
        need_service(f"Chromium at {CHROMIUM} (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


def sign_in(browser: Any, desk: Desk, email: str, **context: Any) -> Any:
    """A new browser context (own cookies) that took the invite link; on the list page."""
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(10_000)
    page.goto(desk.invite_link(email))
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("#invite button[type=submit]")
    page.wait_for_url(f"{desk.url}/agent/")
    return page


def screenshot(page: Any, name: str) -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    path = ARTEFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path

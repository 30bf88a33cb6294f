"""The inbox in a real browser: supervisors' settings, the WhatsApp template picker outside the
24 h window, and the N, / and J/K-on-a-ticket keyboard shortcuts."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config.root import AtiendeConfig
from scheduler.clock import FixedClock
from tests.browser.conftest import Desk, screenshot, sign_in
from tests.browser.test_inbox_browser import ANA, COMPLAINT, LUIS, eventually, open_first_ticket
from tests.conftest import REPO

pytestmark = pytest.mark.browser
TEMPLATE_SID = "HX" + "cd" * 16


@pytest.fixture
def canned(tmp_path: Path) -> Path:
    folder = tmp_path / "canned"
    shutil.copytree(REPO / "canned", folder)
    return folder


@pytest.fixture
def config(config: AtiendeConfig, canned: Path) -> AtiendeConfig:
    """The browser desk, with a copy of canned/ and an approved agent_reply template."""
    data = config.model_dump(by_alias=True)
    data["inbox"]["canned_path"] = str(canned)
    data["channels"]["whatsapp"]["templates"] = {"agent_reply": {"content_sid": TEMPLATE_SID}}
    return AtiendeConfig.model_validate({**data, "source": config.source})


def test_a_supervisor_adds_a_canned_response_that_agents_then_insert_with_slash(
        browser: Any, desk: Desk, canned: Path) -> None:
    desk.customer_writes(COMPLAINT)
    luis = sign_in(browser, desk, LUIS)
    luis.click("#nav-settings")
    luis.click("#new-canned")
    luis.fill("input[name=id]", "espera")
    luis.fill("input[name=title]", "Pedir un momento")
    luis.fill("textarea[name=body]", "Hola {nombre}, reviso su ticket #{ticket} ahora mismo.")
    luis.click("#save-canned")
    luis.wait_for_selector("#canned [data-canned=espera]")
    screenshot(luis, "inbox-settings.png")
    assert (canned / "espera.md").exists()

    ana = sign_in(browser, desk, ANA)
    assert ana.locator("#nav-settings").count() == 0
    open_first_ticket(ana)
    ana.keyboard.press("/")
    assert ana.evaluate("document.activeElement.id") == "canned"
    ana.select_option("#canned", label="Pedir un momento")
    text = ana.input_value("#reply-text")
    assert "reviso su ticket #" in text and "{ticket}" not in text
    assert ana.evaluate("document.activeElement.id") == "reply-text"


def test_an_agent_opening_settings_sees_a_403_page(browser: Any, desk: Desk) -> None:
    page = sign_in(browser, desk, ANA)
    answer = page.goto(f"{desk.url}/agent/settings")
    assert answer is not None and answer.status == 403
    assert "Solo un supervisor puede cambiar esto." in page.inner_text("#forbidden")


def test_n_focuses_the_note_and_j_k_walk_the_tickets_of_the_last_list(
        browser: Any, desk: Desk) -> None:
    desk.customer_writes(COMPLAINT)
    desk.customer_writes("Necesito un agente: no puedo entrar a mi cuenta",
                         sender="whatsapp:+573009998877")
    page = sign_in(browser, desk, ANA)
    numbers = [page.locator("#rows a.row").nth(i).get_attribute("data-number")
               for i in range(2)]
    open_first_ticket(page)
    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.id") == "note-text"
    page.keyboard.type("j")            # typed into the note: not a shortcut
    assert page.input_value("#note-text") == "j"
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("j")
    page.wait_for_url(f"{desk.url}/agent/tickets/{numbers[1]}")
    page.keyboard.press("k")
    page.wait_for_url(f"{desk.url}/agent/tickets/{numbers[0]}")


def test_outside_the_window_the_agent_picks_the_template_and_twilio_gets_it(
        browser: Any, desk: Desk, clock: FixedClock) -> None:
    desk.customer_writes(COMPLAINT)
    eventually(lambda: len(desk.twilio.messages) == 1, "the bot's answer, inside the window")
    clock.advance(timedelta(hours=25))
    page = sign_in(browser, desk, ANA)
    open_first_ticket(page)
    assert "Fuera de la ventana de 24 h" in page.inner_text("#window")
    assert TEMPLATE_SID in page.inner_text("#templates")
    page.fill("#reply-text", "Ya anulamos el cobro doble de la factura 4455.")
    page.click("#send-reply")          # no template picked yet: the browser asks for one
    assert page.locator("#thread .entry.agent").count() == 0
    page.check("#templates input[value=agent_reply]")
    screenshot(page, "inbox-template-picker.png")
    page.click("#send-reply")
    page.wait_for_selector("#thread .entry.agent")
    eventually(lambda: len(desk.twilio.messages) == 2, "the template at the fake Twilio")
    sent = desk.twilio.messages[1]
    assert sent.one("ContentSid") == TEMPLATE_SID and sent.one("Body") is None
    assert "Ya anulamos el cobro doble" in (sent.one("ContentVariables") or "")

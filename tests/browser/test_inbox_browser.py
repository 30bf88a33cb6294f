"""The inbox in a real browser: sign in, answer a WhatsApp customer, note, resolve, live, phone."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import Desk, screenshot, sign_in

pytestmark = pytest.mark.browser
ANA, LUIS = "ana@example.com", "luis@example.com"
COMPLAINT = "Quiero hablar con un agente: la factura 4455 me llegó con un cobro doble"


def eventually(check: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    """Wait for something another process or thread does (bounded; not a deadline)."""
    limit = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < limit, f"timed out waiting for {what}"
        time.sleep(0.05)


def open_first_ticket(page: Any) -> None:
    page.click("#rows a.row")
    page.wait_for_selector("#thread")


def test_sign_in_open_a_whatsapp_conversation_reply_and_twilio_gets_it(
        browser: Any, desk: Desk) -> None:
    desk.customer_writes(COMPLAINT)
    page = sign_in(browser, desk, ANA, viewport={"width": 1280, "height": 800})
    assert "cobro doble" in page.inner_text("#rows")
    assert page.inner_text("#rows .chan") == "WA"
    screenshot(page, "inbox-list.png")
    open_first_ticket(page)
    assert "cobro doble" in page.inner_text("#thread")
    assert "whatsapp:+573001234567" in page.inner_text("#contact")
    page.fill("#reply-text", "Hola, ya anulamos el cobro repetido de la factura 4455.")
    page.click("#send-reply")
    page.wait_for_selector("#thread .entry.agent")
    assert page.input_value("#reply-text") == ""
    eventually(lambda: "Hola, ya anulamos el cobro repetido de la factura 4455." in desk.bodies(),
               "the reply at the fake Twilio")
    sent = [m for m in desk.twilio.messages if "anulamos" in (m.one("Body") or "")]
    assert sent[0].one("To") == "whatsapp:+573001234567"
    screenshot(page, "inbox-conversation.png")


def test_a_note_stays_internal_and_resolve_sends_the_rating_request(
        browser: Any, desk: Desk) -> None:
    desk.customer_writes(COMPLAINT)
    page = sign_in(browser, desk, ANA)
    open_first_ticket(page)
    page.fill("#note-text", "Nota interna: cliente con contrato anual")
    page.click("#add-note")
    page.wait_for_selector("#thread .entry.note")
    assert "contrato anual" in page.inner_text("#thread .entry.note")
    page.keyboard.press("e")          # the resolve shortcut
    page.wait_for_selector("#thread[data-status=resolved]")
    eventually(lambda: any("Responde con un número del 1 al 5" in b for b in desk.bodies()),
               "the rating request at the fake Twilio")
    assert not any("contrato anual" in body for body in desk.bodies())


def test_a_second_browser_sees_the_reply_appear_live(browser: Any, desk: Desk) -> None:
    desk.customer_writes(COMPLAINT)
    ana = sign_in(browser, desk, ANA)
    luis = sign_in(browser, desk, LUIS)
    open_first_ticket(luis)
    open_first_ticket(ana)
    luis.wait_for_function(
        "document.getElementById('presence').textContent.includes('ana@example.com')")
    ana.fill("#reply-text", "Respuesta que Luis ve sin recargar")
    luis.wait_for_function(
        "document.getElementById('presence').textContent.includes('escribiendo')")
    ana.click("#send-reply")
    luis.wait_for_selector("#thread .entry.agent >> text=Respuesta que Luis ve sin recargar")
    assert luis.evaluate("performance.getEntriesByType('navigation').length") == 1


def test_the_list_updates_live_when_a_customer_writes(browser: Any, desk: Desk) -> None:
    desk.customer_writes(COMPLAINT)
    page = sign_in(browser, desk, ANA)
    assert page.locator("#rows a.row").count() == 1
    desk.customer_writes("Necesito un agente: no puedo entrar a mi cuenta",
                         sender="whatsapp:+573009998877")
    page.wait_for_function("document.querySelectorAll('#rows a.row').length === 2")


def test_phone_sized_screens_have_no_horizontal_scroll(browser: Any, desk: Desk) -> None:
    desk.customer_writes(COMPLAINT + " " + "y-una-palabra-muy-larga-sin-espacios" * 3)
    page = sign_in(browser, desk, ANA, viewport={"width": 375, "height": 740},
                   is_mobile=True, has_touch=True)
    fits = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(fits)
    screenshot(page, "inbox-list-phone.png")
    open_first_ticket(page)
    assert page.evaluate(fits)
    screenshot(page, "inbox-conversation-phone.png")


def test_keyboard_j_k_and_r(browser: Any, desk: Desk) -> None:
    desk.customer_writes(COMPLAINT)
    desk.customer_writes("Necesito un agente: no puedo entrar a mi cuenta",
                         sender="whatsapp:+573009998877")
    page = sign_in(browser, desk, ANA)
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    selected = page.locator("#rows a.row.selected")
    assert selected.count() == 1
    assert selected.get_attribute("data-number") == page.locator(
        "#rows a.row").first.get_attribute("data-number")
    selected.press("Enter")
    page.wait_for_selector("#thread")
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "reply-text"

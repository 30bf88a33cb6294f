"""Sending through the local Twilio Messages API: the request, splitting, errors and Retry-After."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from bot.engine.outbox import BASE_BACKOFF, enqueue
from bot.store.db import transaction
from bot.store.models import OutboxItem
from channels.whatsapp.sender import degrade_buttons
from channels.whatsapp.throttle import parse_retry_after
from scheduler.clock import FixedClock
from tests.channels.conftest import PUBLIC_URL, Live
from tests.fakes.clients import ACCOUNT_SID, AUTH_TOKEN, CUSTOMER
from tests.fakes.twilio_api import FakeTwilio


def queue(live: Live, text: str, buttons: tuple[str, ...] = ()) -> int:
    """A reply to a customer who wrote just now (the window is open)."""
    live.whatsapp_in("Hola")
    live.drain()
    with transaction(live.runtime.factory) as session:
        return enqueue(session, channel="whatsapp", recipient=CUSTOMER, text=text,
                       buttons=buttons, now=live.runtime.clock.now(), kind="agent_reply").id


def outbox_row(live: Live, item_id: int) -> OutboxItem:
    with live.runtime.factory() as session:
        found = session.get(OutboxItem, item_id)
        assert found is not None
        return found


def test_the_request_is_a_form_post_with_basic_auth_from_to_body_and_callback(
        live: Live, twilio_api: FakeTwilio) -> None:
    item_id = queue(live, "Tu ticket #1 está en revisión.")
    twilio_api.reset()
    assert live.dispatch() == 2   # the greeting and ours
    sent = twilio_api.messages[-1]
    assert sent.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert sent.headers["authorization"] == f"Basic {expected}"
    assert sent.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert sent.form == {
        "To": [CUSTOMER], "From": ["whatsapp:+14155238886"],
        "Body": ["Tu ticket #1 está en revisión."],
        "StatusCallback": [f"{PUBLIC_URL}/webhooks/whatsapp/status?outbox={item_id}"]}
    assert outbox_row(live, item_id).provider_message_id.startswith("SM")


def test_a_text_over_1600_characters_is_split_in_order(live: Live,
                                                       twilio_api: FakeTwilio) -> None:
    paragraphs = [f"Paso {n}: " + " ".join(["revisa la configuración de la caja."] * 20)
                  for n in range(6)]
    text = "\n\n".join(paragraphs)
    assert len(text) > 3200
    queue(live, text)
    twilio_api.reset()
    live.dispatch()
    bodies = [m.one("Body") or "" for m in twilio_api.messages][1:]   # after the greeting
    assert len(bodies) == 3 and all(len(body) <= 1600 for body in bodies)
    assert "\n\n".join(bodies) == text


def test_buttons_become_text_unless_the_text_already_offers_them() -> None:
    assert degrade_buttons("¿Te ayudó? (sí/no)", ("Sí", "No")) == "¿Te ayudó? (sí/no)"
    assert degrade_buttons("Califica la atención", ("1", "2", "3")) == (
        "Califica la atención\n\n1 · 2 · 3")
    assert degrade_buttons("¿Cómo nos fue?", ("★", "★★")) == "¿Cómo nos fue?\n\n★ · ★★"


def test_429_with_retry_after_is_retried_no_sooner_than_asked(
        live: Live, clock: FixedClock, twilio_api: FakeTwilio) -> None:
    item_id = queue(live, "Hola de nuevo")
    live.dispatch()  # the greeting
    with transaction(live.runtime.factory) as session:
        item_id = enqueue(session, channel="whatsapp", recipient=CUSTOMER, text="Otra",
                          now=clock.now()).id
    twilio_api.fail_next(429, 20429, "Too Many Requests", retry_after="120")
    assert live.dispatch() == 0
    waiting = outbox_row(live, item_id)
    assert waiting.status == "pending"
    assert waiting.next_attempt_at == clock.now() + timedelta(seconds=120)
    assert "HTTP 429" in waiting.last_error
    assert live.dispatch(clock.now() + timedelta(seconds=119)) == 0
    assert live.dispatch(clock.now() + timedelta(seconds=120)) == 1
    assert outbox_row(live, item_id).status == "sent"


@pytest.mark.parametrize(("status", "code", "expected_status", "transient"), [
    (500, 20500, "pending", True),
    (503, 20503, "pending", True),
    (401, 20003, "pending", True),
    (400, 21211, "failed", False),
    (400, 63032, "failed", False),
])
def test_twilio_errors_are_retried_or_failed_with_the_reason(
        live: Live, clock: FixedClock, twilio_api: FakeTwilio, status: int, code: int,
        expected_status: str, transient: bool) -> None:
    queue(live, "x")
    live.dispatch()
    with transaction(live.runtime.factory) as session:
        item_id = enqueue(session, channel="whatsapp", recipient=CUSTOMER, text="Hola",
                          now=clock.now()).id
    twilio_api.fail_next(status, code, "Something went wrong")
    live.dispatch()
    failed = outbox_row(live, item_id)
    assert failed.status == expected_status
    assert failed.last_error == (
        f"Twilio HTTP {status} error {code}: Unable to create record: Something went wrong")
    if transient:
        assert failed.next_attempt_at == clock.now() + BASE_BACKOFF


def test_retry_after_may_be_seconds_or_an_http_date() -> None:
    now = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert parse_retry_after("30", now) == 30.0
    assert parse_retry_after("Tue, 24 Nov 2026 15:01:30 GMT", now) == 90.0
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("soon", now) is None


def test_an_unreachable_api_is_a_transient_failure(live: Live, clock: FixedClock) -> None:
    item_id = queue(live, "Hola")
    channel = live.whatsapp.channel
    channel.config = channel.config.model_copy(  # type: ignore[union-attr]
        update={"api_base_url": "http://127.0.0.1:9"})
    channel.clients.clear()  # type: ignore[union-attr]
    live.dispatch()
    failed = outbox_row(live, item_id)
    assert failed.status == "pending" and failed.last_error.startswith("Twilio unreachable")

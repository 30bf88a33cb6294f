"""The widget's API over real HTTP: session, send (stored once), limits, origins, history."""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, text

from bot.app import Runtime, build_runtime
from bot.config.root import AtiendeConfig
from bot.store.models import Message
from scheduler.clock import FixedClock
from tests.channels.webchat_site import SITE, Widget, widget_server, with_web

HOURS_QUESTION = "¿Cuál es el horario de atención?"


@pytest.fixture
def config(config: AtiendeConfig) -> AtiendeConfig:
    return with_web(config, messages_per_minute=5)


def stored(runtime: Runtime) -> int:
    with runtime.factory() as session:
        return session.scalar(select(func.count()).select_from(Message)
                              .where(Message.channel == "web", Message.direction == "in")) or 0


def test_a_question_is_stored_once_and_answered_from_the_kb(widget: Widget) -> None:
    first = widget.send(HOURS_QUESTION, ident="click-0001")
    again = widget.send(HOURS_QUESTION, ident="click-0001")   # a retry or a double click
    assert first.status_code == 202 and first.json() == {"id": "click-0001", "duplicate": False}
    assert again.status_code == 200 and again.json()["duplicate"] is True
    widget.drain()
    assert stored(widget.runtime) == 1
    history = widget.history()
    assert [e["direction"] for e in history] == ["in", "out"]
    assert history[0]["id"] == "click-0001" and history[0]["text"] == HOURS_QUESTION
    assert "8:00" in history[1]["text"] and history[1]["buttons"] == ["Sí", "No"]


def test_a_reload_keeps_the_visitor_and_a_bad_token_gets_a_new_one(widget: Widget) -> None:
    widget.send(HOURS_QUESTION)
    widget.drain()
    before = widget.token
    assert widget.start() == before                       # the page was reloaded
    assert len(widget.history()) == 2
    widget.token = before[:-4] + "AAAA"                   # tampered
    assert widget.http.get("/widget/api/history",
                           headers={"X-Atiende-Visitor": widget.token}).status_code == 401
    assert widget.start() != before
    assert widget.history() == []


@pytest.mark.parametrize(("body", "status", "reason"), [
    ({"id": "abcdefgh", "text": "   "}, 400, "empty"),
    ({"id": "abcdefgh", "text": "x" * 2001}, 413, "2001 characters; the limit is 2000"),
    ({"id": "no", "text": "hola"}, 400, "`id` must be"),
    ({"id": "abcdefgh", "text": 5}, 400, "empty"),
])
def test_bad_messages_get_a_reason(widget: Widget, body: dict[str, object], status: int,
                                   reason: str) -> None:
    answer = widget.http.post("/widget/api/messages", json=body,
                              headers={"X-Atiende-Visitor": widget.token})
    assert answer.status_code == status
    assert reason in answer.json()["error"]
    assert stored(widget.runtime) == 0


def test_no_token_not_json_and_huge_bodies_are_4xx(widget: Widget) -> None:
    no_token = widget.http.post("/widget/api/messages", json={"id": "abcdefgh", "text": "hola"})
    assert no_token.status_code == 401 and "visitor token" in no_token.json()["error"]
    headers = {"X-Atiende-Visitor": widget.token, "Content-Type": "application/json"}
    assert widget.http.post("/widget/api/messages", content=b"{nope",
                            headers=headers).status_code == 400
    huge = widget.http.post("/widget/api/messages", content=b"x" * 70_000, headers=headers)
    assert huge.status_code == 413


def test_the_visitor_limit_answers_429_with_retry_after(widget: Widget) -> None:
    codes = [widget.send(f"mensaje {n}").status_code for n in range(6)]
    assert codes == [202] * 5 + [429]
    limited = widget.send("otro más")
    assert int(limited.headers["Retry-After"]) >= 1
    assert "5 messages a minute" in limited.json()["error"]


def test_only_allowed_sites_may_call(widget: Widget) -> None:
    allowed = widget.http.post("/widget/api/session", json={}, headers={"Origin": SITE})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == SITE
    preflight = widget.http.options("/widget/api/messages", headers={
        "Origin": SITE, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-atiende-visitor"})
    assert preflight.status_code == 204
    assert "x-atiende-visitor" in preflight.headers["access-control-allow-headers"]
    evil = widget.http.post("/widget/api/messages", json={"id": "abcdefgh", "text": "hola"},
                            headers={"Origin": "https://evil.example",
                                     "X-Atiende-Visitor": widget.token})
    assert evil.status_code == 403
    assert "https://evil.example is not in channels.web.allowed_origins" in evil.json()["error"]
    assert "access-control-allow-origin" not in evil.headers
    assert stored(widget.runtime) == 0


def test_widget_js_is_small_and_the_demo_page_embeds_it(widget: Widget) -> None:
    script = widget.http.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert len(gzip.compress(script.content)) <= 15 * 1024
    demo = widget.http.get("/widget/demo")
    assert demo.status_code == 200 and '<script src="/widget.js"' in demo.text


def test_out_of_hours_the_widget_says_when_agents_answer(config: AtiendeConfig,
                                                          clock: FixedClock) -> None:
    clock.set(datetime(2026, 11, 28, 11, 0, tzinfo=ZoneInfo("America/Bogota")))  # Saturday
    runtime = build_runtime(config, clock)
    try:
        with widget_server(runtime) as server, httpx.Client(base_url=server.url) as http:
            client = Widget(server, runtime, http)
            client.start()
            client.send("Quiero hablar con un agente, la factura 4455 llegó con un cobro doble")
            client.drain()
            assert any("el lunes a las 8:00" in text for text in client.replies())
    finally:
        runtime.engine.dispose()


def test_every_call_from_one_address_counts_against_its_limit(config: AtiendeConfig,
                                                              clock: FixedClock) -> None:
    runtime = build_runtime(with_web(config, requests_per_minute_per_ip=4), clock)
    try:
        with widget_server(runtime) as server, httpx.Client(base_url=server.url) as http:
            codes = [http.post("/widget/api/session", json={}).status_code for _ in range(5)]
            assert codes == [200] * 4 + [429]
            assert "too many requests from this address" in http.get(
                "/widget/api/history").json()["error"]
    finally:
        runtime.engine.dispose()


def test_a_visitor_token_expires_by_the_injected_clock(config: AtiendeConfig,
                                                       clock: FixedClock) -> None:
    """`visitor_days` is counted on the runtime's clock: moved forward, not waited for."""
    runtime = build_runtime(with_web(config, visitor_days=2), clock)
    try:
        with widget_server(runtime) as server, httpx.Client(base_url=server.url) as http:
            client = Widget(server, runtime, http)
            token = client.start()
            clock.advance(timedelta(days=2) - timedelta(seconds=1))
            assert client.history() == []                        # still good
            assert client.start() == token                       # and kept by a reload
            clock.advance(timedelta(seconds=2))
            expired = http.get("/widget/api/history", headers={"X-Atiende-Visitor": token})
            assert expired.status_code == 401
            assert "expired" in expired.json()["error"]
            assert client.start() != token                       # a new visitor token
            assert client.history() == []
    finally:
        runtime.engine.dispose()


def test_the_limits_fail_open_to_memory_when_their_table_fails(config: AtiendeConfig,
                                                               clock: FixedClock) -> None:
    """No 5xx from the limiter: with its table gone the limit still holds, in this worker."""
    runtime = build_runtime(with_web(config, requests_per_minute_per_ip=4), clock)
    try:
        with runtime.engine.begin() as connection:
            connection.execute(text("DROP TABLE rate_limits"))
        with widget_server(runtime) as server, httpx.Client(base_url=server.url) as http:
            codes = [http.post("/widget/api/session", json={}).status_code for _ in range(5)]
        assert codes == [200] * 4 + [429]
    finally:
        runtime.engine.dispose()

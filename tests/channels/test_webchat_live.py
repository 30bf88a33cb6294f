"""Live replies by SSE, agents' replies while the visitor is away, email, attachments."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.app import Runtime
from bot.config.root import AtiendeConfig
from bot.desk.relay import answer_customer
from bot.store.db import transaction
from bot.store.models import Contact, ContactIdentity, Message, OutboxItem, Ticket
from tests.channels.webchat_site import Widget, sse_events, with_web

COMPLAINT = "Quiero hablar con un agente: la factura 4455 me llegó con un cobro doble"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def config(config: AtiendeConfig, tmp_path: Path) -> AtiendeConfig:
    return with_web(config, max_attachment_bytes=1000, media_dir=str(tmp_path / "media"))


def eventually(check: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    """Wait for the dispatcher's thread (bounded; not a deadline of the code under test)."""
    limit = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < limit, f"timed out waiting for {what}"
        time.sleep(0.05)


def agent_answers(widget: Widget, text: str) -> None:
    runtime = widget.runtime
    with transaction(runtime.factory) as session:
        ticket = session.scalars(select(Ticket)).one()
        answer_customer(session, runtime.ctx.desk, ticket, "ana@example.com", text,
                        runtime.clock.now(), "test")
    assert widget.server.loop is not None
    widget.server.loop.call_soon_threadsafe(runtime.outbox_ready)


def test_the_answer_and_an_agents_reply_arrive_on_the_open_stream(widget: Widget) -> None:
    url = f"/widget/api/events?token={widget.token}"
    with widget.http.stream("GET", url) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = sse_events(stream)
        assert next(events) == ("history", [])
        assert widget.send(COMPLAINT).status_code == 202
        kind, first = next(events)
        assert kind == "message" and first["direction"] == "out"
        widget.drain()
        agent_answers(widget, "Hola, soy Ana: ya anulamos el cobro repetido.")
        texts = [first["text"]]
        while "ya anulamos" not in texts[-1]:
            texts.append(next(events)[1]["text"])
    assert any("#" in text for text in texts[:-1])          # the ticket number was given


def test_a_reply_while_away_is_in_the_history_and_mailed_to_the_left_address(
        widget: Widget) -> None:
    widget.send(COMPLAINT)
    widget.drain()
    left = widget.http.post("/widget/api/email", json={"email": "Ana@Cliente.com "},
                            headers={"X-Atiende-Visitor": widget.token})
    assert left.status_code == 200, left.text
    agent_answers(widget, "Respuesta mientras no estabas")
    eventually(lambda: mailed(widget.runtime), "the copy by email")
    assert widget.replies()[-1] == "Respuesta mientras no estabas"
    with widget.runtime.factory() as session:
        copy = session.scalars(select(OutboxItem).where(
            OutboxItem.channel == "email", OutboxItem.recipient == "ana@cliente.com")).one()
        assert copy.payload["text"] == "Respuesta mientras no estabas"
        owners = session.scalars(select(ContactIdentity.contact_id)).all()
        assert len(set(owners)) == 1 and session.scalar(select(Contact.id)) == owners[0]


def mailed(runtime: Runtime) -> bool:
    with runtime.factory() as session:
        return session.scalars(select(OutboxItem.id).where(
            OutboxItem.channel == "email", OutboxItem.recipient == "ana@cliente.com")
        ).first() is not None


def test_an_email_must_look_right_and_belong_to_nobody_else(widget: Widget,
                                                             runtime: Runtime) -> None:
    headers = {"X-Atiende-Visitor": widget.token}
    bad = widget.http.post("/widget/api/email", json={"email": "no es correo"}, headers=headers)
    assert bad.status_code == 400 and "email address" in bad.json()["error"]
    other = Widget(widget.server, runtime, widget.http)
    other.start()
    assert widget.http.post("/widget/api/email", json={"email": "x@y.co"},
                            headers={"X-Atiende-Visitor": other.token}).status_code == 200
    taken = widget.http.post("/widget/api/email", json={"email": "x@y.co"}, headers=headers)
    assert taken.status_code == 409


def test_attachments_are_kept_within_type_and_size_limits(widget: Widget) -> None:
    headers = {"X-Atiende-Visitor": widget.token}
    ok = widget.http.post("/widget/api/attachments", headers=headers,
                          data={"id": "file-0001", "text": "la factura"},
                          files={"file": ("factura.png", PNG, "image/png")})
    assert ok.status_code == 202, ok.text
    assert ok.json()["file"] == "factura.png"
    html = widget.http.post("/widget/api/attachments", headers=headers, data={"id": "file-0002"},
                            files={"file": ("x.html", b"<script>", "text/html")})
    assert html.status_code == 415 and "text/html" in html.json()["error"]
    big = widget.http.post("/widget/api/attachments", headers=headers, data={"id": "file-0003"},
                           files={"file": ("big.png", PNG * 20, "image/png")})
    assert big.status_code == 413 and "limit" in big.json()["error"]
    widget.drain()
    with widget.runtime.factory() as session:
        kept = session.scalars(select(Message).where(Message.channel == "web")).all()
    assert len(kept) == 1
    assert kept[0].attachments[0]["filename"] == "factura.png"
    assert kept[0].attachments[0]["size"] == len(PNG)
    assert widget.history()[0]["attachments"] == ["factura.png"]
    assert Path(kept[0].attachments[0]["url"]).read_bytes() == PNG


def test_a_reply_sent_by_another_worker_reaches_the_stream_by_the_recheck(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """This worker's dispatcher does not serve `web` (as if another worker sent the reply):
    the stream finds the reply when it reads the history again."""
    import channels.webchat.stream as stream_module
    from bot.channel_context import build_channel_context
    from bot.engine import outbox
    from bot.web.app import create_web_app
    from channels.webchat.plugin import build_plugin
    from tests.fakes.loopback import LoopbackServer

    monkeypatch.setattr(stream_module, "RECHECK_SECONDS", 0.3)
    plugin = build_plugin(runtime.config.channels.web, build_channel_context(runtime, {}))
    with LoopbackServer(create_web_app(runtime, plugin.routes)) as server, \
            httpx.Client(base_url=server.url, timeout=10) as http:
        client = Widget(server, runtime, http)
        client.start()
        with http.stream("GET", f"/widget/api/events?token={client.token}") as stream:
            events = sse_events(stream)
            assert next(events) == ("history", [])
            with transaction(runtime.factory) as session:
                recipient = plugin_address(client)
                outbox.enqueue(session, channel="web", recipient=recipient,
                               text="Hola desde otro proceso", now=runtime.clock.now())
            kind, event = next(events)
    assert kind == "message" and event["text"] == "Hola desde otro proceso"


def plugin_address(client: Widget) -> str:
    from bot.store.secret_key import signing_key
    from channels.webchat.identity import VisitorTokens

    tokens = VisitorTokens(signing_key(client.runtime.factory, {}), 90, client.runtime.clock.now)
    return tokens.address(client.token)

"""The widget's server for tests: `serve`'s app with only the web channel, on 127.0.0.1."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from bot.app import Runtime
from bot.channel_context import build_channel_context
from bot.config.root import AtiendeConfig
from bot.serve import make_lifespan
from bot.web.app import create_web_app
from channels.webchat.plugin import build_plugin
from tests.fakes.loopback import LoopbackServer

SITE = "http://localhost:3000"   # in config.yaml's channels.web.allowed_origins


def with_web(config: AtiendeConfig, **web: Any) -> AtiendeConfig:
    """The test config with only the web channel on (and `web` settings changed)."""
    data = config.model_dump(by_alias=True)
    for name in ("whatsapp", "telegram", "email"):
        data["channels"][name] = None
    data["channels"]["web"] = {**(data["channels"]["web"] or {}), **web}
    return AtiendeConfig.model_validate({**data, "source": config.source})


@dataclass
class Widget:
    """A visitor's client: what widget.js does, over real HTTP."""

    server: LoopbackServer
    runtime: Runtime
    http: httpx.Client
    token: str = ""

    def start(self) -> str:
        answer = self.http.post("/widget/api/session", json={"token": self.token or None})
        assert answer.status_code == 200, answer.text
        self.token = answer.json()["token"]
        return self.token

    def send(self, text: str, ident: str | None = None, **extra: Any) -> httpx.Response:
        body = {"id": ident or uuid.uuid4().hex, "text": text, **extra}
        return self.http.post("/widget/api/messages", json=body,
                              headers={"X-Atiende-Visitor": self.token})

    def drain(self) -> None:
        """Wait until the engine has routed what was acknowledged."""
        self.server.run(self.runtime.ctx.work.drain())

    def history(self) -> list[dict[str, Any]]:
        answer = self.http.get("/widget/api/history", headers={"X-Atiende-Visitor": self.token})
        assert answer.status_code == 200, answer.text
        return answer.json()["messages"]

    def replies(self) -> list[str]:
        return [entry["text"] for entry in self.history() if entry["direction"] == "out"]


@contextmanager
def widget_server(runtime: Runtime) -> Iterator[LoopbackServer]:
    plugin = build_plugin(runtime.config.channels.web, build_channel_context(runtime, {}))
    assert plugin.is_on, plugin.status
    app = create_web_app(runtime, plugin.routes, make_lifespan(runtime, [plugin]))
    with LoopbackServer(app) as server:
        yield server


@contextmanager
def open_widget(runtime: Runtime) -> Iterator[Widget]:
    """A started widget visitor (its session taken) against a served web channel."""
    with widget_server(runtime) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        client = Widget(server, runtime, http)
        client.start()
        yield client


def sse_events(response: httpx.Response) -> Iterator[tuple[str, Any]]:
    """(event, data) pairs from a streaming text/event-stream response."""
    event, data = "message", []
    for line in response.iter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif not line and data:
            yield event, json.loads("\n".join(data))
            event, data = "message", []

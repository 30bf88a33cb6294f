"""The widget's plugin for `atiende serve`: on when `channels.web` is in config.yaml."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from channels.base import ChannelContext
from channels.media import media_store
from channels.registry import ChannelPlugin, off
from channels.tasks import stop_task
from channels.webchat.api import WidgetApi
from channels.webchat.bus import LiveBus, LocalBus
from channels.webchat.config import WebChatConfig
from channels.webchat.history import NoHistory, WebHistory
from channels.webchat.hub import Hub
from channels.webchat.identity import CHANNEL
from channels.webchat.presence import Heartbeat, LocalPresence, Presence
from channels.webchat.sender import WebChatChannel

STATIC = Path(__file__).resolve().parent / "static"
SCRIPT = STATIC / "widget.js"
DEMO = STATIC / "demo.html"


def build_plugin(section: WebChatConfig | None, context: ChannelContext) -> ChannelPlugin:
    if section is None:
        return off(CHANNEL, "no channels.web section in config.yaml")
    if not section.enabled:
        return off(CHANNEL, "channels.web.enabled is false")
    history: WebHistory = context.queries.get("web_history") or NoHistory()
    bus: LiveBus = context.queries.get("web_bus") or LocalBus()
    presence: Presence = context.queries.get("web_presence") or LocalPresence()
    hub = Hub(section.streams_per_visitor, section.max_streams)
    media = media_store(context.data_dir, section.media_dir, CHANNEL, section.max_attachment_bytes)
    api = WidgetApi(section, context, hub, history, media, presence)
    routes: list[BaseRoute] = [Route("/widget.js", widget_js, methods=["GET"]),
                               Route("/widget/demo", demo_page(context), methods=["GET"]),
                               *api.routes()]
    base = context.public_url.rstrip("/")
    status = f"on: <script src=\"{base}/widget.js\"></script>, demo at {base}/widget/demo"
    listener, heartbeat = BusListener(bus, hub), Heartbeat(presence)
    return ChannelPlugin(name=CHANNEL, status=status, routes=routes,
                         channel=WebChatChannel(hub, history, context.now, bus, presence),
                         startup=[listener.start, heartbeat.start],
                         shutdown=[listener.stop, heartbeat.stop])


class BusListener:
    """The task that hands other workers' announcements to this worker's streams."""

    def __init__(self, bus: LiveBus, hub: Hub) -> None:
        self.bus = bus
        self.hub = hub
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.bus.shared:
            self.task = asyncio.create_task(self.bus.listen(self.deliver, self.hub.catch_up_all))

    def deliver(self, address: str, event: Mapping[str, Any] | None) -> None:
        if event is None:
            self.hub.catch_up(address)
        else:
            self.hub.publish(address, event)

    async def stop(self) -> None:
        if self.task is not None:
            await stop_task(self.task)
            self.task = None


async def widget_js(_request: Request) -> Response:
    return FileResponse(SCRIPT, media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300",
                                 "Access-Control-Allow-Origin": "*",
                                 "X-Content-Type-Options": "nosniff"})


def demo_page(context: ChannelContext) -> Callable[[Request], Awaitable[Response]]:
    async def demo(_request: Request) -> Response:
        html = DEMO.read_text(encoding="utf-8")
        return HTMLResponse(html.replace("{{company}}", escape(context.company_name)))

    return demo


def escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))

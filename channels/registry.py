"""The channel table: which adapters exist, built from config; each says if it is on and why."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from channels.base import Channel

if TYPE_CHECKING:
    from bot.app import Runtime

log = logging.getLogger(__name__)
Hook = Callable[[], Awaitable[None]]


@dataclass
class ChannelPlugin:
    """What one channel adds to `atiende serve`."""

    name: str
    status: str                                   # "on: …" or "off: <why>"
    channel: Channel | None = None                # outbound, used by the outbox dispatcher
    routes: list[BaseRoute] = field(default_factory=list)
    startup: list[Hook] = field(default_factory=list)   # background services to start
    shutdown: list[Hook] = field(default_factory=list)  # and to stop, in reverse order
    health: Callable[[], str] | None = None       # "ok" or "degraded: <why>", for /healthz

    @property
    def is_on(self) -> bool:
        return self.channel is not None


# name → "module:function" building the plugin; a module that is not there yet is reported off.
CHANNEL_BUILDERS: dict[str, str] = {
    "whatsapp": "channels.whatsapp:build_plugin",
    "telegram": "channels.telegram:build_plugin",
    "email": "channels.email.plugin:build_plugin",
}


def off(name: str, reason: str) -> ChannelPlugin:
    log.info("channel %s is off: %s", name, reason)
    return ChannelPlugin(name=name, status=f"off: {reason}")


def build_plugins(runtime: Runtime) -> list[ChannelPlugin]:
    """One plugin per known channel; a channel without a config section is off."""
    plugins = []
    for name, target in CHANNEL_BUILDERS.items():
        if getattr(runtime.config.channels, name) is None:
            plugins.append(off(name, "no section in config.yaml"))
            continue
        module_name, _, function = target.partition(":")
        try:
            builder = getattr(importlib.import_module(module_name), function)
        except ModuleNotFoundError:
            plugins.append(off(name, "not available in this build"))
            continue
        plugins.append(builder(runtime))
    return plugins

"""The channel table: which adapters exist, built from config; each says if it is on and why."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import BaseRoute

from channels.base import Channel, ChannelContext

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


Factory = Callable[[Any, ChannelContext], ChannelPlugin]   # (its config section, context)


@dataclass(frozen=True)
class ChannelEntry:
    """One channel: the "module:function" building its plugin and the "module:Class" of its
    config section (config.yaml's `channels.<name>`, composed into the config model from here)."""

    factory: str
    section: str


# One line per channel: its name (= its key under `channels:` in config.yaml) → its entry.
# A factory whose module is not there is reported off.
CHANNELS: dict[str, ChannelEntry] = {
    "whatsapp": ChannelEntry("channels.whatsapp.plugin:build_plugin",
                             "channels.whatsapp.config:WhatsAppConfig"),
    "telegram": ChannelEntry("channels.telegram.plugin:build_plugin",
                             "channels.telegram.config:TelegramConfig"),
    "email": ChannelEntry("channels.email.plugin:build_plugin",
                          "channels.email.config:EmailConfig"),
    "web": ChannelEntry("channels.webchat.plugin:build_plugin",
                        "channels.webchat.config:WebChatConfig"),
}


def load_target(target: str) -> Any:
    """The object a "module:name" line names, or None when its module is not in this build."""
    module_name, _, name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        return None
    return getattr(module, name)


def off(name: str, reason: str) -> ChannelPlugin:
    log.info("channel %s is off: %s", name, reason)
    return ChannelPlugin(name=name, status=f"off: {reason}")


def build_plugins(sections: Mapping[str, object], context_for: Callable[[str], ChannelContext],
                  table: Mapping[str, ChannelEntry] = CHANNELS) -> list[ChannelPlugin]:
    """One plugin per channel in `table`; a channel without a config section is off.

    `sections` maps a channel's name to its config section (None when config.yaml has none);
    `context_for(name)` gives the channel its `ChannelContext`. The composition root passes
    both, so this module knows nothing of the engine.
    """
    plugins = []
    for name, entry in table.items():
        section = sections.get(name)
        if section is None:
            plugins.append(off(name, "no section in config.yaml"))
            continue
        factory: Factory | None = load_target(entry.factory)
        if factory is None:
            plugins.append(off(name, "not available in this build"))
            continue
        plugins.append(factory(section, context_for(name)))
    return plugins

"""Composition root for the channels: what each adapter's factory receives (ChannelContext)."""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping
from pathlib import Path

from bot.app import Runtime
from bot.engine.mail_history import StoredMailHistory
from bot.engine.sink import EngineSink
from bot.engine.web_bus import PgWebBus
from bot.engine.web_history import StoredWebHistory
from bot.engine.web_presence import StoredPresence
from bot.store.poller_lock import IMAP_POLLER, TELEGRAM_POLLER, PollerLock
from bot.store.secret_key import signing_key
from bot.store.settings import SettingsState
from channels.base import ChannelContext, SingletonLock
from channels.registry import ChannelPlugin, build_plugins

# Advisory lock ids kept from before locks had names, so old and new workers agree.
KNOWN_LOCKS = {"imap": IMAP_POLLER, "telegram": TELEGRAM_POLLER}


def lock_id(name: str) -> int:
    """A stable 31-bit PostgreSQL advisory lock id for a lock name."""
    return KNOWN_LOCKS.get(name, zlib.crc32(f"atiende:{name}".encode()) & 0x7FFFFFFF)


def build_channel_context(runtime: Runtime, environ: Mapping[str, str] | None = None,
                          sink: EngineSink | None = None) -> ChannelContext:
    """The sink, clock, base URL, files, state, locks and secret key, from the runtime."""
    env = os.environ if environ is None else environ

    def lock(name: str) -> SingletonLock:
        return PollerLock(runtime.engine, lock_id(name))

    base = runtime.config.base_dir
    queries: dict[str, object] = {
        "mail_history": StoredMailHistory(runtime.factory),
        "web_history": StoredWebHistory(runtime.factory, runtime.config, runtime.clock)}
    if runtime.engine.dialect.name == "postgresql":   # several workers may share it
        queries["web_bus"] = PgWebBus(runtime.engine)
        queries["web_presence"] = StoredPresence(runtime.engine, runtime.clock.now)
    return ChannelContext(
        sink=sink or EngineSink(runtime.factory, runtime.ctx),
        now=runtime.clock.now,
        public_url=runtime.config.http.public_url,
        data_dir=Path(base) if base else Path.cwd(),
        state=SettingsState(runtime.factory),
        lock=lock,
        secret_key=signing_key(runtime.factory, dict(env)),
        company_name=runtime.config.bot.company_name,
        environ=env,
        queries=queries,
        limiter=runtime.rate_limiter,
    )


def build_channel_plugins(runtime: Runtime,
                          environ: Mapping[str, str] | None = None) -> list[ChannelPlugin]:
    """Every channel in the registry, given its config section and one shared ChannelContext."""
    context = build_channel_context(runtime, environ)
    return build_plugins(dict(runtime.config.channels), lambda _name: context)

"""`atiende serve`: one asyncio process with uvicorn, the outbox dispatcher and the banner."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette

from bot.app import Runtime, build_runtime
from bot.config import AtiendeConfig
from bot.outbox import Dispatcher
from bot.web import Lifespan, create_web_app
from channels.base import Channel

log = logging.getLogger(__name__)


def channel_status(config: AtiendeConfig) -> dict[str, str]:
    """Which channels run and why the others do not (filled in by the channel modules)."""
    status = {}
    for name in ("whatsapp", "telegram", "email"):
        section = getattr(config.channels, name)
        status[name] = "off: no section in config" if section is None else "off: not built yet"
    return status


def banner(config: AtiendeConfig, runtime: Runtime, status: Mapping[str, str]) -> str:
    lines = [
        f"Atiende is listening on http://{config.http.host}:{config.http.port}"
        f"  (health: /healthz, metrics: /metrics)",
        f"  database: {config.database.url}",
        f"  knowledge base: {config.kb_path()} ({len(runtime.ctx.articles)} articles)",
        *(f"  {name}: {state}" for name, state in status.items()),
        "Try it now: run `make chat` in another terminal and write ¿Cuál es el horario?",
    ]
    return "\n".join(lines)


def make_lifespan(runtime: Runtime, channels: Mapping[str, Channel]) -> Lifespan:
    """Start the scheduler (SLA sweep, outbox delivery) with the app; stop it cleanly."""

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        from scheduler.runner import SchedulerRunner

        runner = SchedulerRunner(runtime, Dispatcher(runtime.factory, channels))
        runner.start()
        yield
        await runner.stop()

    return lifespan


def run_server(config: AtiendeConfig) -> None:
    runtime = build_runtime(config)
    channels: dict[str, Channel] = {}
    app = create_web_app(runtime, lifespan=make_lifespan(runtime, channels))
    print(banner(config, runtime, channel_status(config)), flush=True)
    uvicorn.run(app, host=config.http.host, port=config.http.port, log_level="info",
                timeout_graceful_shutdown=10)

"""`atiende serve`: one asyncio process with uvicorn, the channels, the scheduler and a banner."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import uvicorn
from starlette.applications import Starlette

from bot.app import Runtime, build_runtime, warm_up
from bot.channel_context import build_channel_plugins
from bot.config.root import AtiendeConfig
from bot.desk.sweeps import sweep
from bot.engine.outbox import Dispatcher
from bot.engine.outbox_pump import OutboxPump
from bot.engine.outbox_signal import OutboxSignal, listen
from bot.engine.pipeline import retry_unrouted
from bot.listeners import bind_listeners
from bot.web.app import Lifespan, create_web_app
from channels.base import Channel, ChannelOff
from channels.registry import ChannelPlugin
from scheduler.runner import Job, SchedulerRunner

log = logging.getLogger(__name__)


def banner(config: AtiendeConfig, runtime: Runtime, plugins: list[ChannelPlugin]) -> str:
    lines = [
        f"Atiende is listening on http://{config.http.host}:{config.http.port}"
        f"  (health: /healthz, metrics: /metrics)",
        f"  database: {config.database.url}",
        f"  knowledge base: {config.kb_path()} ({len(runtime.ctx.articles)} articles)",
        *(f"  {plugin.name}: {plugin.status}" for plugin in plugins),
        f"  agents' inbox: http://{config.http.host}:{config.http.port}/agent/ "
        f"(sign-in link: atiende agents invite EMAIL)",
        f"  help center: http://{config.http.host}:{config.http.port}/help/",
        "Try it now: run `make chat` in another terminal and write: ¿Cuál es el horario?",
    ]
    email = config.channels.email
    if email is not None:
        lines.append(f"  or mail {email.support_address} through "
                     f"{email.smtp_inbound.host}:{email.smtp_inbound.port} (SMTP)")
    return "\n".join(lines)


def make_lifespan(runtime: Runtime, plugins: list[ChannelPlugin],
                  on_started: Callable[[], object] | None = None) -> Lifespan:
    """Start channel services and the scheduler with the app; stop them cleanly, in reverse.

    `on_started` runs once the channels have started (the banner shows what really runs).
    """

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        started = [plugin for plugin in plugins if await start_plugin(plugin)]
        if on_started is not None:
            on_started()
        channels = {p.name: p.channel for p in started if p.channel is not None}
        dispatcher = make_dispatcher(runtime, channels)
        runner = SchedulerRunner(scheduled_jobs(runtime, dispatcher))
        runner.start()

        def wake() -> None:   # the pump under way claims at once; else a run starts
            dispatcher.poke()
            runner.wake("outbox_dispatch")

        runtime.on_outbox = wake
        wakes = OutboxWakes(runtime, wake)
        yield
        wakes.close()
        runtime.on_outbox = None
        await runtime.ctx.work.drain()  # finish routing what was acknowledged
        await runner.stop()
        for plugin in reversed(plugins):
            for hook in reversed(plugin.shutdown):
                try:
                    await hook()
                except Exception:  # one channel's failure must not skip the others' shutdown
                    log.exception("%s: shutdown step failed", plugin.name)

    return lifespan


def make_dispatcher(runtime: Runtime, channels: dict[str, Channel]) -> Dispatcher:
    settings = runtime.config.outbox
    return Dispatcher(runtime.factory, channels, concurrency=settings.concurrency,
                      claim_seconds=settings.claim_seconds,
                      writer_turn=runtime.ctx.work.writer_turn,
                      join_replies=settings.join_replies, backlog=runtime.ctx.work.backlog)


class OutboxWakes:
    """A commit that queued outbox rows wakes the dispatcher: this process's commits through
    session events, other workers' (PostgreSQL) through LISTEN/NOTIFY."""

    def __init__(self, runtime: Runtime, wake: Callable[[], None]) -> None:
        postgres = runtime.engine.dialect.name == "postgresql"
        self.signal = OutboxSignal(runtime.factory, wake, asyncio.get_running_loop(),
                                   notify=postgres)
        self.listener = asyncio.create_task(listen(runtime.engine, wake)) if postgres else None

    def close(self) -> None:
        self.signal.close()
        if self.listener is not None:
            self.listener.cancel()


@dataclass(frozen=True)
class StrandedCutoff:
    """Which unrouted messages the retry job takes: those stored before `before(now)`.

    A message stored less than `after` ago (`jobs.retry_unrouted_seconds`) may still be in a
    routing queue (this process's, or another worker's on PostgreSQL). On SQLite one process
    serves the database, so whatever it finds unrouted from before it started was left by the
    process that stopped (a crash between storing and routing): routed by the job's first
    run, not a minute later.
    """

    started: datetime
    one_process: bool
    after: timedelta   # jobs.retry_unrouted_seconds

    def before(self, now: datetime) -> datetime:
        cutoff = now - self.after
        return max(cutoff, self.started) if self.one_process else cutoff


def scheduled_jobs(runtime: Runtime, dispatcher: Dispatcher) -> list[Job]:
    """The periodic jobs of `serve`: the SLA sweep, outbox delivery (once more at shutdown, to
    flush what is due) and routing of messages stored but never routed."""

    async def sla_sweep() -> int:  # the first run after downtime catches up the backlog
        return await asyncio.to_thread(sweep, runtime.factory, runtime.ctx.desk,
                                       runtime.clock.now())

    pump = OutboxPump(dispatcher, runtime.clock.now, runtime.config.outbox.batch_size)

    async def outbox_dispatch() -> int:  # until nothing is due or in flight (see OutboxPump)
        return await pump.run()

    jobs = runtime.config.jobs
    stranded = StrandedCutoff(runtime.clock.now(), runtime.engine.dialect.name == "sqlite",
                              timedelta(seconds=jobs.retry_unrouted_seconds))

    async def route_stranded() -> int:  # the process stopped between storing and routing
        cutoff = stranded.before(runtime.clock.now())
        return await asyncio.to_thread(retry_unrouted, runtime.factory, runtime.ctx, cutoff)

    return [Job("sla_sweep", jobs.sla_sweep_seconds, sla_sweep),
            Job("outbox_dispatch", runtime.config.outbox.poll_seconds, outbox_dispatch,
                again_at_stop=True),
            Job("retry_unrouted", jobs.retry_unrouted_seconds, route_stranded)]


async def start_plugin(plugin: ChannelPlugin) -> bool:
    """Run the plugin's startup hooks; a channel that cannot start is left off (its outbox rows
    wait as `pending` until it is on) with one log line."""
    try:
        for hook in plugin.startup:
            await hook()
    except ChannelOff as exc:
        log.error("%s: could not start, the channel stays off: %s", plugin.name, exc)
        plugin.status = f"off: could not start: {exc}"
        return False
    return True


def create_server_app(runtime: Runtime, announce: bool = False) -> Starlette:
    """The app with every channel; with `announce`, the banner is printed once they started."""
    plugins = build_channel_plugins(runtime)
    routes = [route for plugin in plugins for route in plugin.routes]
    on_started = (lambda: announce_started(runtime, plugins)) if announce else None
    return create_web_app(runtime, routes, make_lifespan(runtime, plugins, on_started),
                          channel_health=lambda: channel_health(plugins))


def channel_health(plugins: list[ChannelPlugin]) -> dict[str, str]:
    """Each channel that is on: "ok", or "degraded: <why>" (e.g. the mail relay is down)."""
    return {plugin.name: plugin.health() if plugin.health else "ok"
            for plugin in plugins if plugin.is_on}


def announce_started(runtime: Runtime, plugins: list[ChannelPlugin]) -> None:
    """Every listener is bound (see `bind_listeners`) and every channel started: say so.
    uvicorn, handed an already-bound socket, does not log its usual line: it is logged here
    in the same words, for the tools that wait for it."""
    http = runtime.config.http
    print(banner(runtime.config, runtime, plugins), flush=True)
    logging.getLogger("uvicorn.error").info("Uvicorn running on http://%s:%s (Press CTRL+C to "
                                            "quit)", http.host, http.port)


GC_THRESHOLDS = (20_000, 10, 10)   # young collections every 20,000 net allocations, not 700


def settle_heap() -> None:
    """What start-up built (the KB index, the triage model, the app) lives as long as the
    process: take it out of the cyclic GC's sight, so that a full collection walks only what
    the traffic allocated, and collect the young generations less often. Measured with the
    sample KB (about 160,000 objects at start-up) under `bench/widget_roundtrip.py`: a full
    pass took 100–300 ms with the event loop stopped, and the default thresholds ran one to
    two a second plus young passes of several ms; with this, none ran during the load."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def run_server(config: AtiendeConfig) -> None:
    """Database first, triage fitted (see `warm_up`), then every listener bound, then the app;
    the banner comes last."""
    runtime = build_runtime(config)
    warm_up(runtime)
    http = bind_listeners(config)
    app = create_server_app(runtime, announce=True)
    settle_heap()
    server = uvicorn.Server(uvicorn.Config(app, host=config.http.host, port=config.http.port,
                                           log_level="info", timeout_graceful_shutdown=10,
                                           access_log=config.http.access_log))
    server.run(sockets=[http])

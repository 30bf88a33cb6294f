"""A reply queued from the inbox wakes the outbox job instead of waiting for its next tick."""

from __future__ import annotations

import asyncio

from bot.app import Runtime
from bot.engine.outbox import Dispatcher, enqueue
from bot.serve import scheduled_jobs
from bot.store.db import transaction
from channels.console import ConsoleChannel
from scheduler.runner import SchedulerRunner


def queue(runtime: Runtime, text: str) -> None:
    with transaction(runtime.factory) as session:
        enqueue(session, channel="console", recipient="console:ana", text=text,
                kind="agent_reply", now=runtime.clock.now())


def test_a_wake_runs_the_outbox_job_once_more_and_wakes_coalesce(runtime: Runtime) -> None:
    delivered: list[str] = []
    dispatcher = Dispatcher(runtime.factory, {
        "console": ConsoleChannel(lambda message: delivered.append(message.text))})
    runner = SchedulerRunner(scheduled_jobs(runtime, dispatcher))

    async def scenario() -> tuple[list[str], int, int, list[str]]:
        runner.start()
        await runner.run_now("outbox_dispatch")     # a tick's pass: nothing queued yet
        queue(runtime, "respuesta 1")
        runner.wake("outbox_dispatch")
        runner.wake("outbox_dispatch")              # coalesces with the first
        woken = len(runner.wakes)
        await asyncio.gather(*runner.wakes)
        first = list(delivered)
        runner.scheduler.pause()                    # stopping: wakes are ignored
        queue(runtime, "respuesta 2")
        runner.wake("outbox_dispatch")
        ignored = len(runner.wakes)
        runner.scheduler.resume()
        await runner.stop()                         # flushes what is due
        return first, woken, ignored, list(delivered)

    first, woken, ignored, everything = asyncio.run(scenario())
    assert first == ["respuesta 1"] and woken == 1
    assert ignored == 0
    assert everything == ["respuesta 1", "respuesta 2"]

"""A reply queued from the inbox wakes the outbox dispatcher instead of waiting for its tick."""

from __future__ import annotations

import asyncio

from bot.app import Runtime
from bot.engine.outbox import Dispatcher, enqueue
from bot.store.db import transaction
from channels.console import ConsoleChannel
from scheduler.runner import SchedulerRunner


def queue(runtime: Runtime, text: str) -> None:
    with transaction(runtime.factory) as session:
        enqueue(session, channel="console", recipient="console:ana", text=text,
                kind="agent_reply", now=runtime.clock.now())


def test_a_wake_runs_one_more_pass_at_once_and_wakes_coalesce(runtime: Runtime) -> None:
    delivered: list[str] = []
    runner = SchedulerRunner(runtime, Dispatcher(runtime.factory, {
        "console": ConsoleChannel(lambda message: delivered.append(message.text))}))

    async def scenario() -> tuple[list[str], int, list[str], int]:
        runner.start()
        await runner.run_dispatch()            # the tick's pass: nothing queued yet
        queue(runtime, "respuesta 1")
        runner.wake_dispatch()
        runner.wake_dispatch()                 # coalesces with the first
        woken = len(runner.wakes)
        await asyncio.gather(*runner.wakes)
        first = list(delivered)
        runner.scheduler.pause()               # stopping: wakes are ignored
        queue(runtime, "respuesta 2")
        runner.wake_dispatch()
        ignored = len(runner.wakes)
        runner.scheduler.resume()
        await runner.stop()
        return first, woken, list(delivered), ignored

    first, woken, everything, ignored = asyncio.run(scenario())
    assert first == ["respuesta 1"] and woken == 1
    assert ignored == 0
    assert everything == ["respuesta 1", "respuesta 2"]   # stop() flushes what is due

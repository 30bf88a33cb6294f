"""Event-driven delivery: a commit that queues a reply wakes the dispatcher (no tick needed),
recipients are served concurrently in order, and a burst never makes APScheduler skip ticks."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict

import pytest

from bot.app import Runtime
from bot.config.root import OutboxConfig
from bot.engine.outbox import Dispatcher, enqueue
from bot.engine.outbox_signal import OutboxSignal, listen
from bot.serve import scheduled_jobs
from bot.store.db import transaction
from channels.base import DeliveryReceipt, OutboundMessage
from scheduler.runner import SchedulerRunner

HOUR = 3600.0


def queue(runtime: Runtime, recipient: str, text: str) -> None:
    with transaction(runtime.factory) as session:
        enqueue(session, channel="slow", recipient=recipient, text=text,
                now=runtime.clock.now())


class SlowChannel:
    """Takes a few event-loop turns per send (at random) and records what it sent."""

    name = "slow"

    def __init__(self, seed: int = 7) -> None:
        self.sent: list[tuple[str, str]] = []
        self.random = random.Random(seed)
        self.in_flight = 0
        self.most_in_flight = 0
        self.arrived = asyncio.Event()
        self.expected = 0

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        for _ in range(self.random.randint(0, 5)):
            await asyncio.sleep(0)
        self.in_flight -= 1
        self.sent.append((message.recipient, message.text))
        if len(self.sent) >= self.expected:
            self.arrived.set()
        return DeliveryReceipt(provider_message_id=f"P{len(self.sent)}")


def test_a_commit_in_another_thread_wakes_the_dispatcher_without_a_tick(
        runtime: Runtime) -> None:
    channel = SlowChannel()
    runner = SchedulerRunner(scheduled_jobs(runtime, Dispatcher(runtime.factory,
                                                                {"slow": channel})))

    async def scenario() -> list[tuple[str, str]]:
        runner.start()    # each job runs once now; the next tick is an hour away
        await runner.run_now("outbox_dispatch")
        runner.scheduler.modify_job("outbox_dispatch", next_run_time=None)   # no more ticks
        signal = OutboxSignal(runtime.factory, lambda: runner.wake("outbox_dispatch"),
                              asyncio.get_running_loop())
        channel.expected = 1
        await asyncio.to_thread(queue, runtime, "slow:ana", "hola")   # a routing thread
        await asyncio.wait_for(channel.arrived.wait(), timeout=30)
        signal.close()
        await runner.stop()
        return channel.sent

    assert asyncio.run(scenario()) == [("slow:ana", "hola")]


def test_a_rolled_back_or_unrelated_commit_wakes_nothing(runtime: Runtime) -> None:
    wakes: list[int] = []

    async def scenario() -> None:
        signal = OutboxSignal(runtime.factory, lambda: wakes.append(1),
                              asyncio.get_running_loop())
        with runtime.factory() as session:
            enqueue(session, channel="slow", recipient="slow:ana", text="x",
                    now=runtime.clock.now())
            session.rollback()
            session.commit()    # nothing queued in this transaction
        with transaction(runtime.factory):
            pass
        await asyncio.sleep(0)   # let call_soon_threadsafe callbacks run
        signal.close()

    asyncio.run(scenario())
    assert wakes == []


def test_recipients_are_served_concurrently_each_in_order(runtime: Runtime) -> None:
    for index in range(10):
        for recipient in ("slow:ana", "slow:beto", "slow:carla", "slow:dora", "slow:eli"):
            queue(runtime, recipient, f"{recipient} {index}")
    channel = SlowChannel()
    dispatcher = Dispatcher(runtime.factory, {"slow": channel}, concurrency=4)
    assert asyncio.run(dispatcher.deliver_due(runtime.clock.now(), limit=1000)) == 50
    by_recipient: dict[str, list[str]] = defaultdict(list)
    for recipient, text in channel.sent:
        by_recipient[recipient].append(text)
    assert all(texts == [f"{r} {i}" for i in range(10)] for r, texts in by_recipient.items())
    assert 1 < channel.most_in_flight <= 4


def test_a_burst_longer_than_the_interval_skips_no_tick(runtime: Runtime,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    """Batches of 20 that each take longer than the 50 ms poll: APScheduler would say
    "maximum number of running instances reached" if a tick waited for the run."""
    channel = SlowChannel()
    runtime.config = runtime.config.model_copy(
        update={"outbox": OutboxConfig(batch_size=20, poll_seconds=0.05)})
    for index in range(200):
        queue(runtime, f"slow:{index % 5}", f"m{index}")
    channel.expected = 200

    class Slower(SlowChannel):
        async def send(self, message: OutboundMessage) -> DeliveryReceipt:
            await asyncio.sleep(0.1)   # a provider call that takes a while
            return await channel.send(message)

    runner = SchedulerRunner(scheduled_jobs(runtime, Dispatcher(runtime.factory,
                                                                {"slow": Slower()})))

    async def scenario() -> None:
        runner.start()
        await asyncio.wait_for(channel.arrived.wait(), timeout=120)
        await runner.stop()

    with caplog.at_level(logging.WARNING, logger="apscheduler"):
        asyncio.run(scenario())
    assert len(channel.sent) == 200
    assert "maximum number of running instances reached" not in caplog.text


def test_postgres_notify_wakes_another_worker(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")

    async def scenario() -> int:
        woken = asyncio.Event()
        ready = asyncio.Event()
        listener = asyncio.create_task(listen(runtime.engine, woken.set, ready))
        await asyncio.wait_for(ready.wait(), timeout=30)
        # the committing worker: its signal notifies; its own in-process wake is a no-op here
        signal = OutboxSignal(runtime.factory, lambda: None, asyncio.get_running_loop(),
                              notify=True)
        await asyncio.to_thread(queue, runtime, "slow:ana", "hola")
        await asyncio.wait_for(woken.wait(), timeout=30)
        signal.close()
        listener.cancel()
        return 1

    assert asyncio.run(scenario()) == 1

"""APScheduler inside `atiende serve`: the SLA sweep and outbox delivery (the only import)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import Runtime
from bot.engine.outbox import Dispatcher
from bot.engine.pipeline import retry_unrouted
from scheduler.jobs import sweep

log = logging.getLogger(__name__)
SWEEP_SECONDS = 30
DISPATCH_SECONDS = 1
RETRY_SECONDS = 60


class SchedulerRunner:
    """Periodic jobs; state lives in the database, so a restart loses nothing."""

    def __init__(self, runtime: Runtime, dispatcher: Dispatcher) -> None:
        self.runtime = runtime
        self.dispatcher = dispatcher
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.dispatching = asyncio.Lock()   # one outbox pass at a time

    def start(self) -> None:
        now = datetime.now(UTC)
        common = {"max_instances": 1, "coalesce": True, "next_run_time": now}
        self.scheduler.add_job(self.run_sweep, "interval", seconds=SWEEP_SECONDS,
                               id="sla_sweep", **common)
        self.scheduler.add_job(self.run_dispatch, "interval", seconds=DISPATCH_SECONDS,
                               id="outbox_dispatch", **common)
        self.scheduler.add_job(self.run_retry_unrouted, "interval", seconds=RETRY_SECONDS,
                               id="retry_unrouted", **common)
        self.scheduler.start()

    async def run_sweep(self) -> int:
        """Catch up every due deadline (the first run after downtime handles the backlog)."""
        try:
            return await asyncio.to_thread(sweep, self.runtime.factory, self.runtime.ctx.desk,
                                           self.runtime.clock.now())
        except Exception:
            log.exception("SLA sweep failed; the next run retries")
            return 0

    async def run_dispatch(self) -> int:
        async with self.dispatching:
            try:
                return await self.dispatcher.deliver_due(self.runtime.clock.now())
            except Exception:
                log.exception("outbox dispatch failed; the next run retries")
                return 0

    async def run_retry_unrouted(self) -> int:
        """Messages stored but never routed (the process stopped in between) get routed."""
        cutoff = self.runtime.clock.now() - timedelta(seconds=RETRY_SECONDS)
        try:
            return await asyncio.to_thread(retry_unrouted, self.runtime.factory,
                                           self.runtime.ctx, cutoff)
        except Exception:
            log.exception("retrying unrouted messages failed")
            return 0

    async def stop(self) -> None:
        """No new runs; let the outbox pass under way finish (shutdown would cancel it midway,
        losing or repeating its sends), flush what is due, then stop the scheduler."""
        if self.scheduler.running:
            self.scheduler.pause()
        await self.run_dispatch()  # waits for the pass under way, then flushes
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

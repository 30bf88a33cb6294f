"""APScheduler inside `atiende serve`: runs the periodic jobs the composition root hands it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A periodic job: its id, its interval, the coroutine it runs (returning how many things
    it handled), and whether it runs once more when the runner stops."""

    id: str
    seconds: float
    run: Callable[[], Awaitable[int]]
    again_at_stop: bool = False


class SchedulerRunner:
    """Periodic jobs, one run of each at a time; state lives in the database, so a restart
    loses nothing."""

    def __init__(self, jobs: Sequence[Job]) -> None:
        self.jobs = {job.id: job for job in jobs}
        self.running = {job.id: asyncio.Lock() for job in jobs}
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.woken: set[str] = set()        # jobs woken whose extra run has not begun
        self.wakes: set[asyncio.Task[int]] = set()
        self.ticks: set[asyncio.Task[int]] = set()   # runs the interval started

    def start(self, paused: bool = False) -> None:
        """Register the jobs (each runs at once, then every interval) and start; `paused`
        registers them without running any (the caller drives them, e.g. a test)."""
        now = datetime.now(UTC)
        for job in self.jobs.values():
            self.scheduler.add_job(self.tick, "interval", args=[job.id], seconds=job.seconds,
                                   id=job.id, max_instances=1, coalesce=True, next_run_time=now)
        self.scheduler.start(paused=paused)

    async def tick(self, job_id: str) -> None:
        """APScheduler's interval fires: start a run unless one is under way or queued, and
        return at once. APScheduler then never sees a long run as a skipped tick ("maximum
        number of running instances reached"): a tick during a run is simply not needed."""
        if self.running[job_id].locked() or job_id in self.woken:
            return
        task = asyncio.get_running_loop().create_task(self.run_now(job_id))
        self.ticks.add(task)
        task.add_done_callback(self.ticks.discard)

    def wake(self, job_id: str) -> None:
        """Run `job_id` once more now, or right after the run under way (e.g. the web inbox just
        queued a reply for the outbox). Wakes coalesce; ignored once stopping."""
        if job_id in self.woken or self.scheduler.state != STATE_RUNNING:  # paused at stop
            return
        self.woken.add(job_id)
        task = asyncio.get_running_loop().create_task(self.run_now(job_id))
        self.wakes.add(task)
        task.add_done_callback(self.wakes.discard)

    async def run_now(self, job_id: str) -> int:
        """Run one job after the run under way ends; a failure is logged and counts 0 (the
        next run retries)."""
        async with self.running[job_id]:
            self.woken.discard(job_id)  # what is queued from now on needs another run
            try:
                return await self.jobs[job_id].run()
            except Exception:
                log.exception("%s failed; the next run retries", job_id)
                return 0

    async def stop(self) -> None:
        """No new runs; let the runs under way finish (shutdown would cancel them midway, e.g.
        losing or repeating an outbox pass's sends), run the `again_at_stop` jobs once more,
        then stop the scheduler."""
        if self.scheduler.running:
            self.scheduler.pause()
        if self.wakes or self.ticks:
            await asyncio.gather(*self.wakes, *self.ticks)
        for job in self.jobs.values():
            if job.again_at_stop:
                await self.run_now(job.id)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

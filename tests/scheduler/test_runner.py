"""The scheduler runner alone: jobs handed in, run at once, one run at a time, flushed at stop."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from scheduler.runner import Job, SchedulerRunner


def counting_job(job_id: str, seconds: float, calls: list[str], **options: bool) -> Job:
    async def run() -> int:
        calls.append(job_id)
        return len(calls)

    return Job(job_id, seconds, run, **options)


def test_jobs_are_registered_with_their_ids_and_intervals() -> None:
    calls: list[str] = []
    runner = SchedulerRunner([counting_job("fast", 1, calls), counting_job("slow", 90, calls)])

    async def scenario() -> dict[str, timedelta]:
        runner.start(paused=True)
        found = {job.id: job.trigger.interval for job in runner.scheduler.get_jobs()}
        await runner.stop()
        return found

    assert asyncio.run(scenario()) == {"fast": timedelta(seconds=1), "slow": timedelta(seconds=90)}
    assert calls == []  # paused: nothing ran, and stop runs only the jobs that ask for it
    assert not runner.scheduler.running


def test_a_started_runner_runs_every_job_at_once() -> None:
    async def scenario() -> set[str]:
        seen: set[str] = set()
        both = asyncio.Event()

        def job(job_id: str) -> Job:
            async def run() -> int:
                seen.add(job_id)
                if len(seen) == 2:
                    both.set()
                return 1
            return Job(job_id, 3600, run)

        runner = SchedulerRunner([job("a"), job("b")])
        runner.start()
        await asyncio.wait_for(both.wait(), timeout=10)
        await runner.stop()
        return seen

    assert asyncio.run(scenario()) == {"a", "b"}


def test_a_failing_run_is_logged_counts_zero_and_the_next_run_retries(
        caplog: pytest.LogCaptureFixture) -> None:
    attempts: list[int] = []

    async def flaky() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("database unavailable")
        return 7

    runner = SchedulerRunner([Job("flaky", 60, flaky)])
    with caplog.at_level(logging.ERROR, logger="scheduler.runner"):
        first = asyncio.run(runner.run_now("flaky"))
    assert first == 0
    assert "flaky failed; the next run retries" in caplog.text
    assert "database unavailable" in caplog.text
    assert asyncio.run(runner.run_now("flaky")) == 7


def test_stop_waits_for_the_run_under_way_then_runs_the_flush_job_once_more() -> None:
    order: list[str] = []
    other: list[str] = []

    async def scenario() -> None:
        release, started = asyncio.Event(), asyncio.Event()

        async def flush() -> int:
            order.append("start")
            started.set()
            await release.wait()
            order.append("end")
            return 1

        runner = SchedulerRunner([Job("flush", 1, flush, again_at_stop=True),
                                  counting_job("other", 1, other)])
        runner.start(paused=True)
        under_way = asyncio.create_task(runner.run_now("flush"))
        await started.wait()
        stopping = asyncio.create_task(runner.stop())
        for _ in range(5):
            await asyncio.sleep(0)  # let stop() reach the flush and wait for the run under way
        assert not stopping.done()
        release.set()
        await asyncio.gather(under_way, stopping)

    asyncio.run(scenario())
    assert order == ["start", "end", "start", "end"]
    assert other == []

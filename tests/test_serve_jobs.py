"""The jobs `serve` hands the scheduler runner: registered, and driven by the injected clock."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.app import Runtime, build_runtime
from bot.cli.chat import ChatSession
from bot.config.root import AtiendeConfig, JobsConfig
from bot.engine.outbox import Dispatcher
from bot.serve import scheduled_jobs
from bot.store.models import Contact, OutboxItem, Ticket
from channels.console import ConsoleChannel
from scheduler.clock import FixedClock
from scheduler.runner import SchedulerRunner
from tests.conftest import BOGOTA, REPO
from tests.transcript import ticket

BILLING = ("Nos debitaron dos veces la mensualidad y necesitamos la devolución del dinero, "
           "ya revisamos el extracto")


def test_runner_registers_jobs_and_sweeps_with_the_injected_clock(
        chat: ChatSession, runtime: Runtime, clock: FixedClock) -> None:
    clock.set(datetime(2026, 11, 24, 10, 0, tzinfo=BOGOTA))
    chat.send(BILLING)
    delivered: list[str] = []
    dispatcher = Dispatcher(runtime.factory, {"email": ConsoleChannel(
        lambda message: delivered.append(message.recipient))})
    runner = SchedulerRunner(scheduled_jobs(runtime, dispatcher))

    async def scenario() -> tuple[list[str], int, int]:
        runner.start(paused=True)  # the test drives the jobs; no scheduled run races it
        jobs = sorted(job.id for job in runner.scheduler.get_jobs())
        clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=BOGOTA))
        handled = await runner.run_now("sla_sweep")
        sent = await runner.run_now("outbox_dispatch")
        await runner.stop()
        return jobs, handled, sent

    jobs, handled, sent = asyncio.run(scenario())
    assert jobs == ["outbox_dispatch", "retry_unrouted", "sla_sweep"]
    assert handled == 1
    assert ticket(runtime, 1).priority == "high"
    assert sent >= 2 and set(delivered) == {"ana@example.com", "luis@example.com"}


def test_serve_jobs_keep_their_ids_and_intervals(runtime: Runtime) -> None:
    jobs = scheduled_jobs(runtime, Dispatcher(runtime.factory, {}))
    assert {job.id: job.seconds for job in jobs} == {
        "sla_sweep": 30, "outbox_dispatch": 1, "retry_unrouted": 60}
    assert [job.id for job in jobs if job.again_at_stop] == ["outbox_dispatch"]


def test_the_jobs_section_sets_the_sweep_interval_and_the_retry_cutoff(
        config: AtiendeConfig, clock: FixedClock) -> None:
    """`jobs.sla_sweep_seconds` and `jobs.retry_unrouted_seconds`: the intervals, and how old
    an unrouted message must be before the retry job takes it."""
    from bot.engine.pipeline import store
    from channels.base import InboundMessage

    changed = config.model_copy(update={"jobs": JobsConfig(sla_sweep_seconds=2,
                                                           retry_unrouted_seconds=5)})
    runtime = build_runtime(changed, clock)
    try:
        jobs = scheduled_jobs(runtime, Dispatcher(runtime.factory, {}))
        assert {job.id: job.seconds for job in jobs} == {
            "sla_sweep": 2, "outbox_dispatch": 1, "retry_unrouted": 5}
        runner = SchedulerRunner(jobs)
        clock.advance(timedelta(seconds=1))
        store(runtime.factory, runtime.ctx, InboundMessage(
            channel="console", provider_message_id="stranded-5s", sender="console:eva",
            text=BILLING, received_at=clock.now()))   # stored after the start
        clock.advance(timedelta(seconds=4))
        assert asyncio.run(runner.run_now("retry_unrouted")) == 0   # 4 s old: may be queued
        clock.advance(timedelta(seconds=2))
        assert asyncio.run(runner.run_now("retry_unrouted")) == 1   # 6 s old: stranded
    finally:
        runtime.engine.dispose()


def test_stranded_message_is_routed_by_the_retry_job(runtime: Runtime, clock: FixedClock) -> None:
    from bot.engine.pipeline import store
    from channels.base import InboundMessage

    inbound = InboundMessage(channel="console", provider_message_id="stranded-1",
                             sender="console:eva", text=BILLING, received_at=clock.now())
    store(runtime.factory, runtime.ctx, inbound)  # the process stopped before routing
    runner = SchedulerRunner(scheduled_jobs(runtime, Dispatcher(runtime.factory, {})))
    clock.set(datetime(2026, 11, 24, 10, 5, tzinfo=BOGOTA))
    assert asyncio.run(runner.run_now("retry_unrouted")) == 1
    with runtime.factory() as session:
        assert session.scalars(select(Ticket.number)).all() == [1]
        assert session.scalars(select(OutboxItem).where(OutboxItem.channel == "console")).all()


def test_a_restart_routes_what_the_stopped_process_left_at_once_on_sqlite(
        runtime: Runtime, clock: FixedClock) -> None:
    """On SQLite one process serves the database: a message left unrouted by the process that
    stopped is routed by the retry job's first run, not once it is a minute old. A message
    stored after the start may be in this process's queue, and on PostgreSQL in another
    worker's: those wait the minute."""
    from bot.engine.pipeline import store
    from channels.base import InboundMessage

    def stored(n: int) -> None:
        store(runtime.factory, runtime.ctx, InboundMessage(
            channel="console", provider_message_id=f"stranded-{n}", sender=f"console:eva{n}",
            text=BILLING, received_at=clock.now()))

    stored(1)   # the process stopped before routing it
    clock.advance(timedelta(seconds=5))
    runner = SchedulerRunner(scheduled_jobs(runtime, Dispatcher(runtime.factory, {})))
    clock.advance(timedelta(seconds=1))
    stored(2)   # stored since the start: in a routing queue, for all the job knows
    clock.advance(timedelta(seconds=1))
    sqlite = runtime.engine.dialect.name == "sqlite"
    assert asyncio.run(runner.run_now("retry_unrouted")) == (1 if sqlite else 0)
    clock.advance(timedelta(seconds=60))
    assert asyncio.run(runner.run_now("retry_unrouted")) == (1 if sqlite else 2)


def test_contacts_vip_add_cli(tmp_path, db_url: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    env = {"ATIENDE__DATABASE__URL": db_url, "PATH": "/usr/bin:/bin"}
    done = subprocess.run([str(REPO / ".venv/bin/atiende"), "contacts", "vip", "add",
                           "whatsapp:+573009998877", "--config", str(REPO / "config.yaml")],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "whatsapp:+573009998877 is VIP" in done.stdout
    engine = create_engine(db_url)
    with engine.connect() as connection:
        assert connection.execute(select(Contact.vip)).scalars().all() == [True]
    engine.dispose()


def test_the_retry_job_reads_only_the_messages_not_routed(
        runtime: Runtime, clock: FixedClock) -> None:
    """Every minute the retry job looks for stranded messages: along the partial index of
    unrouted ones, not through the whole table, so 5,000 routed messages cost it nothing."""
    from bot.engine.pipeline import retry_unrouted, store
    from bot.store.db import transaction
    from bot.store.models import Message
    from channels.base import InboundMessage
    from tests.fakes.sql_log import skip_unless_sqlite, sqlite_steps

    skip_unless_sqlite(runtime.engine)

    def retry_steps() -> int:
        with sqlite_steps(runtime.engine) as steps:
            retry_unrouted(runtime.factory, runtime.ctx, clock.now())
        return steps[0]

    store(runtime.factory, runtime.ctx, InboundMessage(
        channel="console", provider_message_id="seed", sender="console:eva", text="hola",
        received_at=clock.now()))
    retry_unrouted(runtime.factory, runtime.ctx, clock.now() + timedelta(minutes=1))
    clock.advance(timedelta(minutes=5))
    few = retry_steps()   # nothing stranded, a small table
    with transaction(runtime.factory) as session:
        session.execute(Message.__table__.insert(), [
            {"direction": "in", "channel": "console", "provider_message_id": f"old-{k}",
             "sender": "console:eva", "text": "hola", "attachments": [], "raw": {},
             "status": "processed", "created_at": clock.now()} for k in range(5000)])
    many = retry_steps()   # nothing stranded among 5,000 routed messages
    # 2 and 1 tens of steps here; with a scan of the whole table, 2 and 3,002
    assert many <= few * 1.5 + 2, (few, many)

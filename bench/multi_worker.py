"""Benchmark: several `atiende serve` workers on one PostgreSQL, then two fault runs; one line.

Throughput with 1, 2 and 4 workers: signed WhatsApp webhooks over many conversations (each
conversation's messages one after the other, spread over the workers round-robin like a load
balancer), timed from the first post until every message is handled and every reply accepted
by the (fake, local) Twilio; the tickets come due before the workers start, so their start-up
sweeps race for them (each must be escalated, and its agent mailed, exactly once). These runs
use the shared server on 127.0.0.1:5432, each in a fresh schema.

Fault runs, 4 workers, same load:
- kill: halfway through, worker 1 gets SIGKILL and is restarted (what it had stored but not
  handled waits for another worker's retry job, 60 s cutoff).
- restart: the workers use a private PostgreSQL cluster (Debian's initdb / pg_ctl run as user
  postgres, fsync off); halfway through it is stopped with `pg_ctl stop -m fast`, kept down
  until every worker's /healthz reports it and at least `--outage` seconds, then started.
  The workers are not restarted.
Each reports lost (acknowledged but not stored), doubled (stored, handled, replies Twilio
accepted, escalations, agent mails), missing, out of order, and the time to recover: the
killed worker healthy again after its restart, every worker's /healthz 200 again after the
database's start, and everything settled after the load ended.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text  # noqa: E402

from tests.channels.conftest import ENV  # noqa: E402
from tests.conftest import PG_SERVER  # noqa: E402
from tests.fakes.clients import ACCOUNT_SID, AUTH_TOKEN  # noqa: E402
from tests.fakes.loopback import LoopbackServer  # noqa: E402
from tests.fakes.twilio_api import FakeTwilio  # noqa: E402
from tests.servers.health_watch import HealthWatch  # noqa: E402
from tests.servers.pg_cluster import PgCluster, missing  # noqa: E402
from tests.servers.serve_workers import WorkerPool, write_config  # noqa: E402
from tests.servers.smtp_sink import SmtpSink  # noqa: E402
from tests.servers.worker_load import (  # noqa: E402
    Findings,
    Load,
    check,
    seed_due_tickets,
    send_load,
    utc_now,
    wait_settled,
)

SETTLE_LOOK = 1.5   # wait_settled's last look for doubles is not work
KEEP_LOGS: list[Path] = []   # --logs DIR: the workers' logs are copied there


@dataclass(frozen=True)
class Size:
    conversations: int
    per_conversation: int
    tickets: int
    concurrency: int

    @property
    def messages(self) -> int:
        return self.conversations * self.per_conversation


@dataclass
class Fault:
    found: Findings = field(default_factory=Findings)
    answers: Counter[int] = field(default_factory=Counter)   # webhook answers while down
    down_s: float = 0.0        # the victim or the database away
    recovered_s: float = 0.0   # back to healthy after its return
    settled_s: float = 0.0     # load ended → everything handled and sent


@contextmanager
def schema() -> Iterator[str]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield f"{PG_SERVER}?options=-csearch_path%3D{name}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@contextmanager
def workers(count: int, db_url: str, twilio: FakeTwilio) -> Iterator[tuple[WorkerPool, SmtpSink]]:
    twilio.reset()
    sink = SmtpSink().start()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = write_config(folder, db_url, twilio.url, sink.port)
        pool = WorkerPool(folder, config, ENV | {"ATIENDE_SECRET_KEY": "bench"}, count)
        pool.upgrade()
        try:
            yield pool, sink
        finally:
            pool.stop_all()
            sink.stop()
            for keep in KEEP_LOGS:
                shutil.copytree(folder, keep / f"{count}-workers-{uuid.uuid4().hex[:6]}")


def throughput(count: int, size: Size, twilio: FakeTwilio) -> tuple[float, Findings]:
    """Messages handled and answered per second (with the due tickets swept meanwhile)."""
    with schema() as db_url, workers(count, db_url, twilio) as (pool, sink):
        due = seed_due_tickets(db_url, size.tickets, utc_now())
        pool.start_all()   # the workers' start-up sweeps race for the due tickets
        started = time.monotonic()
        load = asyncio.run(send_load(pool, size.conversations, size.per_conversation,
                                     size.concurrency))
        wait_settled(db_url, len(load.acked), due, timeout=1800)
        took = time.monotonic() - started - SETTLE_LOOK
        return len(load.acked) / took, check(db_url, load, twilio, sink, due)


def loaded(pool: WorkerPool, db_url: str, size: Size, twilio: FakeTwilio, sink: SmtpSink,
           fault: Fault, at_half: Callable[[Load], None]) -> Fault:
    """The load with `at_half` run halfway; then settle, check and time it."""
    due = seed_due_tickets(db_url, size.tickets, utc_now())
    pool.start_all()
    load = Load()
    asyncio.run(send_load(pool, size.conversations, size.per_conversation, size.concurrency,
                          at_half=lambda: at_half(load), load=load))
    fault.settled_s = wait_settled(db_url, len(load.acked), due, timeout=1800) - SETTLE_LOOK
    fault.found = check(db_url, load, twilio, sink, due)
    return fault


def kill_run(size: Size, twilio: FakeTwilio) -> Fault:
    fault = Fault()
    with schema() as db_url, workers(4, db_url, twilio) as (pool, sink):

        def kill(_load: Load) -> None:
            victim = pool.workers[1]
            pool.kill9(victim)
            killed = time.monotonic()
            pool.start(victim)
            pool.wait_ready(victim)
            fault.recovered_s = time.monotonic() - killed

        return loaded(pool, db_url, size, twilio, sink, fault, kill)


def restart_run(size: Size, outage_s: float, twilio: FakeTwilio) -> Fault:
    fault = Fault()
    cluster = PgCluster()
    try:
        cluster.init()
        with workers(4, cluster.url, twilio) as (pool, sink), \
                HealthWatch(pool.workers) as watch:

            def restart(load: Load) -> None:
                before = Counter(load.statuses)
                cluster.stop("fast")
                watch.wait_all("unreachable", 60)
                time.sleep(max(0.0, cluster.stops[-1] + outage_s - time.monotonic()))
                fault.answers = Counter(load.statuses) - before
                cluster.start()
                fault.down_s = cluster.starts[-1] - cluster.stops[-1]
                back = watch.wait_all("ok", 120)
                fault.recovered_s = -1.0 if back is None else back

            return loaded(pool, cluster.url, size, twilio, sink, fault, restart)
    finally:
        cluster.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--per-conversation", type=int, default=10)
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--outage", type=float, default=5.0,
                        help="seconds PostgreSQL stays stopped (at least)")
    parser.add_argument("--workers", default="1,2,4", help='throughput runs; "" for none')
    parser.add_argument("--faults", default="kill,restart", help='fault runs; "" for none')
    parser.add_argument("--logs", type=Path, help="copy the workers' logs into this folder; "
                        "the findings' examples go to stderr")
    args = parser.parse_args()
    KEEP_LOGS.extend([args.logs] if args.logs else [])
    faults = set(filter(None, args.faults.split(",")))
    if "restart" in faults and (lack := missing()):
        raise SystemExit(f"multi_worker: the restart run needs {lack}")
    size = Size(args.conversations, args.per_conversation, args.tickets, args.concurrency)
    twilio = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    started = time.monotonic()
    with LoopbackServer(twilio.app()) as server:
        twilio.url = server.url
        rates = {n: throughput(n, size, twilio)
                 for n in map(int, filter(None, args.workers.split(",")))}
        killed = kill_run(size, twilio) if "kill" in faults else None
        restarted = restart_run(size, args.outage, twilio) if "restart" in faults else None
    print(line(size, rates, killed, restarted, time.monotonic() - started))
    if args.logs:
        for fault in (killed, restarted):
            if fault is not None:
                print(fault.found.examples, file=sys.stderr)


def findings(found: Findings) -> str:
    return (f"lost {found.lost}, doubled: stored {found.stored_twice} handled "
            f"{found.handled_twice} replies {found.replies_doubled} escalations "
            f"{found.escalations_doubled} agent mails {found.notices_doubled}; missing: "
            f"unhandled {found.unhandled} replies {found.replies_missing} escalations "
            f"{found.escalations_missing} agent mails {found.notices_missing}; out of order "
            f"{found.out_of_order}")


def line(size: Size, rates: dict[int, tuple[float, Findings]], killed: Fault | None,
         restarted: Fault | None, took: float) -> str:
    speeds = ", ".join(f"{n} worker{'s' if n > 1 else ''} {rate:.1f} msg/s"
                       for n, (rate, _) in rates.items())
    dirty = "; ".join(f"{n} workers: {f.line()}" for n, (_, f) in rates.items()
                      if not f.is_clean())
    parts = [f"multi_worker: {speeds} ({size.messages} messages over {size.conversations} "
             f"conversations + {size.tickets} tickets due, PostgreSQL; throughput runs "
             f"{'clean' if not dirty else 'NOT clean: ' + dirty})"]
    if killed is not None:
        parts.append(f"kill -9 run (4 workers): {findings(killed.found)}; killed worker "
                     f"healthy {killed.recovered_s:.1f} s after kill, all settled "
                     f"{killed.settled_s:.1f} s after the load")
    if restarted is not None:
        parts.append(f"PostgreSQL restart run (4 workers, down {restarted.down_s:.1f} s): "
                     f"{findings(restarted.found)}; answers while down "
                     f"{dict(sorted(restarted.answers.items()))}; every worker healthy "
                     f"{restarted.recovered_s:.1f} s after the start, all settled "
                     f"{restarted.settled_s:.1f} s after the load")
    parts.append(f"took {took:.0f} s; load average {os.getloadavg()[0]:.1f}")
    return "; ".join(parts)


if __name__ == "__main__":
    main()

"""Benchmark: several `atiende serve` workers on one PostgreSQL, then a fault run; one line.

Throughput with 1, 2 and 4 workers: signed WhatsApp webhooks over many conversations (each
conversation's messages one after the other, spread over the workers round-robin like a load
balancer), timed from the first post until every message is handled and every reply accepted
by the (fake, local) Twilio; the tickets come due before the workers start, so their start-up
sweeps race for them (each must be escalated, and its agent mailed, exactly once).

The fault run (4 workers): halfway through, PostgreSQL is cut for `--outage` seconds by a
loopback TCP proxy between the workers and the database (the real server keeps running), then
worker 1 gets SIGKILL and is restarted. It reports what was lost (acknowledged but not
stored), doubled (replies Twilio accepted twice, messages handled twice, escalations twice),
the answers during the outage (503s, never a 200 for what was not stored) and the time from
the database's return until every worker answers /healthz 200 again, by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from tests.channels.conftest import ENV  # noqa: E402
from tests.conftest import PG_SERVER  # noqa: E402
from tests.fakes.clients import ACCOUNT_SID, AUTH_TOKEN  # noqa: E402
from tests.fakes.loopback import LoopbackServer  # noqa: E402
from tests.fakes.twilio_api import FakeTwilio  # noqa: E402
from tests.servers.serve_workers import WorkerPool, write_config  # noqa: E402
from tests.servers.smtp_sink import SmtpSink  # noqa: E402
from tests.servers.tcp_proxy import TcpProxy  # noqa: E402
from tests.servers.worker_load import (  # noqa: E402
    Findings,
    Load,
    check,
    seed_due_tickets,
    send_load,
    utc_now,
    wait_settled,
)

PG_PORT = 5432


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
class Outage:
    statuses: dict[int, int]
    recovered_s: float


@contextmanager
def schema() -> Iterator[str]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield name
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def url_for(name: str, port: int = PG_PORT) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/test?options=-csearch_path%3D{name}"


@contextmanager
def cluster(workers: int, twilio: FakeTwilio, worker_db_port: int = PG_PORT
            ) -> Iterator[tuple[WorkerPool, str, SmtpSink]]:
    """`workers` serve processes on a fresh schema; yields (pool, direct db url, mail sink)."""
    twilio.reset()
    sink = SmtpSink().start()
    with schema() as name, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = write_config(folder, url_for(name, worker_db_port), twilio.url, sink.port)
        pool = WorkerPool(folder, config, ENV | {"ATIENDE_SECRET_KEY": "bench"}, workers)
        pool.upgrade()
        try:
            yield pool, url_for(name), sink
        finally:
            pool.stop_all()
            sink.stop()


def throughput(workers: int, size: Size, twilio: FakeTwilio) -> tuple[float, Findings]:
    """Messages handled and answered per second (with the due tickets swept meanwhile)."""
    with cluster(workers, twilio) as (pool, db_url, sink):
        due = seed_due_tickets(db_url, size.tickets, utc_now())
        pool.start_all()   # the workers' start-up sweeps race for the due tickets
        started = time.monotonic()
        load = asyncio.run(send_load(pool, size.conversations, size.per_conversation,
                                     size.concurrency))
        wait_settled(db_url, len(load.acked), due, timeout=1800)
        took = time.monotonic() - started - 1.5   # wait_settled's last look is not work
        return len(load.acked) / took, check(db_url, load, twilio, sink, due)


def cut_database(proxy: TcpProxy, pool: WorkerPool, seconds: float, load: Load) -> Outage:
    """Refuse PostgreSQL for `seconds`; then time until every worker is healthy again."""
    before = dict(load.statuses)
    proxy.set_mode("refuse")
    time.sleep(seconds)
    during = {k: v - before.get(k, 0) for k, v in load.statuses.items() if v != before.get(k)}
    proxy.set_mode("forward")
    restored = time.monotonic()
    while not all(is_healthy(w.url) for w in pool.alive()):
        time.sleep(0.1)
    return Outage(during, time.monotonic() - restored)


def is_healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def fault_run(size: Size, outage_s: float, twilio: FakeTwilio
              ) -> tuple[Findings, Outage, Load]:
    proxy = TcpProxy(PG_PORT)
    outages: list[Outage] = []
    try:
        with cluster(4, twilio, proxy.port) as (pool, db_url, sink):
            due = seed_due_tickets(db_url, size.tickets, utc_now())
            pool.start_all()
            load_box: list[Load] = []

            def faults() -> None:   # the outage first: the restart takes a while
                outages.append(cut_database(proxy, pool, outage_s, load_box[0]))
                victim = pool.workers[1]
                pool.kill9(victim)
                pool.start(victim)
                pool.wait_ready(victim)

            load = Load()
            load_box.append(load)
            asyncio.run(send_load(pool, size.conversations, size.per_conversation,
                                  size.concurrency, at_half=faults, load=load))
            wait_settled(db_url, len(load.acked), due, timeout=1800)
            return check(db_url, load, twilio, sink, due), outages[0], load
    finally:
        proxy.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--per-conversation", type=int, default=10)
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--outage", type=float, default=5.0, help="seconds without PostgreSQL")
    parser.add_argument("--workers", default="1,2,4", help='throughput runs; "" for none')
    parser.add_argument("--no-fault", action="store_true",
                        help="throughput runs only (no fault run)")
    args = parser.parse_args()
    size = Size(args.conversations, args.per_conversation, args.tickets, args.concurrency)
    twilio = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    with LoopbackServer(twilio.app()) as server:
        twilio.url = server.url
        rates = {n: throughput(n, size, twilio)
                 for n in map(int, filter(None, args.workers.split(",")))}
        if args.no_fault:
            print(speeds_line(size, rates))
            return
        found, outage, load = fault_run(size, args.outage, twilio)
    print(line(size, rates, found, outage, load, args.outage))


def speeds_line(size: Size, rates: dict[int, tuple[float, Findings]]) -> str:
    speeds = ", ".join(f"{n} worker{'s' if n > 1 else ''} {rate:.1f} msg/s"
                       for n, (rate, _) in rates.items())
    dirty = "; ".join(f"{n} workers: {f.line()}" for n, (_, f) in rates.items()
                      if not f.is_clean())
    return (f"multi_worker: {speeds} ({size.messages} messages over {size.conversations} "
            f"conversations + {size.tickets} tickets due, PostgreSQL, handled and answered; "
            f"{'clean' if not dirty else 'NOT clean: ' + dirty}); "
            f"load average {os.getloadavg()[0]:.1f}")


def line(size: Size, rates: dict[int, tuple[float, Findings]], found: Findings,
         outage: Outage, load: Load, outage_s: float) -> str:
    speeds = ", ".join(f"{n} worker{'s' if n > 1 else ''} {rate:.1f} msg/s"
                       for n, (rate, _) in rates.items())
    dirty = "; ".join(f"{n} workers: {f.line()}" for n, (_, f) in rates.items()
                      if not f.is_clean())
    doubled = (f"replies {found.replies_doubled}, handled {found.handled_twice}, stored "
               f"{found.stored_twice}, escalations {found.escalations_doubled}, agent mails "
               f"{found.notices_doubled}")
    return (f"multi_worker: {speeds} ({size.messages} messages over {size.conversations} "
            f"conversations + {size.tickets} tickets due, PostgreSQL; throughput runs "
            f"{'clean' if not dirty else 'NOT clean: ' + dirty}"
            f"); fault run (4 workers, kill -9 + {outage_s:.0f} s PostgreSQL outage): "
            f"lost {found.lost}, doubled: {doubled}; missing: replies {found.replies_missing}, "
            f"escalations {found.escalations_missing}, agent mails {found.notices_missing}; "
            f"unhandled {found.unhandled}, out of order {found.out_of_order}, answers during "
            f"the outage {dict(sorted(outage.statuses.items()))}, recovered in "
            f"{outage.recovered_s:.1f} s; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

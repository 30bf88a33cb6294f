"""PostgreSQL really restarted in the middle of a load of signed webhooks, under real
`atiende serve` workers: a private cluster (Debian's initdb / pg_ctl, as user postgres, on a
free port) is stopped with `pg_ctl stop -m fast` once half the messages are acknowledged,
kept down until every worker's /healthz says so and webhooks have been answered 503, then
started again. The workers are never restarted.

One run (module scope) and one test per guarantee: 503 and never a 200 for what was not
stored; /healthz down then up on every worker, by itself; every acknowledged message stored
once, handled once, answered once, and in order per conversation.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.channels.conftest import ENV
from tests.fakes.twilio_api import FakeTwilio
from tests.servers.health_watch import HealthWatch
from tests.servers.pg_cluster import PgCluster, private_cluster
from tests.servers.serve_workers import WorkerPool, write_config
from tests.servers.smtp_sink import SmtpSink
from tests.servers.worker_load import Findings, Load, check, send_load, wait_settled

WORKERS, CONVERSATIONS, PER_CONVERSATION = 2, 12, 6
# What a worker stored but could not route while the database was down is routed by a retry
# job 10 s on (jobs.retry_unrouted_seconds), and a send whose outcome the outage lost is looked
# up 10 s on (outbox.claim_seconds; the fake Twilio answers in milliseconds), not after the
# production minute.
RETRY_SECONDS = CLAIM_SECONDS = 10
DEADLINE = 30.0   # seconds for each observable step of the outage


@dataclass
class Outage:
    answers: Counter[int] = field(default_factory=Counter)   # webhook answers while down
    down_after: float | None = None     # stop → every worker's /healthz says "unreachable"
    up_after: float | None = None       # start → every worker's /healthz says "ok"
    states: dict[int, list[str]] = field(default_factory=dict)


@dataclass
class Run:
    load: Load
    found: Findings
    outage: Outage
    pool: WorkerPool
    settled_s: float


def wait_for(condition: object, timeout: float) -> bool:
    give_up = time.monotonic() + timeout
    while not condition():   # type: ignore[operator]
        if time.monotonic() > give_up:
            return False
        time.sleep(0.05)
    return True


def restart_database(cluster: PgCluster, watch: HealthWatch, load: Load,
                     outage: Outage) -> None:
    """Stop; wait until the workers report it and webhooks were refused; start again."""
    before = Counter(load.statuses)
    cluster.stop("fast")
    outage.down_after = watch.wait_all("unreachable", DEADLINE)
    wait_for(lambda: load.statuses[503] > before[503], DEADLINE)
    outage.answers = Counter(load.statuses) - before
    cluster.start()
    outage.up_after = watch.wait_all("ok", DEADLINE)


@pytest.fixture(scope="module")
def restart_run(tmp_path_factory: pytest.TempPathFactory,
                twilio_server: FakeTwilio) -> Iterator[Run]:
    twilio_server.reset()
    sink = SmtpSink().start()
    folder = tmp_path_factory.mktemp("restart")
    with private_cluster() as cluster:
        pool = WorkerPool(folder, write_config(folder, cluster.url, twilio_server.url,
                                               sink.port, retry_seconds=RETRY_SECONDS,
                                               claim_seconds=CLAIM_SECONDS),
                          ENV | {"ATIENDE_SECRET_KEY": "pg-restart"}, WORKERS)
        pool.upgrade()
        try:
            pool.start_all()
            yield run_with_restart(cluster, pool, twilio_server, sink)
        finally:
            pool.stop_all()
            sink.stop()


def run_with_restart(cluster: PgCluster, pool: WorkerPool, twilio: FakeTwilio,
                     sink: SmtpSink) -> Run:
    load, outage = Load(), Outage()
    with HealthWatch(pool.workers) as watch:
        asyncio.run(send_load(pool, CONVERSATIONS, PER_CONVERSATION,
                              concurrency=CONVERSATIONS, load=load,
                              at_half=lambda: restart_database(cluster, watch, load, outage)))
        outage.states = {i: list(s) for i, s in watch.states.items()}
    started = time.monotonic()
    wait_settled(cluster.url, len(load.acked), [], timeout=180)
    settled = time.monotonic() - started
    print(f"outage: answers {dict(outage.answers)}, down after {outage.down_after}, "
          f"up after {outage.up_after}, settled in {settled:.1f} s, states {outage.states}")
    found = check(cluster.url, load, twilio, sink, [])
    print(f"findings: {found.line()} {found.examples}")
    return Run(load, found, outage, pool, settled)


def test_webhooks_answer_503_while_the_database_is_down_and_every_message_gets_a_200(
        restart_run: Run) -> None:
    outage, load = restart_run.outage, restart_run.load
    assert outage.answers[503] > 0, outage.answers
    assert set(outage.answers) <= {200, 503}, outage.answers   # no 500, no hang
    assert len(load.acked) == CONVERSATIONS * PER_CONVERSATION


def test_no_200_for_what_was_not_stored(restart_run: Run) -> None:
    found = restart_run.found
    assert (found.lost, found.stored_twice) == (0, 0), found.examples


def test_every_worker_reports_the_database_down_then_up_without_a_restart(
        restart_run: Run) -> None:
    outage, pool = restart_run.outage, restart_run.pool
    assert outage.down_after is not None and outage.up_after is not None, outage.states
    for states in outage.states.values():
        assert states[0] == "ok" and states[-1] == "ok", states
        assert "unreachable" in states and "no answer" not in states, states
    assert [w.starts for w in pool.workers] == [1] * WORKERS and len(pool.alive()) == WORKERS


def test_every_acknowledged_message_is_handled_once_and_answered_once(
        restart_run: Run) -> None:
    found = restart_run.found
    assert (found.unhandled, found.handled_twice) == (0, 0), found.examples
    assert (found.replies_missing, found.replies_doubled) == (0, 0), found.examples


def test_each_conversation_is_handled_and_answered_in_order(restart_run: Run) -> None:
    found = restart_run.found
    assert found.out_of_order == 0, found.examples

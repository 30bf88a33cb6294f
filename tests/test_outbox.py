"""The outbox dispatcher: deliver due rows, retry transient errors with backoff, give up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import Runtime
from bot.engine.outbox import (
    BASE_BACKOFF,
    JITTER,
    MAX_ATTEMPTS,
    MAX_BACKOFF,
    Dispatcher,
    backoff,
    enqueue,
    enqueue_row,
    still_queued,
    with_jitter,
)
from bot.store.db import transaction
from bot.store.models import OutboxItem
from bot.store.persist import deferred_rows, write_rows
from channels.base import DeliveryError, DeliveryReceipt, OutboundMessage
from scheduler.clock import FixedClock
from tests.fakes.sql_log import executed


class FlakyChannel:
    """Our own Channel protocol, in process: fails `failures` times, then delivers."""

    def __init__(self, name: str = "flaky", failures: int = 0, transient: bool = True,
                 retry_after: float | None = None) -> None:
        self.name = name
        self.failures = failures
        self.transient = transient
        self.retry_after = retry_after
        self.calls = 0
        self.delivered: list[OutboundMessage] = []

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        self.calls += 1
        if self.calls <= self.failures:
            raise DeliveryError("503 provider busy", transient=self.transient,
                                retry_after=self.retry_after)
        self.delivered.append(message)
        return DeliveryReceipt(provider_message_id=f"{self.name}-{len(self.delivered)}")


class CrashingChannel:
    """An adapter with a bug: it raises something other than DeliveryError."""

    name = "crashing"

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        raise RuntimeError("bug in adapter")


def put(runtime: Runtime, text: str = "Hola Ana", channel: str = "flaky",
        buttons: tuple[str, ...] = ()) -> int:
    with transaction(runtime.factory) as session:
        item = enqueue(session, channel=channel, recipient=f"{channel}:ana", text=text,
                       now=runtime.clock.now(), buttons=buttons)
        return item.id


def row(runtime: Runtime, item_id: int) -> OutboxItem:
    with runtime.factory() as session:
        found = session.get(OutboxItem, item_id)
        assert found is not None
        session.expunge(found)
        return found


def dispatch(runtime: Runtime, at: datetime, *channels: object) -> int:
    dispatcher = Dispatcher(runtime.factory, {c.name: c for c in channels},  # type: ignore[attr-defined]
                            jitter=lambda: 0.0)  # exact retry times; jitter has its own test
    return asyncio.run(dispatcher.deliver_due(at))


def test_a_due_row_is_delivered_once(runtime: Runtime, clock: FixedClock) -> None:
    channel = FlakyChannel()
    item_id = put(runtime, "¿Te ayudó?", buttons=("Sí", "No"))
    assert dispatch(runtime, clock.now(), channel) == 1
    assert [(m.recipient, m.text, m.buttons) for m in channel.delivered] == [
        ("flaky:ana", "¿Te ayudó?", ("Sí", "No"))]
    sent = row(runtime, item_id)
    assert (sent.status, sent.attempts, sent.provider_message_id) == ("sent", 1, "flaky-1")
    assert sent.sent_at == clock.now()
    assert dispatch(runtime, clock.now() + timedelta(hours=1), channel) == 0
    assert len(channel.delivered) == 1


def test_a_row_queued_for_later_waits(runtime: Runtime, clock: FixedClock) -> None:
    channel = FlakyChannel()
    put(runtime)
    assert dispatch(runtime, clock.now() - timedelta(seconds=1), channel) == 0
    assert channel.calls == 0


def test_one_dispatcher_reads_each_wake_at_its_own_time(runtime: Runtime,
                                                       clock: FixedClock) -> None:
    """The due statements are built once per dispatcher; `now` is a parameter of each run."""
    channel = FlakyChannel()
    dispatcher = Dispatcher(runtime.factory, {channel.name: channel}, jitter=lambda: 0.0)
    put(runtime, "uno")
    assert asyncio.run(dispatcher.deliver_due(clock.now() - timedelta(seconds=1))) == 0
    assert dispatcher.due(first_only=True) is dispatcher.due(first_only=True)
    assert asyncio.run(dispatcher.deliver_due(clock.now())) == 1
    put(runtime, "dos")
    assert asyncio.run(dispatcher.deliver_due(clock.now() + timedelta(minutes=1), limit=5)) == 1
    assert [m.text for m in channel.delivered] == ["uno", "dos"]


def test_transient_failures_back_off_then_deliver(runtime: Runtime, clock: FixedClock) -> None:
    channel = FlakyChannel(failures=2)
    item_id = put(runtime)
    start = clock.now()

    assert dispatch(runtime, start, channel) == 0
    first = row(runtime, item_id)
    assert (first.status, first.attempts, first.last_error) == ("pending", 1, "503 provider busy")
    assert first.next_attempt_at == start + BASE_BACKOFF

    assert dispatch(runtime, first.next_attempt_at - timedelta(seconds=1), channel) == 0
    assert channel.calls == 1

    assert dispatch(runtime, first.next_attempt_at, channel) == 0
    second = row(runtime, item_id)
    assert (second.status, second.attempts) == ("pending", 2)
    assert second.next_attempt_at == first.next_attempt_at + 2 * BASE_BACKOFF

    assert dispatch(runtime, second.next_attempt_at, channel) == 1
    done = row(runtime, item_id)
    assert (done.status, done.attempts, done.last_error) == ("sent", 3, None)
    assert done.sent_at == second.next_attempt_at
    assert [m.text for m in channel.delivered] == ["Hola Ana"]


def test_retry_after_from_the_provider_is_respected(runtime: Runtime, clock: FixedClock) -> None:
    channel = FlakyChannel(failures=1, retry_after=600)
    item_id = put(runtime)
    dispatch(runtime, clock.now(), channel)
    assert row(runtime, item_id).next_attempt_at == clock.now() + timedelta(seconds=600)


def test_a_permanent_error_fails_the_row_for_good(runtime: Runtime, clock: FixedClock) -> None:
    channel = FlakyChannel(failures=1, transient=False)
    item_id = put(runtime)
    assert dispatch(runtime, clock.now(), channel) == 0
    failed = row(runtime, item_id)
    assert (failed.status, failed.attempts, failed.last_error) == (
        "failed", 1, "503 provider busy")
    assert dispatch(runtime, clock.now() + timedelta(days=1), channel) == 0
    assert channel.calls == 1


def test_transient_errors_give_up_after_max_attempts(runtime: Runtime, clock: FixedClock) -> None:
    channel = FlakyChannel(failures=1000)
    item_id = put(runtime)
    at = clock.now()
    for _ in range(MAX_ATTEMPTS):
        dispatch(runtime, at, channel)
        at = row(runtime, item_id).next_attempt_at
    failed = row(runtime, item_id)
    assert (failed.status, failed.attempts) == ("failed", MAX_ATTEMPTS)
    dispatch(runtime, at + timedelta(days=1), channel)
    assert channel.calls == MAX_ATTEMPTS


def test_rows_for_unregistered_channels_stay_pending(runtime: Runtime, clock: FixedClock) -> None:
    whatsapp = FlakyChannel(name="whatsapp")
    item_id = put(runtime, channel="whatsapp")
    assert dispatch(runtime, clock.now(), FlakyChannel()) == 0
    waiting = row(runtime, item_id)
    assert (waiting.status, waiting.attempts) == ("pending", 0)
    assert dispatch(runtime, clock.now(), whatsapp) == 1
    assert row(runtime, item_id).status == "sent"


def test_rows_are_delivered_in_the_order_they_were_queued(
        runtime: Runtime, clock: FixedClock) -> None:
    channel = FlakyChannel()
    for text in ("uno", "dos", "tres"):
        put(runtime, text)
    assert dispatch(runtime, clock.now(), channel) == 3
    assert [m.text for m in channel.delivered] == ["uno", "dos", "tres"]


def test_a_crashing_adapter_does_not_resend_the_rest_of_the_batch(
        runtime: Runtime, clock: FixedClock) -> None:
    good = FlakyChannel()
    first = put(runtime, "Hola Ana")
    broken = put(runtime, "Hola Luis", channel="crashing")
    for minutes in (0, 5):
        with contextlib.suppress(RuntimeError):
            dispatch(runtime, clock.now() + timedelta(minutes=minutes), good, CrashingChannel())
    assert [m.text for m in good.delivered] == ["Hola Ana"]
    assert row(runtime, first).status == "sent"
    assert row(runtime, broken).attempts >= 1


def test_backoff_doubles_from_thirty_seconds() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [
        timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120),
        timedelta(seconds=240)]


def test_backoff_never_shrinks_and_is_capped_at_an_hour() -> None:
    delays = [backoff(n) for n in range(1, MAX_ATTEMPTS + 10)]
    assert delays == sorted(delays)
    assert max(delays) == MAX_BACKOFF == timedelta(hours=1)
    assert backoff(12) == MAX_BACKOFF


def test_backoff_stays_capped_for_any_attempt_count() -> None:
    assert backoff(100) == MAX_BACKOFF


def test_backoff_waits_at_least_what_the_provider_asked() -> None:
    assert backoff(1, retry_after=90) == timedelta(seconds=90)
    assert backoff(3, retry_after=5) == timedelta(seconds=120)
    assert backoff(20, retry_after=7200) == timedelta(hours=2)


class SlowChannel:
    """Takes a moment per send and records how many sends overlap and in which order."""

    name = "slow"

    def __init__(self) -> None:
        self.in_flight = 0
        self.most_in_flight = 0
        self.order: list[tuple[str, str]] = []

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.01)  # a provider round trip; not a deadline wait
        self.order.append((message.recipient, message.text))
        self.in_flight -= 1
        return DeliveryReceipt(provider_message_id=f"slow-{len(self.order)}")


def test_recipients_are_served_at_once_each_in_order(runtime: Runtime, clock: FixedClock) -> None:
    with transaction(runtime.factory) as session:
        for n in range(4):
            for who in ("ana", "luis", "sofia"):
                enqueue(session, channel="slow", recipient=f"slow:{who}", text=f"{who} {n}",
                        now=clock.now())
    channel = SlowChannel()
    assert dispatch(runtime, clock.now(), channel) == 12
    assert channel.most_in_flight == 3
    for who in ("ana", "luis", "sofia"):
        assert [text for recipient, text in channel.order if recipient == f"slow:{who}"] == [
            f"{who} {n}" for n in range(4)]


def test_jitter_only_lengthens_the_wait_by_at_most_a_fifth() -> None:
    assert with_jitter(timedelta(seconds=100), 0.0) == timedelta(seconds=100)
    assert with_jitter(timedelta(seconds=100), 0.5) == timedelta(seconds=110)
    assert with_jitter(timedelta(seconds=100), 0.999999) <= timedelta(seconds=100 * (1 + JITTER))


def test_rows_that_fail_together_retry_at_different_times(runtime: Runtime,
                                                          clock: FixedClock) -> None:
    ids = [put(runtime, f"aviso {n}") for n in range(5)]
    draws = iter([0.0, 0.25, 0.5, 0.75, 0.99])
    dispatcher = Dispatcher(runtime.factory, {"flaky": FlakyChannel(failures=99)},
                            jitter=lambda: next(draws))
    asyncio.run(dispatcher.deliver_due(clock.now()))
    waits = [row(runtime, item_id).next_attempt_at - clock.now() for item_id in ids]
    assert sorted(waits) == [BASE_BACKOFF * (1 + JITTER * d) for d in (0.0, 0.25, 0.5, 0.75, 0.99)]


class CallbackDuringBatch:
    """Row 1 is accepted; while row 2 is being sent, the provider's callback for row 1 says it
    failed after all (like WhatsApp's 63016) and puts it back in the queue."""

    name = "flaky"

    def __init__(self, runtime: Runtime, first_id: int) -> None:
        self.runtime = runtime
        self.first_id = first_id
        self.sends = 0

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        self.sends += 1
        if self.sends == 2:
            with transaction(self.runtime.factory) as session:
                first = session.get(OutboxItem, self.first_id, with_for_update=True)
                assert first is not None
                first.status, first.last_error = "pending", "63016: outside the window"
        return DeliveryReceipt(provider_message_id=f"SM{self.sends}")


def test_a_status_callback_during_the_batch_is_not_overwritten(runtime: Runtime,
                                                               clock: FixedClock) -> None:
    first = put(runtime, "primero")
    put(runtime, "segundo")
    dispatcher = Dispatcher(runtime.factory, {"flaky": CallbackDuringBatch(runtime, first)},
                            jitter=lambda: 0.0)
    assert asyncio.run(dispatcher.deliver_due(clock.now())) == 2
    kept = row(runtime, first)
    assert (kept.status, kept.last_error) == ("pending", "63016: outside the window")


class AcceptedThenTimedOut:
    """The provider took the message and its status callback recorded it (SID and all), but our
    HTTP call timed out: the attempt is a transient failure."""

    name = "flaky"

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        with transaction(self.runtime.factory) as session:   # as the status callback does
            row = session.get(OutboxItem, message.outbox_id, with_for_update=True)
            assert row is not None
            row.status, row.provider_message_id = "delivered", "SM-taken"
        raise DeliveryError("read timeout", transient=True)


def test_a_transient_failure_keeps_what_a_status_callback_recorded(runtime: Runtime,
                                                                   clock: FixedClock) -> None:
    item_id = put(runtime, "una sola vez")
    dispatcher = Dispatcher(runtime.factory, {"flaky": AcceptedThenTimedOut(runtime)},
                            jitter=lambda: 0.0)
    assert asyncio.run(dispatcher.deliver_due(clock.now())) == 0
    kept = row(runtime, item_id)
    assert (kept.status, kept.provider_message_id) == ("delivered", "SM-taken")
    assert (kept.attempts, kept.last_error) == (1, "read timeout")


def sqlite_plan(runtime: Runtime, run: Callable[[Session], object]) -> list[str]:
    """SQLite's plan for the last statement `run` executes."""
    with executed(runtime.engine) as sent, runtime.factory() as session:
        run(session)
    statement, parameters = sent[-1]
    with runtime.engine.connect() as connection:
        return [row[-1] for row in connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {statement}", parameters)]


def test_a_claim_reads_due_rows_and_each_recipients_open_rows_only(runtime: Runtime) -> None:
    """Due rows are found by (status, channel, next_attempt_at), and whether their recipient
    has a send under way or an earlier row due by (recipient, channel, status,
    next_attempt_at): neither walks the sent history (with 20,000 sent rows a claim cost 92 ms
    of CPU, and a check whether anything is due 3.4 ms, when one did)."""
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("the plan checked is SQLite's")
    dispatcher = Dispatcher(runtime.factory, {"flaky": FlakyChannel()})
    params = {"now": runtime.clock.now(), "limit": 5}
    claim = sqlite_plan(runtime, lambda session: session.scalars(
        dispatcher.due(first_only=True), params).all())
    anything = sqlite_plan(runtime, lambda session: session.execute(
        dispatcher.due_ids(), params).first())
    for plan in (claim, anything):
        assert plan[0].startswith("SEARCH outbox USING INDEX ix_outbox_channel_due")
    lookups = [step for step in claim if step.startswith(("SEARCH busy", "SEARCH earlier"))]
    assert len(lookups) == 2 and all("ix_outbox_line" in step for step in lookups)


def test_a_routing_batchs_rows_keep_their_queued_order_around_a_row_wanted_at_once(
        runtime: Runtime, clock: FixedClock) -> None:
    """Inside a routing batch `enqueue_row` rows wait for the batch's end; a row whose id is
    wanted at once (an agent's relayed answer) writes the ones queued before it first, so a
    customer's rows go out in the order they were queued in; a reply already written is no
    longer `still_queued` (a turn then starts a new mail instead of adding to it)."""
    now = clock.now()
    with transaction(runtime.factory) as session, deferred_rows(session):
        first = enqueue_row(session, channel="flaky", recipient="ana", text="1", now=now,
                            kind="reply")
        assert still_queued(session, first)
        enqueue(session, channel="flaky", recipient="ana", text="2", now=now, flush=False)
        assert not still_queued(session, first)
        third = enqueue_row(session, channel="flaky", recipient="ana", text="3", now=now,
                            kind="reply")
        write_rows(session)
        assert not still_queued(session, third)
    with runtime.factory() as session:
        texts = [item.payload["text"] for item in session.scalars(
            select(OutboxItem).order_by(OutboxItem.id))]
    assert texts == ["1", "2", "3"]


def test_a_row_queued_outside_a_routing_batch_can_wait_for_quiet_hours(
        runtime: Runtime, clock: FixedClock) -> None:
    later = clock.now() + timedelta(hours=9)
    with transaction(runtime.factory) as session:
        enqueue_row(session, channel="flaky", recipient="ana", text="buenos días",
                    now=clock.now(), kind="status_notice", send_at=later)
    with runtime.factory() as session:
        item = session.scalars(select(OutboxItem)).one()
    assert (item.status, item.next_attempt_at) == ("pending", later)

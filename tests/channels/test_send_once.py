"""One outbox part reaches the provider once per process: overlapping passes, lost commits."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import update

from bot.config.root import AtiendeConfig
from bot.engine.outbox import Dispatcher, enqueue
from bot.store.db import transaction
from bot.store.models import OutboxItem
from channels.send_once import SendOnce
from scheduler.clock import FixedClock
from tests.channels.conftest import Live
from tests.fakes.clients import CUSTOMER
from tests.fakes.monotonic import FakeTime
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

TEMPLATE = "HX" + "d" * 32


def test_a_key_is_sent_once_and_a_failure_is_not_remembered() -> None:
    calls: list[str] = []

    async def ok() -> str:
        calls.append("ok")
        await asyncio.sleep(0)
        return "SM1"

    async def boom() -> str:
        calls.append("boom")
        raise RuntimeError("provider down")

    async def main() -> list[str]:
        once = SendOnce()
        first = await asyncio.gather(once.run("a", ok), once.run("a", ok))
        with pytest.raises(RuntimeError):
            await once.run("b", boom)
        with pytest.raises(RuntimeError):
            await once.run("b", boom)
        return [*first, await once.run("a", ok), await once.run(None, ok)]

    assert asyncio.run(main()) == ["SM1", "SM1", "SM1", "SM1"]
    assert calls == ["ok", "boom", "boom", "ok"]


def test_a_cancelled_pass_does_not_cancel_the_call_already_made() -> None:
    """APScheduler cancels a running outbox pass at shutdown: the request still completes."""
    calls = 0
    release = None

    async def call() -> str:
        nonlocal calls
        calls += 1
        await release.wait()  # type: ignore[union-attr]
        return "SM1"

    async def main() -> str:
        nonlocal release
        release = asyncio.Event()
        once = SendOnce()
        first = asyncio.ensure_future(once.run("a", call))
        await asyncio.sleep(0)
        first.cancel()
        release.set()
        return await once.run("a", call)   # the flush after the cancelled pass

    assert asyncio.run(main()) == "SM1"
    assert calls == 1


def test_remembered_sends_are_forgotten_after_a_while() -> None:
    fake = FakeTime()
    once = SendOnce(monotonic=fake.monotonic)
    count = 0

    async def call() -> int:
        nonlocal count
        count += 1
        return count

    assert asyncio.run(once.run("k", call)) == 1
    fake.now += 16 * 60
    assert asyncio.run(once.run("k", call)) == 2


def overlapping_passes(live: Live) -> None:
    """Two outbox passes at once (e.g. the scheduler's and the flush at shutdown)."""
    channels = {p.name: p.channel for p in (live.whatsapp, live.telegram)}
    passes = [Dispatcher(live.runtime.factory, channels) for _ in range(2)]  # type: ignore[arg-type]
    now = live.runtime.clock.now()

    async def both() -> list[int]:
        return list(await asyncio.gather(*(d.deliver_due(now) for d in passes)))

    live.server.run(both())


def test_overlapping_passes_send_a_whatsapp_reply_once(live: Live,
                                                       twilio_api: FakeTwilio) -> None:
    live.whatsapp_in("¿Cuál es el horario de atención?")
    live.drain()
    overlapping_passes(live)
    assert len(twilio_api.messages) == 1
    assert [row.status for row in live.outbox("whatsapp")] == ["sent"]


def test_overlapping_passes_send_a_telegram_reply_once(live: Live, clock: FixedClock,
                                                       telegram_api: FakeTelegram) -> None:
    with transaction(live.runtime.factory) as session:
        enqueue(session, channel="telegram", recipient="telegram:4242", text="Hola",
                now=clock.now())
    overlapping_passes(live)
    assert len(telegram_api.sent()) == 1


def test_a_retry_after_a_lost_commit_does_not_send_again(live: Live,
                                                         twilio_api: FakeTwilio) -> None:
    live.whatsapp_in("¿Cuál es el horario de atención?")
    live.dispatch()
    [row] = live.outbox("whatsapp")
    with transaction(live.runtime.factory) as session:   # as if the commit had been lost
        session.execute(update(OutboxItem).values(status="pending", provider_message_id=None))
    live.dispatch()
    [again] = live.outbox("whatsapp")
    assert (again.status, again.provider_message_id) == ("sent", row.provider_message_id)
    assert len(twilio_api.messages) == 1


class TestResendAsTemplate:
    @pytest.fixture
    def config(self, config: AtiendeConfig) -> AtiendeConfig:
        data = config.model_dump(by_alias=True)
        data["channels"]["whatsapp"]["templates"] = {"agent_reply": {"content_sid": TEMPLATE}}
        return AtiendeConfig.model_validate({**data, "source": config.source})

    def test_63016_still_sends_the_row_again_as_a_template(
            self, live: Live, twilio_api: FakeTwilio) -> None:
        with transaction(live.runtime.factory) as session:
            enqueue(session, channel="whatsapp", recipient=CUSTOMER, text="Hola",
                    now=live.runtime.clock.now())
        live.whatsapp_in("Hola")
        live.dispatch()
        first = next(r for r in live.outbox("whatsapp") if r.payload["text"] == "Hola")
        live.whatsapp_status(first.provider_message_id, "failed", error_code="63016")
        live.dispatch()
        templated = [m for m in twilio_api.messages if m.one("ContentSid") == TEMPLATE]
        assert len(templated) == 1
        assert json.loads(templated[0].one("ContentVariables") or "")["2"] == "Hola"

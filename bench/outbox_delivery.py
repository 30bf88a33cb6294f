"""Benchmark: outbox rows delivered per second to the local fake Twilio API, one line.

Queues WhatsApp replies for customers who wrote a minute ago (the 24 h window is open), then
runs `Dispatcher.deliver_due` until none is left. The fake Twilio (tests/fakes) runs in its own
process, so the figure is our side: claim, window check, Twilio client, bookkeeping.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "bench-token"
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def serve_fake(port: int) -> None:
    import uvicorn

    from tests.fakes.twilio_api import FakeTwilio

    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, url=f"http://127.0.0.1:{port}")
    uvicorn.run(fake.app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_fake(port: int) -> subprocess.Popen[bytes]:
    from tests.servers.ports import wait_for_http

    proc = subprocess.Popen([sys.executable, __file__, "--fake-twilio", str(port)])
    return wait_for_http(proc, f"http://127.0.0.1:{port}/_fake/stats", "fake Twilio")


def fill(factory: object, config: object, count: int, customers: int) -> None:
    """`customers` who wrote a minute ago (stored as the webhook stores them), `count` replies."""
    from bot.engine.inbox import accept_inbound
    from bot.engine.outbox import enqueue
    from bot.store.db import transaction
    from channels.base import InboundMessage

    for n in range(customers):
        with factory() as session:  # type: ignore[operator]
            accept_inbound(session, config, InboundMessage(  # type: ignore[arg-type]
                channel="whatsapp", provider_message_id=f"SM{n}", text="Hola",
                sender=f"whatsapp:+57300{n:07d}", received_at=NOW - timedelta(minutes=1)))
    with transaction(factory) as session:  # type: ignore[arg-type]
        for n in range(count):
            enqueue(session, channel="whatsapp", recipient=f"whatsapp:+57300{n % customers:07d}",
                    text=f"Respuesta {n}: tu ticket sigue en revisión.", now=NOW)


async def deliver_all(dispatcher: object, count: int) -> int:
    sent = 0
    while sent < count:
        done = await dispatcher.deliver_due(NOW, limit=500)  # type: ignore[attr-defined]
        if done == 0:
            break
        sent += done
    channel = dispatcher.channels["whatsapp"]  # type: ignore[attr-defined]
    await channel.close()
    return sent


def run(count: int, customers: int, folder: Path) -> tuple[float, int, int]:
    from bot.app import build_runtime
    from bot.config.root import AtiendeConfig
    from bot.engine.outbox import Dispatcher
    from bot.engine.sink import EngineSink
    from channels.whatsapp.config import WhatsAppConfig
    from channels.whatsapp.sender import Credentials, WhatsAppChannel
    from scheduler.clock import FixedClock
    from tests.servers.ports import free_port
    port = free_port()
    proc = start_fake(port)
    try:
        runtime = build_runtime(AtiendeConfig.model_validate({
            "database": {"url": f"sqlite:///{folder / 'outbox.db'}"},
            "kb": {"path": str(REPO / "kb" / "articles")}}), FixedClock(NOW))
        factory = runtime.factory
        fill(factory, AtiendeConfig(), count, customers)
        # our side's cost, not Twilio's 80 messages/s per sender: the send rate is lifted
        whatsapp = WhatsAppConfig(api_base_url=f"http://127.0.0.1:{port}",
                                  messages_per_second=1_000_000)
        channel = WhatsAppChannel(whatsapp,
                                  Credentials(ACCOUNT_SID, AUTH_TOKEN), "http://127.0.0.1:8000",
                                  EngineSink(factory, runtime.ctx), lambda: NOW, "Atiende")
        began = time.perf_counter()
        sent = asyncio.run(deliver_all(Dispatcher(factory, {"whatsapp": channel}), count))
        elapsed = time.perf_counter() - began
        received = httpx.get(f"http://127.0.0.1:{port}/_fake/stats", timeout=10).json()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return sent / elapsed, sent, received["messages"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--fake-twilio", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fake_twilio:
        serve_fake(args.fake_twilio)
        return
    with tempfile.TemporaryDirectory() as tmp:
        rate, sent, received = run(args.messages, args.customers, Path(tmp))
    verdict = "PASS" if rate >= 500 and sent == received == args.messages else "FAIL"
    print(f"outbox_delivery: {rate:.0f} msg/s delivered to the local fake Twilio "
          f"({sent} sent, {received} received, SQLite, {args.customers} customers) "
          f"(target >= 500 msg/s) {verdict}")


if __name__ == "__main__":
    main()

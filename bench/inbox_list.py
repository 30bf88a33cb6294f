"""Benchmark: the agents' inbox over HTTP, one line.

The list page (/agent/) with 10,000 open tickets and a conversation of 500 messages, on SQLite
and PostgreSQL (127.0.0.1:5432, skipped when absent), each GET timed from a signed-in client;
then replies typed in the inbox until they reach the local fake Twilio (its own process), with
`serve`'s scheduler and outbox dispatcher running. Targets: list and conversation p95 <= 150 ms;
reply to provider p95 <= 1 s.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PASSWORD = "bench password 123"
ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "bench-token"


def seed(factory: Any, tickets: int, thread: int) -> int:
    """`tickets` open tickets (one customer message each) and one with `thread` messages."""
    from sqlalchemy import insert

    from bot.store.models import Contact, ContactIdentity, Conversation, Message, Ticket

    with factory() as session, session.begin():
        session.execute(insert(Contact), [{"id": n, "name": f"Cliente {n}", "vip": n % 50 == 0,
                                           "created_at": NOW} for n in range(1, tickets + 1)])
        session.execute(insert(ContactIdentity), [
            {"contact_id": n, "channel": "whatsapp", "address": f"whatsapp:+57300{n:07d}"}
            for n in range(1, tickets + 1)])
        session.execute(insert(Conversation), [
            {"id": n, "contact_id": n, "channel": "whatsapp", "address": f"whatsapp:+57300{n:07d}",
             "state": "idle", "context": {}, "last_inbound_at": NOW - timedelta(minutes=n % 600),
             "created_at": NOW, "updated_at": NOW} for n in range(1, tickets + 1)])
        session.execute(insert(Ticket), [ticket_row(n) for n in range(1, tickets + 1)])
        session.execute(insert(Message), [message_row(n, n, n) for n in range(1, tickets + 1)])
        session.execute(insert(Message), [message_row(tickets + k, 1, 1)
                                          for k in range(1, thread)])
    return 1


def ticket_row(n: int) -> dict[str, Any]:
    due = NOW + timedelta(minutes=(n % 900) - 300)
    return {"id": n, "number": n, "contact_id": n, "conversation_id": n, "channel": "whatsapp",
            "subject": f"Problema {n} con la factura", "description": "", "status": "open",
            "priority": ("low", "medium", "high", "critical")[n % 4], "category": "billing",
            "vip": n % 50 == 0, "language": "es", "first_response_due_at": due,
            "next_deadline_at": due, "created_at": NOW - timedelta(days=n % 40),
            "updated_at": NOW}


def message_row(message_id: int, ticket_id: int, contact_id: int) -> dict[str, Any]:
    return {"id": message_id, "direction": "in", "channel": "whatsapp",
            "provider_message_id": f"SM{message_id}", "contact_id": contact_id,
            "conversation_id": ticket_id, "ticket_id": ticket_id,
            "sender": f"whatsapp:+57300{contact_id:07d}", "text": f"Mensaje {message_id}: "
            "la factura sigue sin llegar y necesito el soporte hoy", "attachments": [], "raw": {},
            "status": "processed", "created_at": NOW - timedelta(seconds=message_id)}


def signed_in(url: str, runtime: Any) -> httpx.Client:
    from bot.store.db import transaction
    from bot.web.agent.accounts import invite

    with transaction(runtime.factory) as session:
        token = invite(session, runtime.config, "ana@example.com", runtime.clock.now())
    client = httpx.Client(base_url=url, timeout=30)
    page = client.get(f"/agent/invite/{token}")
    csrf = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    client.post(f"/agent/invite/{token}", data={"csrf": csrf, "password": PASSWORD,
                                                "confirm": PASSWORD})
    return client


CPU_MS: dict[str, float] = {}   # path → this process's CPU ms per request (client included)


def timed(client: httpx.Client, path: str, count: int) -> list[float]:
    client.get(path)  # warm-up: templates compiled, caches filled
    times = []
    cpu = time.process_time()
    for _ in range(count):
        began = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.status_code
    CPU_MS[path] = (time.process_time() - cpu) / count * 1000
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def runtime_for(url: str, whatsapp_url: str | None = None) -> Any:
    from bot.app import build_runtime
    from bot.config.root import load_config
    from scheduler.clock import FixedClock, SystemClock

    data = load_config(REPO / "config.yaml", environ={}).model_dump(by_alias=True)
    data["database"]["url"] = url
    data["channels"]["email"] = data["channels"]["telegram"] = None
    if whatsapp_url:
        data["channels"]["whatsapp"]["api_base_url"] = whatsapp_url
    from bot.config.root import AtiendeConfig

    config = AtiendeConfig.model_validate({**data, "base_dir": str(REPO)})
    return build_runtime(config, SystemClock() if whatsapp_url else FixedClock(NOW))


def pages(url: str, tickets: int, thread: int,
          count: int) -> tuple[float, float, float, float]:
    from bot.web.app import create_web_app
    from tests.fakes.loopback import LoopbackServer

    runtime = runtime_for(url)
    number = seed(runtime.factory, tickets, thread)
    try:
        with LoopbackServer(create_web_app(runtime)) as server:
            client = signed_in(server.url, runtime)
            shown = client.get("/agent/").text.count('class="row ')
            base_times = timed(client, "/healthz", count)   # same moment, same machine load
            list_times = timed(client, "/agent/", count)
            thread_times = timed(client, f"/agent/tickets/{number}", count)
            assert shown == 100, shown
    finally:
        runtime.engine.dispose()
    return (p95(list_times), statistics.median(list_times), p95(thread_times),
            statistics.median(base_times))


def fake_count(port: int) -> int:
    return httpx.get(f"http://127.0.0.1:{port}/_fake/stats", timeout=10).json()["messages"]


def wait_for_count(port: int, wanted: int, limit: float = 10.0) -> None:
    ends = time.perf_counter() + limit
    while fake_count(port) < wanted:
        if time.perf_counter() > ends:
            raise SystemExit(f"the fake Twilio never got message {wanted}")
        time.sleep(0.005)


def replies(folder: Path, count: int) -> list[float]:
    """Seconds from the reply's POST to its arrival at the fake Twilio (other process)."""
    from bench.outbox_delivery import start_fake
    from bot.channel_context import build_channel_context
    from bot.serve import make_lifespan
    from bot.web.app import create_web_app
    from channels.whatsapp.plugin import build_plugin as build_whatsapp
    from tests.fakes.clients import twilio_params, twilio_post
    from tests.fakes.loopback import LoopbackServer
    from tests.servers.ports import free_port

    port = free_port()
    proc = start_fake(port)
    runtime = runtime_for(f"sqlite:///{folder / 'reply.db'}", f"http://127.0.0.1:{port}")
    plugin = build_whatsapp(runtime.config.channels.whatsapp, build_channel_context(
        runtime, {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}))
    app = create_web_app(runtime, plugin.routes, make_lifespan(runtime, [plugin]))
    times = []
    try:
        with LoopbackServer(app) as server:
            twilio_post(server.url, runtime.config.http.public_url, "/webhooks/whatsapp",
                        twilio_params("Quiero hablar con un agente, la factura llegó doble"),
                        token=AUTH_TOKEN)
            server.run(runtime.ctx.work.drain())
            wait_for_count(port, 1)
            client = signed_in(server.url, runtime)
            csrf = CSRF.search(client.get("/agent/tickets/1").text).group(1)  # type: ignore[union-attr]
            for n in range(count):
                before = fake_count(port)
                began = time.perf_counter()
                client.post("/agent/tickets/1/reply", data={"csrf": csrf, "text": f"Respuesta {n}"})
                wait_for_count(port, before + 1)
                times.append(time.perf_counter() - began)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        runtime.engine.dispose()
    return times


def postgres_url() -> str | None:
    import uuid

    from sqlalchemy import create_engine, text

    try:
        admin = create_engine(PG)
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
    except Exception:
        return None
    return f"{PG}?options=-csearch_path%3D{schema}"


def drop_schema(url: str) -> None:
    from sqlalchemy import create_engine, text

    schema = url.rsplit("%3D", 1)[1]
    admin = create_engine(PG)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--thread", type=int, default=500)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--replies", type=int, default=30)
    args = parser.parse_args()
    figures, ok = [], True
    with tempfile.TemporaryDirectory() as tmp:
        databases = [("sqlite", f"sqlite:///{Path(tmp) / 'inbox.db'}"), ("postgresql",
                                                                         postgres_url())]
        for name, url in databases:
            if url is None:
                figures.append(f"{name}: not available")
                continue
            try:
                list_p95, list_p50, thread_p95, base = pages(url, args.tickets, args.thread,
                                                             args.requests)
            finally:
                if name == "postgresql":
                    drop_schema(url)
            ok &= list_p95 <= 150 and thread_p95 <= 150
            figures.append(f"{name}: list p50 {list_p50:.0f} ms p95 {list_p95:.0f} ms, "
                           f"{args.thread}-message conversation p95 {thread_p95:.0f} ms "
                           f"(/healthz p50 {base:.0f} ms; CPU per request "
                           f"{CPU_MS['/agent/']:.0f} / {CPU_MS['/agent/tickets/1']:.0f} ms)")
        reply_times = replies(Path(tmp), args.replies)
    reply_p95 = p95(reply_times)
    ok &= reply_p95 <= 1.0
    print(f"inbox_list: {args.tickets} open tickets · " + " · ".join(figures)
          + f" · reply to fake Twilio p50 {statistics.median(reply_times) * 1000:.0f} ms "
          f"p95 {reply_p95 * 1000:.0f} ms (n={args.replies}) (targets: pages p95 <= 150 ms, "
          f"reply p95 <= 1 s; load average {os.getloadavg()[0]:.1f}) "
          f"{'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()

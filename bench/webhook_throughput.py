"""Benchmark: signed WhatsApp webhooks through the full path vs a hand-written durable peer, one
line.

The full path is `atiende`'s app with the WhatsApp plugin on SQLite and one uvicorn worker:
verify the signature, store, then (in the background) KB match, ticket, outbox rows. A message
is acknowledged when its webhook is answered, handled when it is stored *and* routed. The peer
is what a hand-written durable endpoint costs on the same stack (uvicorn, Starlette, SQLite in
WAL mode, synchronous=NORMAL like Atiende's): verify Twilio's signature, one INSERT, commit, per
request. The bare route (parse the form, answer empty TwiML) is printed for reference. Each
server runs in its own process; the load comes from this one over keep-alive connections.
Targets (issue 18): acknowledged >= 0.7x the peer, handled >= 0.35x the peer.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from urllib.parse import parse_qsl, urlencode

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PATH = "/webhooks/whatsapp"
ENV = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "bench-token"}
QUESTIONS = ["¿Cuál es el horario de atención?", "How do I export my data?",
             "Nos debitaron dos veces la mensualidad, necesitamos la devolución",
             "The app crashes every time I save a work order, error 500"]
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def message_texts(count: int, varied: bool, first: int = 0) -> list[str]:
    """The webhooks' texts: QUESTIONS taking turns (the issue's protocol), or with `varied`
    every text different, as in real traffic, where the triage and KB memos rarely hit: the
    desk's example first messages and the sample KB's phrasings taking turns, each with its
    own order number."""
    numbers = range(first, first + count)
    if not varied:
        return [QUESTIONS[n % len(QUESTIONS)] for n in numbers]
    from kb.loader import load_kb

    described = yaml.safe_load((REPO / "bot/engine/triage/categories.yaml").read_text("utf-8"))
    pool = [item["text"] for category in described.values() for item in category["examples"]]
    pool += [q for article in load_kb(REPO / "kb/articles") for q in article.questions]
    return [f"{pool[n % len(pool)]} (pedido {n})" for n in numbers]


def write_config(folder: Path, port: int) -> Path:
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data["database"]["url"] = f"sqlite:///{folder / 'bench.db'}"
    data["kb"]["path"] = str(REPO / "kb" / "articles")
    data["http"].update(port=port, public_url=f"http://127.0.0.1:{port}")
    data["channels"] = {"whatsapp": {"api_base_url": "http://127.0.0.1:9"}}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def serve(kind: str, config_path: str, port: int) -> None:
    """Child process: the full app or the bare route, one uvicorn worker."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    if kind == "bare":
        async def bare(request: Request) -> Response:
            parse_qsl((await request.body()).decode(), keep_blank_values=True)
            return Response(TWIML, media_type="text/xml")
        app = Starlette(routes=[Route(PATH, bare, methods=["POST"])])
    elif kind == "peer":
        app = durable_peer(config_path, port)
    else:
        from bot.app import build_runtime, warm_up
        from bot.channel_context import build_channel_context
        from bot.config.root import load_config
        from bot.serve import settle_heap
        from bot.web.app import create_web_app
        from channels.whatsapp.plugin import build_plugin

        runtime = build_runtime(load_config(config_path))
        warm_up(runtime)   # as `atiende serve` does: the triager is fitted before the first message
        plugin = build_plugin(runtime.config.channels.whatsapp, build_channel_context(runtime, ENV))
        app = create_web_app(runtime, plugin.routes)
        settle_heap()      # as `atiende serve` does: the start-up heap is frozen
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def durable_peer(config_path: str, port: int) -> object:
    """Verify the signature, INSERT the message, commit; 403 for a bad signature."""
    import sqlite3

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(ENV["TWILIO_AUTH_TOKEN"])
    url = f"http://127.0.0.1:{port}{PATH}"
    db = sqlite3.connect(Path(config_path).parent / "peer.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, sid TEXT UNIQUE, "
               "sender TEXT, body TEXT, status TEXT)")

    async def peer(request: Request) -> Response:
        params = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        if not validator.validate(url, params, request.headers.get("x-twilio-signature", "")):
            return Response("bad signature", status_code=403)
        db.execute("BEGIN")
        db.execute("INSERT OR IGNORE INTO messages (sid, sender, body, status) "
                   "VALUES (?, ?, ?, 'received')",
                   (params["MessageSid"], params["From"], params["Body"]))
        db.execute("COMMIT")
        return Response(TWIML, media_type="text/xml")

    return Starlette(routes=[Route(PATH, peer, methods=["POST"])])


def start(kind: str, config_path: Path, port: int) -> subprocess.Popen[bytes]:
    from tests.servers.ports import wait_for_http

    proc = subprocess.Popen([sys.executable, __file__, "--serve", kind, str(config_path),
                             str(port)], env={**os.environ, **ENV})
    return wait_for_http(proc, f"http://127.0.0.1:{port}/", f"{kind} server")


def signed_requests(port: int, count: int, numbers: int,
                    varied: bool = False) -> list[tuple[dict[str, str], str]]:
    """`count` signed webhooks from `numbers` senders, taking turns (10 each for 3,000 from
    300: a sender's first message opens a ticket, the later ones find it)."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(ENV["TWILIO_AUTH_TOKEN"])
    url = f"http://127.0.0.1:{port}{PATH}"
    batch = []
    texts = message_texts(count, varied)
    for n in range(count):
        sid = f"SM{n:032x}"
        sender = n % numbers
        params = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": ENV["TWILIO_ACCOUNT_SID"],
                  "From": f"whatsapp:+57300{sender:07d}", "To": "whatsapp:+14155238886",
                  "Body": texts[n], "NumMedia": "0", "ProfileName": "Ana",
                  "WaId": f"57300{sender:07d}", "ButtonPayload": ""}
        batch.append((params, validator.compute_signature(url, params)))
    return batch


def raw_request(port: int, params: dict[str, str], signature: str) -> bytes:
    """One keep-alive HTTP/1.1 POST, encoded once up front so the client costs ~nothing."""
    body = urlencode(params).encode()
    head = (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nX-Twilio-Signature: {signature}\r\n\r\n")
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    await reader.readexactly(length)
    return status


async def fire(port: int, batch: list[tuple[dict[str, str], str]], concurrency: int) -> int:
    """POST every request over `concurrency` keep-alive connections; returns the failures."""
    requests = [raw_request(port, params, signature) for params, signature in batch]
    requests.reverse()
    failures = 0

    async def worker() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while requests:
            writer.write(requests.pop())
            failures += await read_response(reader) != 200
        writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return failures


def wait_until_routed(db_path: Path, expected: int, limit_s: float = 600) -> None:
    """Poll the routed count every 50 ms on one connection, outside any transaction (the poll
    shares the machine with the server; it should cost it as little as it can)."""
    import sqlite3

    deadline = time.monotonic() + limit_s
    connection = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    try:
        while time.monotonic() < deadline and connection.execute(
                "SELECT count(*) FROM messages WHERE direction = 'in' "
                "AND status = 'processed'").fetchone()[0] < expected:
            time.sleep(0.05)
    finally:
        connection.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(kind: str, folder: Path, count: int, concurrency: int,
            numbers: int, varied: bool = False) -> tuple[float, float, int, float]:
    """(acknowledged/s, handled/s, failures, server CPU ms per message): handled = stored and
    routed for the full app."""
    from tests.servers.ports import free_port
    port = free_port()
    config = write_config(folder, port)
    proc = start(kind, config, port)
    try:
        batch = signed_requests(port, count, numbers, varied)
        cpu = cpu_seconds(proc.pid)
        began = time.perf_counter()
        failures = asyncio.run(fire(port, batch, concurrency))
        acked = time.perf_counter() - began
        if kind == "full":
            wait_until_routed(folder / "bench.db", count - failures)
        handled = time.perf_counter() - began
        cpu = cpu_seconds(proc.pid) - cpu
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return count / acked, count / handled, failures, cpu * 1000 / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--numbers", type=int, default=300,
                        help="senders, taking turns (issue 18: 3,000 webhooks from 300 numbers)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--varied", action="store_true",
                        help="every message a different text (default: 4 texts taking turns)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds of (bare, peer, full); the ratios are medians of each "
                             "round's full ÷ that round's peer (the machine drifts)")
    parser.add_argument("--serve", nargs=3, metavar=("KIND", "CONFIG", "PORT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], args.serve[1], int(args.serve[2]))
        return
    rounds = [one_round(args) for _ in range(args.rounds)]
    failed = sum(r.failed + r.peer_failed for r in rounds)
    ack_ratio = median(r.acked / r.peer for r in rounds)
    handled_ratio = median(r.handled / r.peer for r in rounds)
    verdict = ("PASS" if ack_ratio >= 0.7 and handled_ratio >= 0.35 and not failed
               else "FAIL")
    print(f"webhook_throughput: {args.rounds} rounds, medians [ranges]: acknowledged "
          f"{spread([r.acked for r in rounds], '.0f')} msg/s "
          f"({spread([r.acked / r.peer for r in rounds], '.2f')}x peer), handled "
          f"(stored+routed) {spread([r.handled for r in rounds], '.0f')} msg/s "
          f"({spread([r.handled / r.peer for r in rounds], '.2f')}x peer); durable peer "
          f"{spread([r.peer for r in rounds], '.0f')} msg/s, bare route "
          f"{spread([r.bare for r in rounds], '.0f')} msg/s (SQLite, 1 worker, "
          f"{args.messages} signed webhooks from {args.numbers} numbers, "
          f"{args.concurrency} connections, {'varied' if args.varied else '4'} texts, "
          f"{failed} failed; server CPU per message: "
          f"{spread([r.cpu for r in rounds], '.2f')} ms handled, peer "
          f"{spread([r.peer_cpu for r in rounds], '.2f')} ms; load average "
          f"{os.getloadavg()[0]:.1f}) (targets acknowledged >= 0.7x, handled >= 0.35x the peer, "
          f"each round's own peer) {verdict}")


@dataclass(frozen=True)
class Round:
    bare: float
    peer: float
    peer_failed: int
    peer_cpu: float
    acked: float
    handled: float
    failed: int
    cpu: float


def one_round(args: argparse.Namespace) -> Round:
    """The bare route, the peer and the full app, one after the other (the same minute)."""
    with tempfile.TemporaryDirectory() as tmp:
        _, bare, _, _ = measure("bare", Path(tmp), args.messages, args.concurrency,
                                args.numbers)
        _, peer, peer_failed, peer_cpu = measure("peer", Path(tmp), args.messages,
                                                 args.concurrency, args.numbers)
        acked, handled, failed, cpu = measure("full", Path(tmp), args.messages,
                                              args.concurrency, args.numbers, args.varied)
    return Round(bare, peer, peer_failed, peer_cpu, acked, handled, failed, cpu)


def spread(values: list[float], form: str) -> str:
    """The median, then the range when there is more than one value: "0.71 [0.65–0.74]"."""
    middle = format(median(values), form)
    if len(values) == 1:
        return middle
    return f"{middle} [{format(min(values), form)}–{format(max(values), form)}]"


if __name__ == "__main__":
    main()

"""Benchmark: time from a WhatsApp webhook to its reply accepted by Twilio, under a burst and
under a steady load, against a real `atiende serve` (SQLite, one process), one line.

A local fake Twilio (tests/fakes/twilio_api.py, in this process) notes when each Messages
create arrives; the reply is matched to its webhook through the outbox row named in its
StatusCallback URL (`?outbox=<id>` -> the row's in_reply_to -> the webhook's MessageSid).

- burst: `--burst` signed webhooks from `--numbers` senders over `--connections` keep-alive
  connections, as fast as they are answered. Routing time = first webhook sent until every
  message is routed (status `processed`); answered time = until every message has its reply.
- steady: `--rate` webhooks a second for `--seconds` (new senders, same connections).

Lost = a webhook not acknowledged 200, or with no reply; doubled = an outbox row's text
accepted twice. Targets (issue 18): steady p50 <= 300 ms and p95 <= 1 s; burst answered
within 2x its routing time; 0 lost, 0 doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.serve_rss import serve_env, wait_listening  # noqa: E402
from bench.webhook_throughput import message_texts, raw_request, read_response  # noqa: E402

ATIENDE = REPO / ".venv" / "bin" / "atiende"
ENV = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "bench-token"}
PATH = "/webhooks/whatsapp"
SEND_RATE = [200.0]   # WhatsApp sends per second allowed to `serve` (set from --send-rate)
JOIN_REPLIES = [True]   # outbox.join_replies for `serve` (--no-join: one send per reply)
OUTBOX: dict[str, int] = {}   # other outbox settings for `serve` (--batch-size)


def timed_twilio() -> Any:
    """The fake Twilio, noting the monotonic time each request arrived."""
    from tests.fakes.twilio_api import FakeTwilio, Recorded

    class TimedTwilio(FakeTwilio):
        async def record(self, request: Any, outcome: str) -> Recorded:
            recorded = await super().record(request, outcome)
            recorded.headers["x-bench-at"] = repr(time.monotonic())
            return recorded

    return TimedTwilio(ENV["TWILIO_ACCOUNT_SID"], ENV["TWILIO_AUTH_TOKEN"])


def write_config(folder: Path, port: int, twilio_url: str) -> Path:
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data["database"]["url"] = f"sqlite:///{folder / 'burst.db'}"
    data["kb"]["path"] = str(REPO / "kb" / "articles")
    data["http"].update(port=port, public_url=f"http://127.0.0.1:{port}")
    # The send rate is the sender's (Twilio's default is 80/s; a steady 100 msg/s needs a
    # sender with a higher throughput): `--send-rate`, default 200/s.
    data["channels"] = {"whatsapp": {"api_base_url": twilio_url,
                                     "messages_per_second": SEND_RATE[0]}}
    data.setdefault("outbox", {}).update(join_replies=JOIN_REPLIES[0], **OUTBOX)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder / "burst.db"


def signed(port: int, first: int, count: int, numbers: int,
           prefix: str, varied: bool = False) -> list[tuple[str, bytes]]:
    """(MessageSid, raw request) for webhooks first..first+count, from `numbers` senders."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(ENV["TWILIO_AUTH_TOKEN"])
    url = f"http://127.0.0.1:{port}{PATH}"
    out = []
    texts = message_texts(count, varied, first)
    for n in range(first, first + count):
        sid, number = f"SM{n:032x}", f"{prefix}{n % numbers:07d}"
        params = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": ENV["TWILIO_ACCOUNT_SID"],
                  "From": f"whatsapp:+{number}", "To": "whatsapp:+14155238886",
                  "Body": texts[n - first], "NumMedia": "0",
                  "ProfileName": "Ana", "WaId": number, "ButtonPayload": ""}
        out.append((sid, raw_request(port, params, validator.compute_signature(url, params))))
    return out


async def send(port: int, requests: list[tuple[str, bytes]], connections: int,
               rate: float | None, sent: dict[str, float]) -> int:
    """POST them over keep-alive connections (paced at `rate`/s if given); the failures."""
    queue = list(enumerate(requests))
    queue.reverse()
    failures = 0
    began = time.monotonic()

    async def worker() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while queue:
            index, (sid, raw) = queue.pop()
            if rate is not None:
                await asyncio.sleep(max(0.0, began + index / rate - time.monotonic()))
            sent[sid] = time.monotonic()
            writer.write(raw)
            failures += await read_response(reader) != 200
        writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return failures


def count_routed(db: Path, sids: list[str]) -> int:
    connection = sqlite3.connect(db, timeout=30, isolation_level=None)
    try:
        return connection.execute(
            "SELECT count(*) FROM messages WHERE direction = 'in' AND status = 'processed' "
            f"AND provider_message_id IN ({','.join('?' * len(sids))})", sids).fetchone()[0]
    finally:
        connection.close()


def reply_of(db: Path) -> dict[int, list[str]]:
    """outbox id sent -> the MessageSids of the webhooks it answers (its own, and those of
    the replies joined into it: `payload.joined_into`)."""
    connection = sqlite3.connect(db, timeout=30, isolation_level=None)
    try:
        owners: dict[int, list[str]] = {}
        for row_id, sid in connection.execute(
                "SELECT coalesce(json_extract(o.payload, '$.joined_into'), o.id), "
                "m.provider_message_id FROM outbox o JOIN messages m ON m.id = o.in_reply_to"):
            owners.setdefault(row_id, []).append(sid)
        return owners
    finally:
        connection.close()


def stages(db: Path, sids: list[str]) -> tuple[float, float]:
    """Medians (ms) over these webhooks' first replies: stored -> routed (the reply row
    written) and routed -> its send began (the outbox row's sent_at)."""
    from datetime import datetime

    connection = sqlite3.connect(db, timeout=30, isolation_level=None)
    try:
        rows = connection.execute(
            "SELECT m.created_at, min(o.created_at), min(o.sent_at) FROM outbox o "
            "JOIN messages m ON m.id = o.in_reply_to WHERE o.sent_at IS NOT NULL "
            f"AND m.provider_message_id IN ({','.join('?' * len(sids))}) GROUP BY m.id",
            sids).fetchall()
    finally:
        connection.close()
    parsed = [[datetime.fromisoformat(value) for value in row] for row in rows]
    routing = [(routed - stored).total_seconds() for stored, routed, _ in parsed]
    delivery = [(sent - routed).total_seconds() for _, routed, sent in parsed]
    return percentile(routing, 0.5) * 1000, percentile(delivery, 0.5) * 1000


def accepted(twilio: Any) -> list[tuple[int, str, float]]:
    """(outbox id, body, time) of each create the fake Twilio accepted."""
    out = []
    for recorded in twilio.messages:
        query = parse_qs(urlparse(recorded.one("StatusCallback") or "").query)
        if "outbox" in query:
            out.append((int(query["outbox"][0]), recorded.one("Body") or "",
                        float(recorded.headers["x-bench-at"])))
    return out


def answered_at(db: Path, twilio: Any) -> tuple[dict[str, float], int]:
    """MessageSid -> when its first reply was accepted; and how many replies came twice."""
    owner = reply_of(db)
    first: dict[str, float] = {}
    seen = accepted(twilio)
    for outbox_id, _, at in seen:
        for sid in owner.get(outbox_id, []):
            first[sid] = min(at, first.get(sid, at))
    doubled = sum(n - 1 for n in Counter((o, body) for o, body, _ in seen).values())
    return first, doubled


def wait_for(check: Any, limit_s: float) -> float:
    """Poll every 100 ms until check() holds; the monotonic time it did (or gave up)."""
    deadline = time.monotonic() + limit_s
    while not check() and time.monotonic() < deadline:
        time.sleep(0.1)
    return time.monotonic()


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_phase(port: int, db: Path, twilio: Any, batch: list[tuple[str, bytes]],
              connections: int, rate: float | None, limit_s: float,
              pid: int) -> dict[str, float]:
    """Send one phase and wait until it is answered; CPU is the server's, from the first
    webhook until the last reply was accepted (storing, routing and delivery)."""
    sids = [sid for sid, _ in batch]
    sent: dict[str, float] = {}
    cpu_began = cpu_seconds(pid)
    sends_before = len(twilio.messages)
    began = time.monotonic()
    failures = asyncio.run(send(port, batch, connections, rate, sent))
    acked = time.monotonic()
    routed = wait_for(lambda: count_routed(db, sids) >= len(sids) - failures, limit_s)
    answered = wait_for(lambda: len(set(answered_at(db, twilio)[0]) & set(sids))
                        >= len(sids) - failures, limit_s)
    cpu = cpu_seconds(pid) - cpu_began
    first, doubled = answered_at(db, twilio)
    delays = [first[sid] - sent[sid] for sid in sids if sid in first]
    return {"acked_s": acked - began, "sent_rate": len(sids) / (acked - began),
            "sends": len(twilio.messages) - sends_before,
            "routed_s": routed - began,
            "answered_s": answered - began, "lost": len(sids) - len(delays),
            "doubled": doubled, "p50": percentile(delays, 0.5) * 1000,
            "p95": percentile(delays, 0.95) * 1000, "failed": failures,
            "cpu_ms": cpu * 1000 / max(len(delays), 1),
            "stages": stages(db, sids)}


def measure(args: argparse.Namespace) -> tuple[dict[str, float], dict[str, float]]:
    from tests.fakes.loopback import LoopbackServer
    from tests.servers.ports import free_port

    twilio = timed_twilio()
    server = LoopbackServer(twilio.app()).start()
    twilio.url = server.url
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        db = write_config(Path(tmp), port, twilio.url)
        proc = subprocess.Popen([str(ATIENDE), "serve"], cwd=tmp, env=serve_env(ENV), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            wait_listening(proc)
            burst = run_phase(port, db, twilio, signed(port, 0, args.burst, args.numbers, "57301",
                                     args.varied),
                              args.connections, None, args.limit, proc.pid)
            steady_count = int(args.rate * args.seconds)
            steady = run_phase(port, db, twilio,
                               signed(port, 10_000_000, steady_count, args.numbers, "57302",
                                      args.varied),
                               args.connections, args.rate, args.limit, proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
    server.stop()
    return burst, steady


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", type=int, default=3000)
    parser.add_argument("--numbers", type=int, default=300)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--limit", type=float, default=600.0, help="give up after (s)")
    parser.add_argument("--quick", action="store_true", help="300 burst, 50/s for 10 s")
    parser.add_argument("--varied", action="store_true",
                        help="every message a different text (default: 4 texts taking turns)")
    parser.add_argument("--send-rate", type=float, default=SEND_RATE[0],
                        help="channels.whatsapp.messages_per_second for serve")
    parser.add_argument("--no-join", action="store_true",
                        help="outbox.join_replies false: one send per reply (before/after)")
    parser.add_argument("--batch-size", type=int, help="outbox.batch_size for serve")
    args = parser.parse_args()
    SEND_RATE[0] = args.send_rate
    if args.batch_size:
        OUTBOX["batch_size"] = args.batch_size
    JOIN_REPLIES[0] = not args.no_join
    if args.quick:
        args.burst, args.numbers, args.rate, args.seconds = 300, 60, 50.0, 10.0
    burst, steady = measure(args)
    ratio = burst["answered_s"] / burst["routed_s"]
    ok = (steady["p50"] <= 300 and steady["p95"] <= 1000 and ratio <= 2
          and burst["lost"] + burst["doubled"] + steady["lost"] + steady["doubled"] == 0)
    label = "burst_latency (replies not joined)" if args.no_join else "burst_latency"
    print(f"{label}: burst {args.burst} webhooks/{args.numbers} numbers/"
          f"{args.connections} conns/{'varied' if args.varied else '4'} texts: acknowledged "
          f"in {burst['acked_s']:.1f} s, routed in "
          f"{burst['routed_s']:.1f} s, answered in {burst['answered_s']:.1f} s "
          f"({ratio:.2f}x routing) in {burst['sends']:.0f} sends, "
          f"reply p50 {burst['p50']:.0f} ms p95 {burst['p95']:.0f} ms, "
          f"lost {burst['lost']} doubled {burst['doubled']}, serve CPU "
          f"{burst['cpu_ms']:.1f} ms/message; steady {args.rate:.0f}/s for "
          f"{args.seconds:.0f} s (sent at {steady['sent_rate']:.0f}/s: a webhook waits for the "
          f"previous one's answer on its connection): reply p50 {steady['p50']:.0f} ms "
          f"p95 {steady['p95']:.0f} ms, "
          f"(stored->routed p50 {steady['stages'][0]:.0f} ms, routed->sending p50 "
          f"{steady['stages'][1]:.0f} ms), "
          f"lost {steady['lost']} doubled {steady['doubled']}, serve CPU "
          f"{steady['cpu_ms']:.1f} ms/message (targets steady p50 <= 300 ms, "
          f"p95 <= 1000 ms, burst answered <= 2x routing, 0 lost, 0 doubled) "
          f"{'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()

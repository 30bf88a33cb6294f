"""Benchmark: the live-chat widget and the help center, one line.

1. `atiende serve` (a real process, SQLite, the repository's KB, only the web channel) and 200
   concurrent widget visitors, each with its event stream open, sending 5 KB questions one
   after another (plus one retry of its first message with the same id): time from the POST to
   the bot's answer arriving on the stream (p50/p95, target p95 ≤ 300 ms). By default all 200
   write their first message at the same moment and pause exactly 0.2 s after each answer:
   waves of 200 messages at once, a stress test. `--spread --think 3` paces them as people
   write (see `--help`). Then the database
   must hold exactly 1,000 visitor messages (none lost, none doubled). The visitors share one
   aiohttp session (aiohttp comes with twilio): about 0.7 ms of CPU per message here, where
   httpx's client took 11 ms and so measured itself more than the server.
2. The help center over 5,000 synthetic articles (bench/kb_latency.py's generator) in a
   server process: p95 of the home page, an article page and a search (target ≤ 100 ms). The
   search there uses the word signal only: encoding 5,000 articles for the meaning signal
   takes minutes (see bench/kb_latency.py for the matcher's own latency with it).
3. widget.js gzipped (target ≤ 15 KB).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
QUESTIONS = ["¿Cuál es el horario de soporte?", "¿Cómo exporto mis datos?",
             "How do I reopen a resolved ticket?", "¿Qué significa cada estado de un ticket?",
             "What are the first response times?"]
VISITORS = 200
HELP_ARTICLES = 5000
HELP_REQUESTS = 200
THINK_SECONDS = 0.2   # --think: the pause between an answer and the next message
SPREAD = False        # --spread: pauses drawn around --think, not all equal (see pause())
PROFILE = ""          # --profile: a py-spy speedscope file of serve during the widget part


def write_config(folder: Path, port: int, kb: Path) -> Path:
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data["database"]["url"] = f"sqlite:///{folder / 'bench.db'}"
    data["kb"]["path"] = str(kb)
    data["http"].update(port=port, public_url=f"http://127.0.0.1:{port}")
    data["channels"] = {"web": {"messages_per_minute": 1000,
                                "requests_per_minute_per_ip": 1_000_000}}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def start_serve(config: Path, port: int) -> subprocess.Popen[bytes]:
    from tests.servers.ports import wait_for_http

    proc = subprocess.Popen([str(Path(sys.executable).parent / "atiende"), "serve", "--config",
                             str(config)], cwd=REPO, stdout=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(REPO)})   # this checkout's code
    return wait_for_http(proc, f"http://127.0.0.1:{port}/healthz", "atiende serve", 3000)


def serve_help(config: str, port: int) -> None:
    """Child process: the web app over a big KB indexed by words only (see the docstring)."""
    import uvicorn

    import bot.app
    import bot.web.help.center
    from bot.config.root import load_config
    from bot.web.app import create_web_app
    from kb.knowledge import index_articles

    bot.app.index_articles = lambda articles, cache: index_articles(articles, cache, False)
    bot.web.help.center.SEARCHES_PER_MINUTE = 10**9   # one client makes every request
    app = create_web_app(bot.app.build_runtime(load_config(config)))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def visitor(session, base: str, latencies: list[tuple[int, float]],  # type: ignore[no-untyped-def]
                  problems: list[str]) -> None:  # type: ignore[no-untyped-def]
    async with session.post(f"{base}/widget/api/session", json={}) as answer:
        token = (await answer.json())["token"]
    headers = {"X-Atiende-Visitor": token}
    async with session.get(f"{base}/widget/api/events", headers=headers) as stream:
        events: asyncio.Queue[tuple[str, dict]] = asyncio.Queue()  # type: ignore[type-arg]
        reader = asyncio.create_task(read_events(stream.content, events))
        await events.get()                                          # the (empty) history
        if SPREAD:
            await asyncio.sleep(random.uniform(0, 2 * THINK_SECONDS))  # typing the first one
        try:
            for number, question in enumerate(QUESTIONS):
                await ask(session, base, headers, question, number, events, latencies,
                          problems)
                await asyncio.sleep(pause())   # reading the answer, typing the next one
        finally:
            reader.cancel()


async def ask(session, base: str, headers: dict[str, str], question: str, number: int,  # type: ignore[no-untyped-def]
              events: asyncio.Queue, latencies: list[tuple[int, float]],  # type: ignore[type-arg]
              problems: list[str]) -> None:
    """Send one message (the first one twice: it must count once) and wait for the answer."""
    while not events.empty():          # replies to the previous message: not this answer
        events.get_nowait()
    ident = uuid.uuid4().hex
    started = time.perf_counter()
    status, text = await post(session, f"{base}/widget/api/messages", headers,
                              {"id": ident, "text": question})
    if number == 0:
        await post(session, f"{base}/widget/api/messages", headers,
                   {"id": ident, "text": question})
    if status != 202:
        problems.append(f"send {status} {text[:80]}")
        return
    kind, data = await events.get()
    while kind != "message" or data["direction"] != "out":
        kind, data = await events.get()
    latencies.append((number, time.perf_counter() - started))


async def post(session, url: str, headers: dict[str, str], body: dict) -> tuple[int, str]:  # type: ignore[no-untyped-def, type-arg]
    """As the widget does: a dropped connection (a keep-alive closed by the server as the
    request left) is retried with the same body, so the same message id."""
    import aiohttp

    for attempt in range(3):
        try:
            async with session.post(url, headers=headers, json=body) as answer:
                return answer.status, await answer.text()
        except (aiohttp.ClientError, OSError):
            if attempt == 2:
                raise
            await asyncio.sleep(0.2)
    raise AssertionError("unreachable")


async def read_events(content, events: asyncio.Queue) -> None:  # type: ignore[no-untyped-def, type-arg]
    kind, data = "message", ""
    async for raw in content:
        line = raw.decode().rstrip("\r\n")
        if line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif not line and data:
            await events.put((kind, json.loads(data)))
            kind, data = "message", ""
    raise RuntimeError("the event stream ended")


async def roundtrips(base: str) -> tuple[list[tuple[int, float]], list[str]]:
    """The visitors share one aiohttp session: its client costs a fraction of httpx's per
    request, so the figures measure the server rather than this load generator."""
    import aiohttp

    latencies: list[tuple[int, float]] = []
    problems: list[str] = []
    connector = aiohttp.TCPConnector(limit=2 * VISITORS + 50)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(visitor(session, base, latencies, problems)
                               for _ in range(VISITORS)))
    return latencies, problems


def stored_counts(db: Path) -> tuple[int, int]:
    connection = sqlite3.connect(db, timeout=30)
    try:
        total, distinct = connection.execute(
            "SELECT count(*), count(DISTINCT provider_message_id) FROM messages "
            "WHERE channel = 'web' AND direction = 'in'").fetchone()
    finally:
        connection.close()
    return total, distinct


def stage_p95(db: Path) -> str:
    """Where the time goes, from the rows: stored → reply queued (routing) → sent (dispatch)."""
    connection = sqlite3.connect(db, timeout=30)
    try:
        rows = connection.execute(
            "SELECT (julianday(o.created_at) - julianday(m.created_at)) * 86400000, "
            "(julianday(o.sent_at) - julianday(o.created_at)) * 86400000 FROM outbox o "
            "JOIN messages m ON m.id = o.in_reply_to WHERE o.channel = 'web' "
            "AND o.sent_at IS NOT NULL").fetchall()
    finally:
        connection.close()
    if not rows:
        return "no stage times"
    route = sorted(r[0] for r in rows)
    send = sorted(r[1] for r in rows)
    at = int(0.95 * (len(rows) - 1))
    return f"p95 stored→queued {route[at]:.0f} ms, queued→sent {send[at]:.0f} ms"


def widget_part(folder: Path) -> str:
    from tests.servers.ports import free_port

    port = free_port()
    proc = start_serve(write_config(folder, port, REPO / "kb" / "articles"), port)
    try:
        profiler = start_profiler(proc.pid)
        serve_cpu, client_cpu = cpu_seconds(proc.pid), time.process_time()
        latencies, problems = asyncio.run(roundtrips(f"http://127.0.0.1:{port}"))
        serve_cpu = cpu_seconds(proc.pid) - serve_cpu
        if profiler is not None:
            profiler.send_signal(2)
            profiler.wait(timeout=60)
        client_cpu = time.process_time() - client_cpu
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    total, distinct = stored_counts(folder / "bench.db")
    expected = VISITORS * len(QUESTIONS)
    ms = sorted(x * 1000 for _number, x in latencies)
    later = sorted(x * 1000 for number, x in latencies if number)
    return (f"{VISITORS} visitors x {len(QUESTIONS)} messages: send→KB answer p50 "
            f"{statistics.median(ms):.0f} ms, p95 {p95(ms):.0f} ms ({len(ms)} answers; "
            f"without each visitor's first, opened together: p95 {p95(later):.0f} ms); stored "
            f"{total}/{expected}, {expected - distinct} lost, {total - distinct} doubled; "
            f"{stage_p95(folder / 'bench.db')}; CPU per message: serve "
            f"{1000 * serve_cpu / expected:.1f} ms, this client "
            f"{1000 * client_cpu / expected:.1f} ms"
            + (f"; problems: {problems[:3]}" if problems else ""))


def p95(sorted_values: list[float]) -> float:
    return sorted_values[int(0.95 * (len(sorted_values) - 1))] if sorted_values else float("nan")


def start_profiler(pid: int) -> subprocess.Popen[bytes] | None:
    """--profile FILE: py-spy (installed by hand, not a dependency) samples serve meanwhile."""
    if not PROFILE:
        return None
    return subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--format", "speedscope",
                             "--output", PROFILE, "--rate", "250", "--gil"])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def help_part(folder: Path) -> str:
    import httpx

    from bench.kb_latency import write_articles
    from tests.servers.ports import free_port, wait_for_http

    kb = folder / "kb5000"
    kb.mkdir()
    questions = write_articles(kb, random.Random(7), HELP_ARTICLES)
    port = free_port()
    (folder / "help").mkdir()
    config = write_config(folder / "help", port, kb)
    proc = subprocess.Popen([sys.executable, __file__, "--serve-help", str(config), str(port)])
    wait_for_http(proc, f"http://127.0.0.1:{port}/healthz", "help server", 3000)
    rng = random.Random(3)
    times: dict[str, list[float]] = {"home": [], "article": [], "search": []}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(HELP_REQUESTS):
                number = rng.randrange(HELP_ARTICLES)
                lang = "es" if number % 2 else "en"
                for name, path, params in (
                        ("home", "/help/", {"lang": lang}),
                        ("article", f"/help/articles/topic-{number // 2}-{lang}", {}),
                        ("search", "/help/search", {"q": rng.choice(questions[number]),
                                                    "lang": lang})):
                    started = time.perf_counter()
                    answer = client.get(path, params=params)
                    times[name].append(time.perf_counter() - started)
                    assert answer.status_code == 200, (path, answer.status_code)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return ("help center at 5,000 articles p95: " +
            ", ".join(f"{name} {p95(sorted(v)) * 1000:.0f} ms" for name, v in times.items()))


def pause() -> float:
    """--think exactly; with --spread, uniform in 0.5–1.5 × --think, so that visitors drift
    apart as people do instead of all writing in the same instant after each answer."""
    return random.uniform(0.5, 1.5) * THINK_SECONDS if SPREAD else THINK_SECONDS


def set_options(seconds: float, spread: bool, visitors: int, profile: str) -> None:
    global THINK_SECONDS, SPREAD, VISITORS, PROFILE
    THINK_SECONDS = seconds
    SPREAD = spread
    VISITORS = visitors
    PROFILE = profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve-help", nargs=2, metavar=("CONFIG", "PORT"))
    parser.add_argument("--skip-help", action="store_true")
    parser.add_argument("--visitors", type=int, default=VISITORS)
    parser.add_argument("--think", type=float, default=THINK_SECONDS,
                        help="seconds each visitor waits after an answer (default 0.2)")
    parser.add_argument("--spread", action="store_true",
                        help="people's pacing: each visitor's first message within 2 x --think "
                             "of opening the chat, each pause 0.5-1.5 x --think (default: all "
                             "200 write at once and pause exactly --think)")
    parser.add_argument("--profile", default="", metavar="FILE",
                        help="record serve with py-spy (speedscope JSON) during the widget part")
    args = parser.parse_args()
    set_options(args.think, args.spread, args.visitors, args.profile)
    if args.serve_help:
        serve_help(args.serve_help[0], int(args.serve_help[1]))
        return
    script = (REPO / "channels" / "webchat" / "static" / "widget.js").read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        widget = widget_part(folder)
        helps = "help center skipped" if args.skip_help else help_part(folder)
    load = os.getloadavg()[0]
    size = len(gzip.compress(script, 9))
    pacing = f"think {THINK_SECONDS} s" + (", spread" if SPREAD else "")
    print(f"widget_roundtrip: {widget} ({pacing}); {helps}; widget.js {size} B "
          f"gzipped; load average {load:.1f}", flush=True)


if __name__ == "__main__":
    main()

"""One kill run: `atiende serve` answers N customers on WhatsApp, is killed (SIGKILL) right
after the fake Twilio took one of the replies but before the server heard so, then restarted
on the same database; every customer must get exactly one reply. Used by the kill test and by
bench/kill_runs.py."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.fakes.clients import ACCOUNT_SID, AUTH_TOKEN, twilio_params, twilio_post
from tests.fakes.twilio_api import FakeTwilio
from tests.servers.ports import free_port
from tests.servers.serve_env import serve_env

REPO = Path(__file__).resolve().parents[2]
ATIENDE = REPO / ".venv" / "bin" / "atiende"
ENV = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
QUESTION = "¿Cuál es el horario de atención?"


@dataclass(frozen=True)
class KillResult:
    expected: int
    delivered: int      # customers who got their reply
    duplicates: int     # replies beyond the first, over all customers
    lost: int           # customers who got none
    killed: bool        # the kill landed mid-delivery


def customer(index: int) -> str:
    return f"whatsapp:+5730055{index:05d}"


def write_config(folder: Path, db_url: str, port: int, twilio_url: str,
                 claim_seconds: float, retry_seconds: float) -> None:
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data["database"]["url"] = db_url
    data["kb"]["path"] = str(REPO / "kb" / "articles")
    data["http"].update(port=port, public_url=f"http://127.0.0.1:{port}")
    data["channels"]["whatsapp"]["api_base_url"] = twilio_url
    for other in ("telegram", "email"):
        data["channels"].pop(other, None)
    data["outbox"] = {"claim_seconds": claim_seconds}
    data["jobs"] = {"retry_unrouted_seconds": retry_seconds}
    (folder / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                        encoding="utf-8")


class Serve:
    """`atiende serve` in `folder`, its output read line by line."""

    def __init__(self, folder: Path) -> None:
        self.proc = subprocess.Popen([str(ATIENDE), "serve"], cwd=folder, env=serve_env(ENV),
                                     text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self.pump, daemon=True).start()
        while "Uvicorn running on" not in "".join(self.log):
            line = self.lines.get(timeout=90)
            if line == "":
                raise RuntimeError("atiende serve exited:\n" + "".join(self.log))
            self.log.append(line)

    def pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put("")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def replies(twilio: FakeTwilio) -> Counter[str]:
    with twilio.lock:
        return Counter(str(m["to"]) for m in twilio.created)


def wait_for(check: Any, timeout: float) -> bool:
    give_up = time.monotonic() + timeout
    while not check():
        if time.monotonic() > give_up:
            return False
        time.sleep(0.05)
    return True


def kill_run(twilio: FakeTwilio, folder: Path, db_url: str, customers: int = 20,
             kill_at: int = 5, claim_seconds: float = 1.0, settle: float = 3.0,
             retry_seconds: float = 60.0) -> KillResult:
    """Answer `customers` customers; SIGKILL the server inside Twilio's acceptance of reply
    number `kill_at`; restart; count what each customer got once all is quiet.
    `retry_seconds`: jobs.retry_unrouted_seconds (on PostgreSQL, what the killed server
    stored but never routed waits that long for the restarted one's retry job)."""
    twilio.reset()
    port = free_port()
    write_config(folder, db_url, port, twilio.url, claim_seconds, retry_seconds)
    url = f"http://127.0.0.1:{port}"
    first = Serve(folder)
    accepted = 0
    posted = threading.Event()   # Twilio holds the replies until every webhook is in

    def kill_inside_acceptance(_resource: dict[str, Any]) -> None:
        nonlocal accepted
        posted.wait(60)
        accepted += 1
        if accepted == kill_at:
            first.kill()   # Twilio took it; the 201 never reaches the server

    twilio.on_accept = kill_inside_acceptance
    try:
        for index in range(customers):
            response = twilio_post(url, url, "/webhooks/whatsapp",
                                   twilio_params(QUESTION, sender=customer(index)))
            assert response.status_code == 200, response.text
        posted.set()
        killed = wait_for(lambda: first.proc.poll() is not None, 60)
    finally:
        posted.set()
        first.kill()
    twilio.on_accept = None
    second = Serve(folder)
    try:
        wait_for(lambda: len(replies(twilio)) >= customers, 60)
        time.sleep(settle)   # anything sent twice would arrive meanwhile
    finally:
        second.stop()
    got = replies(twilio)
    wanted = [customer(index) for index in range(customers)]
    return KillResult(expected=customers, delivered=sum(1 for c in wanted if got[c]),
                      duplicates=sum(max(got[c] - 1, 0) for c in wanted),
                      lost=sum(1 for c in wanted if not got[c]), killed=killed)

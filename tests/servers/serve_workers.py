"""Several real `atiende serve` processes on loopback sharing one PostgreSQL, for scale-out
tests and bench/multi_worker.py: start, `kill -9`, restart; a load balancer's view of them."""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from tests.servers.ports import free_port
from tests.servers.serve_env import serve_env

REPO = Path(__file__).resolve().parents[2]
ATIENDE = REPO / ".venv" / "bin" / "atiende"
PUBLIC_URL = "https://soporte.example.test"   # what Twilio signs; every worker is behind it
TIMEOUTS = {"connect_timeout_seconds": 2.0, "statement_timeout_seconds": 5.0,
            "pool_timeout_seconds": 2.0}


def write_config(folder: Path, db_url: str, twilio_url: str, smtp_port: int,
                 retry_seconds: float = 60.0, claim_seconds: float = 60.0) -> Path:
    """config.yaml for every worker: WhatsApp to the fake Twilio, agent mail to a sink;
    `retry_seconds` is jobs.retry_unrouted_seconds (how long what a killed worker stored but
    never routed waits for another's retry job), `claim_seconds` outbox.claim_seconds (how
    long a send whose outcome was lost waits before it is looked up and retried)."""
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data["database"] = {**data["database"], "url": db_url, **TIMEOUTS}
    data["kb"]["path"] = str(REPO / "kb" / "articles")
    data["http"]["public_url"] = PUBLIC_URL
    data["channels"]["whatsapp"]["api_base_url"] = twilio_url
    data["channels"].pop("telegram", None)
    data["channels"]["email"]["smtp_outbound"] = {"host": "127.0.0.1", "port": smtp_port}
    data["channels"]["email"]["outbound_transport"] = "smtp"
    data["channels"]["email"].pop("imap", None)
    data["jobs"] = {"retry_unrouted_seconds": retry_seconds}
    data["outbox"] = {**data.get("outbox", {}), "claim_seconds": claim_seconds}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@dataclass
class Worker:
    index: int
    port: int = field(default_factory=free_port)
    smtp_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def is_running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class WorkerPool:
    """`count` workers on one database; each has its own HTTP and SMTP port and log file."""

    def __init__(self, folder: Path, config: Path, environ: dict[str, str], count: int) -> None:
        self.folder = folder
        self.config = config
        self.environ = serve_env(environ)
        self.workers = [Worker(i) for i in range(count)]

    def upgrade(self) -> None:
        """Migrations once, before any worker starts (as a deploy step would)."""
        done = subprocess.run([str(ATIENDE), "db", "upgrade", "--config", str(self.config)],
                              cwd=self.folder, env=self.environ, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

    def start(self, worker: Worker) -> None:
        worker.starts += 1
        log = (self.folder / f"worker-{worker.index}-{worker.starts}.log").open("wb")
        env = self.environ | {"ATIENDE__HTTP__PORT": str(worker.port),
                              "ATIENDE__CHANNELS__EMAIL__SMTP_INBOUND__PORT":
                                  str(worker.smtp_port)}
        worker.proc = subprocess.Popen([str(ATIENDE), "serve", "--config", str(self.config)],
                                       cwd=self.folder, env=env, stdout=log,
                                       stderr=subprocess.STDOUT)
        log.close()

    def start_all(self) -> None:
        for worker in self.workers:
            self.start(worker)
        for worker in self.workers:
            self.wait_ready(worker)

    def wait_ready(self, worker: Worker, timeout: float = 300) -> None:
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            if not worker.is_running:
                raise RuntimeError(f"worker {worker.index} exited:\n{self.log(worker)}")
            try:
                if httpx.get(f"{worker.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"worker {worker.index} did not start:\n{self.log(worker)}")

    def kill9(self, worker: Worker) -> None:
        assert worker.proc is not None
        worker.proc.send_signal(signal.SIGKILL)
        worker.proc.wait(timeout=30)

    def stop_all(self) -> None:
        """SIGTERM each (they finish what they acknowledged), then wait; SIGKILL stragglers."""
        running = [w for w in self.workers if w.is_running]
        for worker in running:
            assert worker.proc is not None
            worker.proc.send_signal(signal.SIGTERM)
        for worker in running:
            assert worker.proc is not None
            try:
                worker.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.proc.kill()
                worker.proc.wait(timeout=30)

    def alive(self) -> list[Worker]:
        return [w for w in self.workers if w.is_running]

    def log(self, worker: Worker) -> str:
        path = self.folder / f"worker-{worker.index}-{worker.starts}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

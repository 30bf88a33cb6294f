"""Benchmark: resident memory of an idle `atiende serve` with both chat channels on, one line.

Starts the real command (SQLite, the sample KB, WhatsApp and Telegram enabled against local
fakes of their APIs), waits until it is listening and has settled, then reads VmRSS (and the
children's, if any) from /proc.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

REPO = Path(__file__).resolve().parents[1]
ENCODER = ["auto"]   # kb.encoder of the served config (--encoder)
START_TIMEOUT = [120.0]
TARGET_MB = 300   # issue 19: the multilingual sentence encoder's weights stay resident
sys.path.insert(0, str(REPO))
from tests.servers.serve_env import serve_env  # noqa: E402

ATIENDE = REPO / ".venv" / "bin" / "atiende"
ENV = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "bench-token",
       "TELEGRAM_BOT_TOKEN": "7000001:bench", "TELEGRAM_WEBHOOK_SECRET": "atiende-test-secret_42"}


def start_fakes() -> tuple[Any, Any, list[Any]]:
    """The local Twilio and Telegram APIs in this process (Telegram's getMe runs at startup)."""
    from tests.fakes.loopback import LoopbackServer
    from tests.fakes.telegram_api import FakeTelegram
    from tests.fakes.twilio_api import FakeTwilio

    twilio = FakeTwilio(ENV["TWILIO_ACCOUNT_SID"], ENV["TWILIO_AUTH_TOKEN"])
    telegram = FakeTelegram(ENV["TELEGRAM_BOT_TOKEN"])
    servers = [LoopbackServer(twilio.app()).start(), LoopbackServer(telegram.app()).start()]
    twilio.url, telegram.url = servers[0].url, servers[1].url
    return twilio, telegram, servers


def first_messages(url: str, twilio: Any, telegram: Any, timeout: float = 60) -> None:
    """One customer writes on each channel; wait until both answers went out."""
    from tests.fakes.clients import WEBHOOK_SECRET, telegram_message, twilio_params, twilio_post

    params = twilio_params("¿Cuál es el horario de atención?")
    twilio_post(url, url, "/webhooks/whatsapp", params, token=ENV["TWILIO_AUTH_TOKEN"])
    update = telegram_message("How do I export my data?")
    httpx.post(f"{url}/webhooks/telegram", json=update, timeout=30,
               headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    give_up = time.monotonic() + timeout
    while not (twilio.messages and telegram.sent()) and time.monotonic() < give_up:
        time.sleep(0.1)


def write_config(folder: Path, port: int, twilio_url: str, telegram_url: str) -> None:
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data["database"]["url"] = f"sqlite:///{folder / 'rss.db'}"
    data["kb"]["path"] = str(REPO / "kb" / "articles")
    data["kb"]["encoder"] = ENCODER[0]
    data["http"].update(port=port, public_url=f"http://127.0.0.1:{port}")
    data["channels"] = {"whatsapp": {"api_base_url": twilio_url},
                        "telegram": {"api_base_url": telegram_url, "mode": "webhook"}}
    (folder / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                        encoding="utf-8")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def tree_rss_kib(pid: int) -> int:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return rss_kib(pid) + sum(tree_rss_kib(int(child)) for child in children)


def wait_listening(proc: subprocess.Popen[str], timeout: float = 120) -> list[str]:
    lines: list[str] = []
    ready = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "Uvicorn running on" in line:
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(timeout) or proc.poll() is not None:
        raise SystemExit("atiende serve did not start:\n" + "".join(lines))
    return lines


def measure(settle: float) -> tuple[float, float, list[str]]:
    """(idle MB, MB after one message per channel, the server's log)."""
    twilio, telegram, servers = start_fakes()
    with tempfile.TemporaryDirectory() as tmp:
        from tests.servers.ports import free_port
        port = free_port()
        write_config(Path(tmp), port, twilio.url, telegram.url)
        proc = subprocess.Popen([str(ATIENDE), "serve"], cwd=tmp, env=serve_env(ENV), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            lines = wait_listening(proc, START_TIMEOUT[0])
            time.sleep(settle)   # idle: let startup settle
            idle = tree_rss_kib(proc.pid) / 1024
            first_messages(f"http://127.0.0.1:{port}", twilio, telegram)
            time.sleep(settle)
            busy = tree_rss_kib(proc.pid) / 1024
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    for server in servers:
        server.stop()
    return idle, busy, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--settle", type=float, default=5.0, help="idle seconds before reading")
    parser.add_argument("--encoder", choices=["auto", "e5", "use", "none"], default="auto",
                        help="kb.encoder of the served config")
    parser.add_argument("--start-timeout", type=float, default=120.0,
                        help="seconds to wait for the server to listen")
    args = parser.parse_args()
    ENCODER[0], START_TIMEOUT[0] = args.encoder, args.start_timeout
    rss, busy, lines = measure(args.settle)
    on = [name for name in ("whatsapp", "telegram")
          if any(line.strip().startswith(f"{name}: on") for line in lines)]
    verdict = "PASS" if max(rss, busy) <= TARGET_MB and len(on) == 2 else "FAIL"
    print(f"serve_rss: kb.encoder={args.encoder} idle `atiende serve` resident memory {rss:.1f} MB "
          f"(channels on: {', '.join(on) or 'none'}; SQLite, sample KB; {busy:.1f} MB after "
          f"one message per channel) "
          f"(target <= {TARGET_MB} MB with the sentence encoder loaded, idle and busy) {verdict}")


if __name__ == "__main__":
    main()

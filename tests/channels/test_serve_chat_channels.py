"""`atiende serve` as a real process with both chat channels against the local cloud fakes."""

from __future__ import annotations

import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.store.db import make_engine
from bot.store.models import Message
from tests.channels.conftest import ENV
from tests.fakes.clients import telegram_message, telegram_post, twilio_params, twilio_post
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.servers.ports import free_port
from tests.servers.serve_env import serve_env

REPO = Path(__file__).resolve().parents[2]
ATIENDE = REPO / ".venv" / "bin" / "atiende"


def eventually(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Wait for the server's own background work (its scheduler runs on the real clock)."""
    give_up = time.monotonic() + timeout
    while not check():
        if time.monotonic() > give_up:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def pump(proc: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    """Hand the server's output over line by line; "" when it closes."""
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.put(line)
    lines.put("")


@dataclass
class Served:
    url: str
    proc: subprocess.Popen[str]
    banner: list[str]
    db_url: str
    lines: queue.Queue[str]

    def stop(self) -> str:
        """SIGTERM, then the log until exit; uvicorn re-raises the signal once shut down."""
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=30) in (0, -signal.SIGTERM)
        rest = []
        while (line := self.lines.get(timeout=10)) != "":
            rest.append(line)
        return "".join(rest)


def write_config(tmp_path: Path, db_url: str, port: int, twilio_url: str,
                 telegram_url: str) -> None:
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data["database"]["url"] = db_url
    data["kb"]["path"] = str(REPO / "kb" / "articles")
    data["http"].update(port=port, public_url=f"http://127.0.0.1:{port}")
    data["channels"]["whatsapp"]["api_base_url"] = twilio_url
    data["channels"]["telegram"]["api_base_url"] = telegram_url
    data["channels"].pop("email", None)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                          encoding="utf-8")


@pytest.fixture
def served(db_url: str, tmp_path: Path, twilio_api: FakeTwilio,
           telegram_api: FakeTelegram) -> Iterator[Served]:
    port = free_port()
    write_config(tmp_path, db_url, port, twilio_api.url, telegram_api.url)
    proc = subprocess.Popen([str(ATIENDE), "serve"], cwd=tmp_path, env=serve_env(ENV), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    threading.Thread(target=pump, args=(proc, lines), daemon=True).start()
    try:
        seen = wait_until_running(lines)
        server = Served(f"http://127.0.0.1:{port}", proc, seen, db_url, lines)
        yield server
        if proc.poll() is None:
            server.stop()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def wait_until_running(lines: queue.Queue[str]) -> list[str]:
    seen: list[str] = []
    while "Uvicorn running on" not in "".join(seen):
        line = lines.get(timeout=60)
        if line == "":
            pytest.fail("atiende serve exited:\n" + "".join(seen))
        seen.append(line)
    return seen


def test_serve_says_which_chat_channels_are_on(served: Served) -> None:
    banner = "".join(served.banner)
    assert f"whatsapp: on: Twilio webhook {served.url}/webhooks/whatsapp" in banner
    assert f"telegram: on: webhook {served.url}/webhooks/telegram" in banner


def test_serve_answers_on_whatsapp_and_telegram(served: Served, twilio_api: FakeTwilio,
                                                telegram_api: FakeTelegram) -> None:
    response = twilio_post(served.url, served.url, "/webhooks/whatsapp",
                           twilio_params("¿Cuál es el horario de atención?"))
    assert response.status_code == 200
    answered = telegram_post(served.url, telegram_message("/start"))
    assert answered.status_code == 200, served.stop()
    eventually(lambda: len(twilio_api.messages) == 1, "the WhatsApp answer")
    eventually(lambda: len(telegram_api.sent()) == 1, "the Telegram greeting")
    assert "8:00" in (twilio_api.messages[0].one("Body") or "")
    assert str(telegram_api.sent()[0]["text"]).startswith("¡Hola Ana!")
    assert "Application shutdown complete" in served.stop()


def test_sigterm_finishes_what_was_acknowledged(served: Served, twilio_api: FakeTwilio) -> None:
    params = twilio_params("¿Cuál es el horario de atención?")
    assert twilio_post(served.url, served.url, "/webhooks/whatsapp", params).status_code == 200
    log = served.stop()
    assert "Application shutdown complete" in log
    engine = make_engine(served.db_url)
    with engine.connect() as connection:
        status = connection.execute(select(Message.status).where(
            Message.provider_message_id == params["MessageSid"])).scalar_one()
    engine.dispose()
    assert status == "processed", log
    assert len(twilio_api.messages) == 1, log

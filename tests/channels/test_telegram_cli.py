"""`atiende telegram set-webhook | delete-webhook | webhook-info` as real subprocesses."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from tests.fakes.clients import BOT_TOKEN, WEBHOOK_SECRET
from tests.fakes.telegram_api import FakeTelegram

REPO = Path(__file__).resolve().parents[2]
ATIENDE = REPO / ".venv" / "bin" / "atiende"


def atiende(tmp_path: Path, api_url: str, *args: str,
            **env: str) -> subprocess.CompletedProcess[str]:
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data["http"]["public_url"] = "https://soporte.example.test/"
    data["channels"]["telegram"]["api_base_url"] = api_url
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("ATIENDE__", "TELEGRAM_", "TWILIO_"))}
    return subprocess.run([str(ATIENDE), "telegram", *args], cwd=tmp_path, text=True,
                          capture_output=True, env={**clean, **env}, timeout=60)


def test_set_webhook_registers_url_secret_and_allowed_updates(
        tmp_path: Path, telegram_api: FakeTelegram) -> None:
    done = atiende(tmp_path, telegram_api.url, "set-webhook", "--drop-pending-updates",
                   TELEGRAM_BOT_TOKEN=BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("Telegram webhook set to https://soporte.example.test/webhooks/"
                           "telegram (updates: message, callback_query)\n")
    assert telegram_api.webhook == {
        "url": "https://soporte.example.test/webhooks/telegram", "secret_token": WEBHOOK_SECRET,
        "allowed_updates": ["message", "callback_query"], "drop_pending_updates": True}


def test_webhook_info_and_delete(tmp_path: Path, telegram_api: FakeTelegram) -> None:
    telegram_api.webhook = {"url": "https://soporte.example.test/webhooks/telegram"}
    info = atiende(tmp_path, telegram_api.url, "webhook-info", TELEGRAM_BOT_TOKEN=BOT_TOKEN)
    assert info.stdout.splitlines() == [
        "url: https://soporte.example.test/webhooks/telegram", "pending updates: 0"]
    deleted = atiende(tmp_path, telegram_api.url, "delete-webhook", TELEGRAM_BOT_TOKEN=BOT_TOKEN)
    assert (deleted.returncode, deleted.stdout) == (0, "Telegram webhook deleted\n")
    assert telegram_api.webhook == {}


def test_set_webhook_without_the_token_or_secret_says_which(tmp_path: Path,
                                                            telegram_api: FakeTelegram) -> None:
    no_token = atiende(tmp_path, telegram_api.url, "set-webhook",
                       TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET)
    assert (no_token.returncode, no_token.stderr) == (
        2, "atiende: TELEGRAM_BOT_TOKEN is not set in the environment\n")
    no_secret = atiende(tmp_path, telegram_api.url, "set-webhook", TELEGRAM_BOT_TOKEN=BOT_TOKEN)
    assert (no_secret.returncode, no_secret.stderr) == (
        2, "atiende: TELEGRAM_WEBHOOK_SECRET is not set (needed in webhook mode)\n")
    assert telegram_api.sent("setWebhook") == []


def test_a_token_telegram_rejects_is_one_line(tmp_path: Path,
                                              telegram_api: FakeTelegram) -> None:
    done = atiende(tmp_path, telegram_api.url, "webhook-info", TELEGRAM_BOT_TOKEN="1:wrong")
    assert done.returncode == 2
    assert done.stderr.startswith("atiende: Telegram said: ")
    assert "Traceback" not in done.stderr and "1:wrong" not in done.stderr

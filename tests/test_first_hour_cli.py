"""An operator's first hour, through the real `atiende` command: privacy, times, errors."""

from __future__ import annotations

import json
import os
import pty
import select as io_select
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from bot.store.models import OutboxItem, QuarantineItem
from tests.test_cli import (
    ATIENDE,
    NOW,
    assert_one_error_line,
    atiende,
    json_lines,
    write_config,
)


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    write_config(tmp_path)
    return tmp_path


BILLING = "la factura de noviembre salió con el valor equivocado, nos cobraron de más"


def test_a_console_session_receives_only_its_own_customers_rows(tmp_path: Path,
                                                                 db_url: str) -> None:
    write_config(tmp_path, db_url)
    env = {"ATIENDE__DATABASE__URL": db_url}
    first = atiende(tmp_path, "chat", "--as", "console:a", "--jsonl", "--now", NOW,
                    stdin="quiero hablar con un agente\n" + BILLING + "\n", env=env)
    assert first.returncode == 0, first.stderr
    number = json_lines(first.stdout)[-1]["ticket"]
    resolved = atiende(tmp_path, "tickets", "resolve", str(number), env=env)
    assert resolved.returncode == 0, resolved.stderr

    later = "2030-01-08T10:00:00-05:00"  # `tickets resolve` ran on the real clock
    other = atiende(tmp_path, "chat", "--as", "console:b", "--jsonl", "--now", later,
                    stdin="hola\n", env=env)
    assert other.returncode == 0, other.stderr
    [turn] = json_lines(other.stdout)
    said = json.dumps(turn, ensure_ascii=False)
    assert f"#{number}" not in said and "1 a 5" not in said and "1-5" not in said
    engine = create_engine(db_url)
    with engine.connect() as connection:
        waiting = connection.execute(select(OutboxItem.recipient).where(
            OutboxItem.channel == "console", OutboxItem.status == "pending")).scalars().all()
    engine.dispose()
    assert waiting and set(waiting) == {"console:a"}, "A's rows wait for A's next session"


# --- B.4: times, errors, escapes, the English prompt -------------------------------------------

def test_at_without_an_offset_is_read_in_the_desks_time_zone(desk: Path) -> None:
    local = atiende(desk, "hours", "status", "--at", "2026-11-24T07:30", "--json")
    assert local.returncode == 0, local.stderr
    status = json.loads(local.stdout)
    assert status["open"] is False  # 07:30 in Bogotá (12:30 UTC would be open)
    assert status["next_opening"] == "2026-11-24T08:00:00-05:00"
    bare = atiende(desk, "sla", "due", "--priority", "high", "--at", "2026-11-24T16:00",
                   "--json")
    explicit = atiende(desk, "sla", "due", "--priority", "high", "--at",
                       "2026-11-24T16:00-05:00", "--json")
    assert bare.returncode == 0, bare.stderr
    assert json.loads(bare.stdout) == json.loads(explicit.stdout)
    line = assert_one_error_line(atiende(desk, "hours", "status", "--at", "martes"))
    assert "--at" in line


def store_quarantined(db_url: str, raw: bytes, reason: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(QuarantineItem.__table__.insert().values(
            source="email:smtp", reason=reason, raw=raw, envelope=None,
            at=datetime(2026, 11, 24, 15, 0, tzinfo=UTC)))
    engine.dispose()


def test_quarantine_show_escapes_control_bytes_and_replay_fails_in_one_line(
        tmp_path: Path, db_url: str) -> None:
    write_config(tmp_path, db_url)
    assert atiende(tmp_path, "db", "upgrade").returncode == 0
    raw = (b"From: eve@example.com\r\nSubject: \x1b]0;pwned\x07hola\r\n\r\n"
           + b"\x1b[2J" + b"texto " * 400 + b"\r\n")
    store_quarantined(db_url, raw, "message too big\x1b[31m")
    shown = atiende(tmp_path, "quarantine", "show", "1")
    assert shown.returncode == 0, shown.stderr
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    assert "\\x1b]0;pwned\\x07hola" in shown.stdout and "\\x1b[2J" in shown.stdout
    assert "Subject: " in shown.stdout and "\r" not in shown.stdout
    listed = atiende(tmp_path, "quarantine", "list")
    assert "\x1b" not in listed.stdout and "message too big\\x1b[31m" in listed.stdout

    small = {"ATIENDE__CHANNELS__EMAIL__SMTP_INBOUND__MAX_MESSAGE_BYTES": "500",
             "ATIENDE_SECRET_KEY": "first-hour"}
    line = assert_one_error_line(atiende(tmp_path, "quarantine", "replay", "1", env=small))
    assert line.startswith("atiende: quarantine item 1 still cannot be read: ")


def test_the_interactive_prompt_speaks_english_in_english(desk: Path) -> None:
    env = {"ATIENDE__BOT__DEFAULT_LANGUAGE": "en"}
    screen = run_in_terminal(desk, ["chat", "--as", "console:joe", "--now", NOW],
                             b"What are your support hours?\n", env, "you \u203a".encode())
    assert "you \u203a" in screen and "t\u00fa \u203a" not in screen
    assert "Chatting as console:joe" in screen


def run_in_terminal(cwd: Path, args: list[str], typed: bytes, env: dict[str, str],
                    prompt: bytes) -> str:
    """`atiende ARGS` on a pseudo-terminal: type a line, wait for the next `prompt`, Ctrl-D;
    everything it printed (no `prompt` within a minute fails the test)."""
    leader, follower = pty.openpty()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ATIENDE__")}
    process = subprocess.Popen([str(ATIENDE), *args], cwd=cwd, stdin=follower, stdout=follower,
                               stderr=follower, env={**clean, **env, "TERM": "dumb"})
    os.close(follower)
    try:
        screen = read_until(leader, prompt, 1)
        os.write(leader, typed)
        screen += read_until(leader, prompt, 1)  # the answer, then the next prompt
        os.write(leader, b"\x04")
        process.wait(timeout=60)
    finally:
        process.kill()
        os.close(leader)
    return screen.decode("utf-8", errors="replace")



def read_until(fd: int, mark: bytes, count: int, timeout: float = 30) -> bytes:
    """Read what the terminal shows until `mark` has appeared `count` times (or EOF)."""
    seen = b""
    while seen.count(mark) < count:
        ready, _, _ = io_select.select([fd], [], [], timeout)
        if not ready:
            raise AssertionError(f"the terminal showed no {mark!r}: {seen!r}")
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen


# --- B.3: reading the desk from the command line -----------------------------------------------

def test_tickets_show_and_list_read_the_desk(desk: Path) -> None:
    stdin = "¿Cuál es el horario de atención?\nno\n" + BILLING + "\n"
    chat = atiende(desk, "chat", "--as", "console:ana", "--name", "Ana Pérez", "--jsonl",
                   "--now", NOW, stdin=stdin)
    assert chat.returncode == 0, chat.stderr
    number = json_lines(chat.stdout)[-1]["ticket"]
    assert atiende(desk, "tickets", "resolve", str(number), "--note",
                   "devolución hecha").returncode == 0

    shown = atiende(desk, "tickets", "show", str(number))
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert f"Ticket #{number}:" in text and "Ana Pérez (console:ana) on console" in text
    assert "2026-11-24 10:00 › customer console:ana [console]: ¿Cuál es el horario" in text
    assert "answered with article" in text and "‹ bot [console]:" in text
    assert "note" in text and "devolución hecha" in text
    said = [text.index(line) for line in ("[console]: ¿Cuál es el horario", "‹ bot [console]: ",
                                          "› customer console:ana [console]: no",
                                          "nos cobraron de más")]
    assert said == sorted(said), "the thread reads in the order it was said"

    data = json.loads(atiende(desk, "tickets", "show", str(number), "--json").stdout)
    assert {"number", "status", "priority", "category", "subject", "vip", "assignee",
            "created_at", "first_response_due_at", "messages"} <= set(data)
    assert data["created_at"].endswith("-05:00") and data["status"] == "resolved"
    moments = [message["at"] for message in data["messages"]]
    assert moments == sorted(moments) and data["messages"][0]["direction"] == "in"

    listed = atiende(desk, "tickets", "list").stdout.splitlines()
    assert listed[0].split()[:5] == ["#", "STATUS", "PRIORITY", "CATEGORY", "CUSTOMER"]
    assert f"#{number}" in listed[1] and "Ana Pérez" in listed[1] and "console" in listed[1]
    assert atiende(desk, "tickets", "list", "--open").stdout.splitlines()[1] == "no tickets match"
    rows = json.loads(atiende(desk, "tickets", "list", "--channel", "console", "--json").stdout)
    assert [row["number"] for row in rows] == [number] and "messages" not in rows[0]
    assert json.loads(atiende(desk, "tickets", "list", "--channel", "email", "--json").stdout) == []

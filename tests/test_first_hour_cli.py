"""An operator's first hour, through the real `atiende` command: privacy, times, errors."""

from __future__ import annotations

import json
import os
import pty
import queue
import re
import select as io_select
import signal
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, select

from bot.app import Runtime
from bot.store.db import transaction
from bot.store.models import Contact, OutboxItem, QuarantineItem
from tests.servers.ports import free_port
from tests.servers.serve_env import serve_env
from tests.test_cli import (
    ATIENDE,
    NOW,
    REPO,
    assert_one_error_line,
    atiende,
    json_lines,
    write_config,
)
from tests.test_reports import ANA, Spec, add_ticket, seed
from tests.test_web import serve_in_thread


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
    process = subprocess.Popen([str(ATIENDE), *args], cwd=cwd, stdin=follower, stdout=follower,
                               stderr=follower, env=serve_env(env | {"TERM": "dumb"}))
    os.close(follower)
    try:
        screen = read_until(leader, prompt, 1)
        os.write(leader, typed)
        screen += read_until(leader, prompt, 1)  # the answer, then the next prompt
        hang_up(process, leader)
    finally:
        process.kill()
        os.close(leader)
    return screen.decode("utf-8", errors="replace")



def hang_up(process: subprocess.Popen[bytes], leader: int) -> None:
    """Ctrl-D until the program exits: its prompt is printed just before readline takes the
    terminal, so a Ctrl-D typed in between can be lost; one a second later is not."""
    for _ in range(60):
        os.write(leader, b"\x04")
        try:
            process.wait(timeout=1)
            return
        except subprocess.TimeoutExpired:
            continue
    raise AssertionError("the chat did not end on Ctrl-D")


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


# --- B.2: agents are reached out of the box, or the operator is told why not -------------------

def start_serve(folder: Path, db_url: str, jobs: dict[str, float] | None = None,
                **email: object) -> tuple[subprocess.Popen[str], queue.Queue[str], str]:
    """`atiende serve` on free ports with the sample config (email settings and, given
    `jobs`, the jobs section changed)."""
    port = free_port()
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data["database"]["url"] = db_url
    data["kb"]["path"] = str(REPO / "kb" / "articles")
    data["http"].update(port=port, public_url=f"http://127.0.0.1:{port}")
    data["channels"]["email"]["smtp_inbound"]["port"] = free_port()
    data["channels"]["email"].update(email)
    data["jobs"] = jobs or {}
    (folder / "config.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    proc = subprocess.Popen([str(ATIENDE), "serve"], cwd=folder, env=serve_env({}), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=copy_lines, args=(proc, lines), daemon=True).start()
    return proc, lines, f"http://127.0.0.1:{port}"


def copy_lines(proc: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.put(line)
    lines.put("")


def read_log_until(lines: queue.Queue[str], needle: str) -> list[str]:
    """The server's output up to the line holding `needle` (30 s of silence fails)."""
    seen: list[str] = []
    while not seen or needle not in seen[-1]:
        line = lines.get(timeout=30)
        if line == "":
            pytest.fail(f"atiende serve exited before printing {needle!r}: {seen}")
        seen.append(line)
    return seen


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def test_sample_config_writes_agents_mail_as_eml_files(tmp_path: Path, db_url: str) -> None:
    # the ticket (opened by another process, on a past clock) is overdue: the mail to the
    # escalation contact leaves with the next SLA sweep, every 2 s here (30 s by default)
    proc, lines, _url = start_serve(tmp_path, db_url, jobs={"sla_sweep_seconds": 2})
    try:
        log = "".join(read_log_until(lines, "Uvicorn running on"))
        assert f"out .eml files in {tmp_path / 'mail-out'}" in log
        chat = atiende(tmp_path, "chat", "--as", "console:ana", "--jsonl", "--now", NOW,
                       stdin="quiero hablar con un agente\n" + BILLING + "\n")
        assert chat.returncode == 0, chat.stderr
        mails = wait_for_files(tmp_path / "mail-out", 2)
    finally:
        stop(proc)
    text = "\n".join(path.read_text(encoding="utf-8") for path in mails)
    assert "To: ana@example.com" in text and "To: luis@example.com" in text
    assert "Auto-Submitted: auto-generated" in text and "[#1]" in text


def wait_for_files(folder: Path, count: int) -> list[Path]:
    """The .eml files once `count` are there (the dispatcher runs every second; 30 s fails)."""
    for _ in range(300):
        found = sorted(folder.glob("*.eml")) if folder.is_dir() else []
        if len(found) >= count:
            return found
        threading.Event().wait(0.1)  # polling for files another process writes
    pytest.fail(f"{folder} holds {len(found)} .eml files, expected {count}")


def test_an_unreachable_relay_is_one_warning_and_degraded_health(tmp_path: Path,
                                                                   db_url: str) -> None:
    dead = free_port()
    proc, lines, url = start_serve(tmp_path, db_url, outbound_transport="smtp",
                                   smtp_outbound={"host": "127.0.0.1", "port": dead,
                                                  "timeout_seconds": 2})
    try:
        log = read_log_until(lines, "Uvicorn running on")
        health = httpx.get(f"{url}/healthz", timeout=10)
    finally:
        stop(proc)
    warnings = [line for line in log if "outgoing mail cannot leave" in line]
    assert len(warnings) == 1 and f"127.0.0.1:{dead}" in warnings[0]
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded" and body["database"] == "ok"
    assert body["channels"]["email"].startswith(f"degraded: SMTP relay 127.0.0.1:{dead} ")


# --- B.5: the HTML report and /metrics ---------------------------------------------------------

def test_html_report_generated_in_the_desks_zone_and_zero_bars_visible(
        runtime: Runtime, tmp_path: Path) -> None:
    seed(runtime)
    late = Spec(23, "11-17T10:00", "low", "billing", "whatsapp", "resolved", vip=True,
                agent=ANA, first="11-24T10:00", resolved="11-24T12:00")  # VIP low: 4 h, missed
    with transaction(runtime.factory) as session:
        contact = session.scalars(select(Contact)).first()
        add_ticket(session, runtime, contact, late)
    config = write_config(tmp_path, runtime.config.database.url)
    period = ["--from", "2026-11-02", "--to", "2026-11-27"]
    utc_now = "2026-11-30T14:00:00+00:00"  # 09:00 in Bogotá
    data = json.loads(atiende(tmp_path, "report", *period, "--now", utc_now, "--format",
                              "json", "--config", str(config)).stdout)
    done = atiende(tmp_path, "report", *period, "--now", utc_now, "--format", "html", "-o",
                   str(tmp_path / "r.html"), "--config", str(config))
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Generated 2026-11-30 09:00 (America/Bogota)" in page
    table = data["sla_compliance"]["by_tier_priority"]
    for tier, shares in table.items():
        for priority, share in shares.items():
            label = bar_label(page, f"sla-{tier}-{priority}")
            assert label == ("–" if share is None else f"{100 * share:.0f}"), (tier, priority)
    assert table["vip"]["low"] == 0, "the desk has a 0 % cell"
    assert bar_label(page, "sla-vip-low") == "0"
    assert table["regular"]["critical"] is None and bar_label(page, "sla-regular-critical") == "–"


def bar_label(page: str, gid: str) -> str:
    match = re.search(rf'<g id="{gid}">.*?<text[^>]*>([^<]*)</text>', page, re.S)
    assert match, f"no label {gid}"
    return match.group(1).strip()


def test_metrics_gauges_show_what_a_cli_action_did(runtime: Runtime, tmp_path: Path) -> None:
    write_config(tmp_path, runtime.config.database.url)
    for url in serve_in_thread(runtime):
        before = httpx.get(f"{url}/metrics", timeout=10).text
        chat = atiende(tmp_path, "chat", "--as", "console:zoe", "--jsonl", "--now", NOW,
                       stdin="quiero hablar con un agente\n" + BILLING + "\n")
        assert chat.returncode == 0, chat.stderr
        after = httpx.get(f"{url}/metrics", timeout=10).text
    opened = gauge(after, 'atiende_tickets_open{priority="medium",status="open"}') + gauge(
        after, 'atiende_tickets_open{priority="high",status="open"}')
    assert opened == 1.0
    assert gauge(before, 'atiende_tickets_open{priority="medium",status="open"}') == 0.0
    assert gauge(after, 'atiende_outbox_rows{status="pending"}') >= 1  # mail to the agents
    assert 'atiende_sla_breached{target="first_response"} 0.0' in after


def gauge(text: str, name: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith(name + " "))
    return float(line.split()[-1])

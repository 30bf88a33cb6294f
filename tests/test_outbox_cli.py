"""Dead letters: `atiende outbox list --failed`, `atiende outbox retry ID`, and /metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from click.testing import CliRunner

from bot.app import Runtime
from bot.cli import outbox as cli_outbox
from bot.cli.main import main
from bot.store.models import OutboxItem
from scheduler.clock import FixedClock
from tests.test_outbox import FlakyChannel, dispatch, put, row
from tests.test_web import serve_in_thread


@pytest.fixture
def cli(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(cli_outbox, "open_runtime", lambda _path: runtime)
    return CliRunner()


@pytest.fixture
def dead_letter(runtime: Runtime, clock: FixedClock) -> int:
    """A row the provider refused for good (a permanent error)."""
    item_id = put(runtime, "Tu ticket #4 fue resuelto")
    dispatch(runtime, clock.now(), FlakyChannel(failures=1, transient=False))
    assert row(runtime, item_id).status == "failed"
    return item_id


def test_failed_rows_are_listed_with_their_error(cli: CliRunner, runtime: Runtime,
                                                 dead_letter: int) -> None:
    put(runtime, "Otro mensaje que sigue en cola")
    done = cli.invoke(main, ["outbox", "list", "--failed", "--json"])
    assert done.exit_code == 0, done.output
    rows = [json.loads(line) for line in done.output.splitlines()]
    assert [(r["id"], r["status"], r["attempts"], r["last_error"], r["text"]) for r in rows] == [
        (dead_letter, "failed", 1, "503 provider busy", "Tu ticket #4 fue resuelto")]
    table = cli.invoke(main, ["outbox", "list"])
    assert table.exit_code == 0
    assert len(table.output.splitlines()) == 2


def test_a_retried_dead_letter_is_delivered(cli: CliRunner, runtime: Runtime, clock: FixedClock,
                                            dead_letter: int) -> None:
    done = cli.invoke(main, ["outbox", "retry", str(dead_letter)])
    assert done.exit_code == 0, done.output
    assert f"outbox {dead_letter}: queued again" in done.output
    queued = row(runtime, dead_letter)
    assert (queued.status, queued.attempts) == ("pending", 0)
    channel = FlakyChannel()
    assert dispatch(runtime, clock.now(), channel) == 1
    assert [m.text for m in channel.delivered] == ["Tu ticket #4 fue resuelto"]
    assert row(runtime, dead_letter).status == "sent"


def test_retrying_a_sent_or_missing_row_is_a_clear_error(cli: CliRunner, runtime: Runtime,
                                                         clock: FixedClock) -> None:
    item_id = put(runtime)
    dispatch(runtime, clock.now(), FlakyChannel())
    done = cli.invoke(main, ["outbox", "retry", str(item_id)])
    assert done.exit_code == 2
    assert f"outbox row {item_id} is sent; only failed or held rows are retried" in done.output
    missing = cli.invoke(main, ["outbox", "retry", "999999"])
    assert (missing.exit_code, missing.output.strip()) == (2, "atiende: no outbox row 999999")


@pytest.fixture
def base_url(runtime: Runtime) -> Iterator[str]:
    yield from serve_in_thread(runtime)


def test_metrics_count_dead_letters_and_rows_by_status(base_url: str, runtime: Runtime,
                                                       dead_letter: int) -> None:
    with runtime.factory() as session:
        assert session.get(OutboxItem, dead_letter) is not None
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    assert 'atiende_outbox_rows{status="failed"} 1.0' in text
    assert 'atiende_outbox_rows{status="pending"} 0.0' in text
    assert 'atiende_outbox_dead_letters_total{channel="flaky"}' in text

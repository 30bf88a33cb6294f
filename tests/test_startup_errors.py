"""`atiende serve` start-up errors: one line naming the cause, exit 2, and no banner."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.servers.ports import free_port
from tests.servers.serve_env import serve_env

REPO = Path(__file__).resolve().parents[1]
ATIENDE = REPO / ".venv" / "bin" / "atiende"
BANNER = "Atiende is listening"


def serve(tmp_path: Path, **changes: object) -> subprocess.CompletedProcess[str]:
    """Run `atiende serve` with config.yaml changed as given (section.key=value)."""
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data["database"]["url"] = f"sqlite:///{tmp_path / 'atiende.db'}"
    data["kb"]["path"] = str(REPO / "kb" / "articles")
    data["http"]["port"] = free_port()
    data["channels"]["email"]["smtp_inbound"]["port"] = free_port()
    for dotted, value in changes.items():
        *path, key = dotted.split("__")
        target = data
        for part in path:
            target = target[part]
        target[key] = value
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return subprocess.run([str(ATIENDE), "serve"], cwd=tmp_path, env=serve_env({}), text=True,
                          capture_output=True, timeout=60)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and BANNER not in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("atiende: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock.getsockname()[1]


@pytest.mark.parametrize(("url", "expected"), [
    ("mysql://user@127.0.0.1/atiende", "database.url: mysql is not supported"),
    ("sqlite:////nonexistent-folder/sub/atiende.db",
     "database.url: the folder /nonexistent-folder/sub does not exist"),
    ("postgresql+psycopg://postgres:secret@127.0.0.1:1/test",
     "database.url: cannot use postgresql+psycopg://postgres:***@127.0.0.1:1/test"),
])
def test_a_database_that_cannot_be_used_is_one_line(tmp_path: Path, url: str,
                                                    expected: str) -> None:
    line = one_line_error(serve(tmp_path, database__url=url))
    assert line.startswith(f"atiende: {expected}"), line
    assert "secret" not in line


def test_an_http_port_in_use_is_one_line_and_no_banner(tmp_path: Path, busy_port: int) -> None:
    line = one_line_error(serve(tmp_path, http__port=busy_port))
    assert line == (f"atiende: http.port: cannot listen on 127.0.0.1:{busy_port}: "
                    f"Address already in use")


def test_an_smtp_port_in_use_is_one_line_and_no_banner(tmp_path: Path, busy_port: int) -> None:
    line = one_line_error(serve(tmp_path, channels__email__smtp_inbound__port=busy_port))
    assert line == (f"atiende: channels.email.smtp_inbound.port: cannot listen on "
                    f"127.0.0.1:{busy_port}: Address already in use")

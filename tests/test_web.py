"""HTTP over real sockets: /healthz, /metrics, 404s, in a thread and from `atiende serve`."""

from __future__ import annotations

import queue
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
import yaml
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot.app import Runtime, build_context
from bot.cli.chat import ChatSession
from bot.config.root import AtiendeConfig
from bot.store.db import make_engine, make_session_factory
from bot.web.app import create_web_app
from tests.fakes.loopback import LoopbackServer
from tests.servers.ports import free_port
from tests.servers.serve_env import serve_env

REPO = Path(__file__).resolve().parents[1]
ATIENDE = REPO / ".venv" / "bin" / "atiende"
KB_ARTICLES = len(list((REPO / "kb" / "articles").glob("*.md")))


def serve_in_thread(runtime: Runtime) -> Iterator[str]:
    """uvicorn on an already-listening 127.0.0.1 socket, so requests queue until it is up."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    config = uvicorn.Config(create_web_app(runtime), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
    assert not thread.is_alive(), "uvicorn did not shut down"


@pytest.fixture
def base_url(runtime: Runtime) -> Iterator[str]:
    yield from serve_in_thread(runtime)


def test_healthz_reports_database_and_kb(base_url: str) -> None:
    response = httpx.get(f"{base_url}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "kb_articles": KB_ARTICLES}
    assert KB_ARTICLES > 0


def test_metrics_is_prometheus_text_with_our_counters(base_url: str, chat: ChatSession) -> None:
    chat.send("¿Cuál es el horario de atención?")
    response = httpx.get(f"{base_url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'atiende_inbound_messages_total{channel="console"}' in response.text


def test_an_unknown_route_is_404(base_url: str) -> None:
    assert httpx.get(f"{base_url}/nope", timeout=10).status_code == 404


def test_healthz_only_answers_get(base_url: str) -> None:
    assert httpx.post(f"{base_url}/healthz", timeout=10).status_code == 405


def test_healthz_is_503_when_the_database_is_unreachable(config: AtiendeConfig) -> None:
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=2")
    runtime = Runtime(config, engine, make_session_factory(engine), build_context(config))
    for url in serve_in_thread(runtime):
        response = httpx.get(f"{url}/healthz", timeout=10)
        assert response.status_code == 503
        assert response.json() == {"status": "degraded", "database": "unreachable",
                                   "kb_articles": KB_ARTICLES}


# --- the same routes from the real `atiende serve` process -----------------------------------

def wait_for_line(stream: queue.Queue[str], needle: str) -> None:
    """Read the server's log until `needle`; a silent 30 s or an exit fails the test."""
    while True:
        line = stream.get(timeout=30)
        if line == "":
            pytest.fail(f"atiende serve exited before logging {needle!r}")
        if needle in line:
            return


def pump(proc: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    """Copy the server's stderr into `lines`, then "" at its end."""
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.put(line)
    lines.put("")


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data["database"]["url"] = db_url
    data["kb"]["path"] = str(REPO / "kb" / "articles")
    data["http"].update(port=port, public_url=f"http://127.0.0.1:{port}")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    proc = subprocess.Popen([str(ATIENDE), "serve"], cwd=tmp_path, env=serve_env({}), text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=pump, args=(proc, lines), daemon=True).start()
    try:
        wait_for_line(lines, "Uvicorn running on")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_serve_answers_healthz(served: str) -> None:
    response = httpx.get(f"{served}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "kb_articles": KB_ARTICLES,
                               "channels": {"email": "ok", "web": "ok"}}


def test_serve_exposes_our_counters_before_any_message(served: str) -> None:
    response = httpx.get(f"{served}/metrics", timeout=10)
    assert response.status_code == 200
    assert "atiende_inbound_messages" in response.text


def test_channel_routes_are_matched_before_the_pages(runtime: Runtime) -> None:
    """Webhooks are the hot path: Starlette tries routes in order, so they come first, and
    the pages' routes still answer."""
    async def webhook(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("hook")

    app = create_web_app(runtime, [Route("/webhooks/test", webhook, methods=["POST"])])
    assert next(getattr(route, "path", None) for route in app.routes) == "/webhooks/test"
    with LoopbackServer(app) as server:
        assert httpx.post(f"{server.url}/webhooks/test", timeout=10).text == "hook"
        assert httpx.get(f"{server.url}/healthz", timeout=10).json()["database"] == "ok"

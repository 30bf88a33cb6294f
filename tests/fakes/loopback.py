"""Serve an ASGI app with uvicorn on a free 127.0.0.1 port, in a thread, for tests and benches."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvicorn

T = TypeVar("T")


class LoopbackServer:
    """uvicorn on an already-listening socket; `run()` executes coroutines on its loop."""

    def __init__(self, app: Any, lifespan: str = "on", graceful_s: float = 10) -> None:
        # proto given: asyncio sets TCP_NODELAY only on sockets whose proto is TCP (a bare
        # socket() has 0), and without it a kept-alive response waits 40 ms for a delayed ACK
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(512)
        self.port: int = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", lifespan=lifespan,
                                timeout_graceful_shutdown=graceful_s)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)
        self.loop: asyncio.AbstractEventLoop | None = None

    def start(self, timeout: float = 30) -> LoopbackServer:
        """Start and wait until startup (the app's lifespan included) has completed."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start (see the log above)")
            time.sleep(0.005)
        self.loop = self.server.servers[0].get_loop()
        return self

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine on the server's event loop and wait for its result."""
        assert self.loop is not None, "start() the server first"
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.sock.close()
        if self.thread.is_alive():
            raise RuntimeError("uvicorn did not shut down")

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

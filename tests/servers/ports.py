"""Free loopback ports for the servers tests and benchmarks start."""

from __future__ import annotations

import socket
import subprocess
import time


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(proc: subprocess.Popen[bytes], url: str, what: str,
                  attempts: int = 600) -> subprocess.Popen[bytes]:
    """Return `proc` once `url` answers at all; kill it and exit if it never does."""
    import httpx

    for _ in range(attempts):
        try:
            httpx.get(url, timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"{what} did not start")

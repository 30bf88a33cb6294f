"""Watch each worker's /healthz in a thread: the sequence of database states it reported."""

from __future__ import annotations

import threading
import time

import httpx

from tests.servers.serve_workers import Worker


def database_state(url: str) -> str:
    """"ok", "unreachable" (a 503 naming the database) or "no answer"."""
    try:
        response = httpx.get(f"{url}/healthz", timeout=10)
    except httpx.TransportError:
        return "no answer"
    if response.status_code == 503:
        return str(response.json().get("database"))
    return "ok" if response.status_code == 200 else f"http {response.status_code}"


class HealthWatch:
    """Polls every worker; `states[i]` keeps worker i's answers with repeats collapsed."""

    def __init__(self, workers: list[Worker], every: float = 0.1) -> None:
        self.workers = workers
        self.every = every
        self.states: dict[int, list[str]] = {w.index: [] for w in workers}
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.poll, daemon=True)

    def __enter__(self) -> HealthWatch:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)

    def poll(self) -> None:
        while not self.stopping.is_set():
            for worker in self.workers:
                self.record(worker.index, database_state(worker.url))
            self.stopping.wait(self.every)

    def record(self, index: int, state: str) -> None:
        with self.changed:
            seen = self.states[index]
            if not seen or seen[-1] != state:
                seen.append(state)
                self.changed.notify_all()

    def wait_all(self, state: str, timeout: float) -> float | None:
        """Seconds until every worker's latest answer is `state`; None past the deadline."""
        started = time.monotonic()
        with self.changed:
            ok = self.changed.wait_for(
                lambda: all(s and s[-1] == state for s in self.states.values()), timeout)
        return time.monotonic() - started if ok else None

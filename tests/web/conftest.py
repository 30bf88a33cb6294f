"""Inbox fixtures: Atiende's app on a real 127.0.0.1 socket, invited agents, signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from bot.app import Runtime
from bot.store.db import transaction
from bot.web.agent.accounts import invite
from bot.web.app import create_web_app
from tests.fakes.loopback import LoopbackServer

PASSWORD = "correct horse battery"
ANA = "ana@example.com"
LUIS = "luis@example.com"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Inbox:
    url: str
    runtime: Runtime

    def invite(self, email: str) -> str:
        """The one-time link's path, as `atiende agents invite` makes it."""
        with transaction(self.runtime.factory) as session:
            token = invite(session, self.runtime.config, email, self.runtime.clock.now())
        return f"/agent/invite/{token}"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, follow_redirects=False)

    def signed_in(self, email: str = ANA) -> httpx.Client:
        """A client that took the invite, chose PASSWORD and is signed in."""
        client = self.client()
        link = self.invite(email)
        token = csrf_of(client.get(link))
        answer = client.post(link, data={"csrf": token, "password": PASSWORD,
                                         "confirm": PASSWORD})
        assert answer.status_code == 303, answer.text
        return client


def csrf_of(response: httpx.Response) -> str:
    found = CSRF.search(response.text)
    assert found, f"no CSRF field in {response.status_code} {response.text[:200]}"
    return found.group(1)


@pytest.fixture
def inbox(runtime: Runtime) -> Iterator[Inbox]:
    with LoopbackServer(create_web_app(runtime)) as server:
        yield Inbox(server.url, runtime)

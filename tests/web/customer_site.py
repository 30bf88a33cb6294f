"""Helpers for the customers' pages' tests: the app on 127.0.0.1, mails read from the outbox,
a ticket sent and confirmed through the form, a signed-in customer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.app import Runtime
from bot.store.models import OutboxItem, Ticket
from bot.web.app import create_web_app
from tests.fakes.loopback import LoopbackServer

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r"https?://\S+")
NOTICE_NUMBER = re.compile(r'id="notice">[^<]*#(\d+)')
FORM = {"email": "maria@cliente.co", "name": "María Pérez", "category": "technical",
        "priority": "high", "title": "No puedo exportar el informe",
        "description": "Al exportar a PDF sale un error 500.", "module": "Informes",
        "browser": "Firefox 130 / Windows 11"}


def csrf_of(response: httpx.Response) -> str:
    found = CSRF.search(response.text)
    assert found, f"no CSRF field in {response.status_code} {response.text[:300]}"
    return found.group(1)


def number_in(page: str) -> int:
    """The ticket number the confirmation page announces."""
    found = NOTICE_NUMBER.search(page)
    assert found, page[:300]
    return int(found.group(1))


@dataclass
class Site:
    url: str
    runtime: Runtime

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, follow_redirects=False)

    def mails(self, kind: str, to: str | None = None) -> list[OutboxItem]:
        with self.runtime.factory() as session:
            stmt = select(OutboxItem).order_by(OutboxItem.id)
            rows = [row for row in session.scalars(stmt) if row.payload.get("kind") == kind]
            return [row for row in rows if to is None or row.recipient == to]

    def link_in(self, kind: str, to: str) -> str:
        """The path of the link in the latest mail of `kind` to `to`."""
        found = self.mails(kind, to)
        assert found, f"no {kind} mail to {to}"
        url = LINK.findall(found[-1].payload["text"])[0]
        return "/" + url.split("/", 3)[3]

    def tickets(self) -> list[Ticket]:
        with self.runtime.factory() as session:
            found = list(session.scalars(select(Ticket).order_by(Ticket.id)))
            session.expunge_all()
            return found

    def send_form(self, client: httpx.Client, files: Any = None,
                  **changes: str) -> httpx.Response:
        token = csrf_of(client.get("/tickets/new"))
        return client.post("/tickets/new", data={**FORM, **changes, "csrf": token},
                           files=files)

    def open_ticket(self, client: httpx.Client, files: Any = None, **changes: str) -> int:
        """Send the form and confirm it from the mailed link; the new ticket's number."""
        sent = self.send_form(client, files, **changes)
        assert sent.status_code == 202, sent.text
        link = self.link_in("web_ticket_confirm", changes.get("email", FORM["email"]))
        confirmed = client.post(link, data={"csrf": csrf_of(client.get(link))})
        assert confirmed.status_code == 200, confirmed.text
        return number_in(confirmed.text)

    def signed_in(self, email: str = FORM["email"]) -> httpx.Client:
        client = self.client()
        asked = client.post("/my/sign-in", data={"email": email,
                                                 "csrf": csrf_of(client.get("/my/"))})
        assert asked.status_code == 200, asked.text
        link = self.link_in("customer_sign_in", email)
        taken = client.post(link, data={"csrf": csrf_of(client.get(link))})
        assert taken.status_code == 303, taken.text
        return client


@pytest.fixture(name="site")
def site_fixture(runtime: Runtime) -> Iterator[Site]:
    """Import `site_fixture` into a test module to use the `site` fixture."""
    with LoopbackServer(create_web_app(runtime)) as server:
        yield Site(server.url, runtime)

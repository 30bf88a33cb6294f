"""The list (tabs, filters, SLA colours), live events, the report page and `atiende agents`."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from bot.cli.chat import ChatSession
from bot.store.db import transaction
from bot.store.models import Ticket
from scheduler.clock import FixedClock
from tests.test_cli import atiende, write_config
from tests.web.conftest import ANA, LUIS, Inbox, csrf_of

ROW = re.compile(r'class="row ([^"]*)" href="/agent/tickets/(\d+)"')


def rows(page: httpx.Response) -> dict[int, str]:
    """Ticket number → the row's CSS classes (the SLA colour)."""
    return {int(number): classes for classes, number in ROW.findall(page.text)}


def three_tickets(inbox: Inbox) -> list[int]:
    numbers = []
    for who, text in (("console:ana", "Quiero hablar con un agente: la factura llegó doble"),
                      ("console:beto", "Necesito un agente, no puedo entrar a mi cuenta"),
                      ("console:caro", "Hablar con un asesor: el reporte de ventas falla")):
        numbers.append(ChatSession(inbox.runtime, who, who.split(":")[1]).send(text)["ticket"])
    assert None not in numbers
    return numbers


def set_fields(inbox: Inbox, number: int, **values: object) -> None:
    with transaction(inbox.runtime.factory) as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        for name, value in values.items():
            setattr(ticket, name, value)


def test_tabs_mine_unassigned_and_all(inbox: Inbox) -> None:
    first, second, third = three_tickets(inbox)
    set_fields(inbox, first, assignee=ANA)
    set_fields(inbox, second, assignee=LUIS)
    client = inbox.signed_in(ANA)
    assert set(rows(client.get("/agent/?tab=mine"))) == {first}
    assert set(rows(client.get("/agent/?tab=unassigned"))) == {third}
    assert set(rows(client.get("/agent/?tab=all"))) == {first, second, third}


def test_filters_status_priority_category_channel_vip(inbox: Inbox) -> None:
    first, second, third = three_tickets(inbox)
    set_fields(inbox, first, priority="critical", category="billing", vip=True)
    set_fields(inbox, second, status="waiting_customer", priority="low", category="account")
    client = inbox.signed_in(ANA)
    assert set(rows(client.get("/agent/rows?priority=critical"))) == {first}
    assert set(rows(client.get("/agent/rows?category=account"))) == {second}
    assert set(rows(client.get("/agent/rows?status=waiting_customer"))) == {second}
    assert set(rows(client.get("/agent/rows?vip=1"))) == {first}
    assert set(rows(client.get("/agent/rows?channel=console"))) == {first, second, third}
    assert rows(client.get("/agent/rows?channel=whatsapp")) == {}
    assert set(rows(client.get("/agent/rows?priority=bogus"))) == {first, second, third}


def test_sla_due_soon_and_breached_filters_and_colours(inbox: Inbox, clock: FixedClock) -> None:
    first, second, third = three_tickets(inbox)
    now = clock.now()
    set_fields(inbox, first, first_response_due_at=now - timedelta(minutes=5))
    set_fields(inbox, second, first_response_due_at=now + timedelta(minutes=20))
    set_fields(inbox, third, first_response_due_at=now + timedelta(days=3))
    client = inbox.signed_in(ANA)
    assert set(rows(client.get("/agent/rows?sla=breached"))) == {first}
    assert set(rows(client.get("/agent/rows?sla=soon"))) == {second}
    classes = rows(client.get("/agent/"))
    assert "sla-yellow" in classes[first]                     # past its due time
    assert "sla-soon" in classes[second] and "sla-blue" in classes[second]   # due today, soon
    assert "sla-green" in classes[third]                      # due later
    assert list(classes) == [first, second, third]            # most urgent first


def test_each_row_shows_customer_channel_subject_last_message_and_wait(inbox: Inbox) -> None:
    first, _, _ = three_tickets(inbox)
    page = inbox.signed_in(ANA).get("/agent/")
    row = page.text[page.text.index(f'href="/agent/tickets/{first}"'):]
    row = row[:row.index("</a>")]
    assert "ana" in row and 'title="console"' in row
    assert "factura llegó doble" in row
    assert "Esperando 0 min" in row   # the customer wrote at the (fixed) current time


def test_live_events_announce_a_change_to_a_ticket(inbox: Inbox, chat: ChatSession) -> None:
    number = chat.send("Quiero hablar con un agente: la factura llegó doble")["ticket"]
    client = inbox.signed_in(ANA)
    with client.stream("GET", f"/agent/events?ticket={number}", timeout=10) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        other = inbox.signed_in(LUIS)
        other_token = csrf_of(other.get(f"/agent/tickets/{number}"))
        other.post(f"/agent/tickets/{number}/note", data={"csrf": other_token,
                                                           "text": "lo miro yo"})
        other.close()
        seen = []
        for line in lines:
            seen.append(line)
            if line == "event: changed":
                break
    assert seen[-1] == "event: changed"


def test_the_report_page_and_its_downloads(inbox: Inbox, chat: ChatSession) -> None:
    chat.send("Quiero hablar con un agente: la factura llegó doble")
    client = inbox.signed_in(ANA)
    page = client.get("/agent/report")
    assert page.status_code == 200
    assert "<svg" in page.text and "Backlog aging" in page.text
    csv = client.get("/agent/report.csv?since=7d")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "backlog" in csv.text.lower()
    xlsx = client.get("/agent/report.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/agent/report?since=forever").status_code == 400


def test_canned_responses_fill_in_the_name_and_ticket(inbox: Inbox, chat: ChatSession) -> None:
    """The sample folder canned/ (config inbox.canned_path) holds saludo.md."""
    number = chat.send("Quiero hablar con un agente: la factura llegó doble")["ticket"]
    page = inbox.signed_in(ANA).get(f"/agent/tickets/{number}")
    assert (f'value="Hola Ana Pérez, soy parte del equipo de soporte. Ya estoy revisando su '
            f'ticket #{number} ') in page.text
    assert ">Saludo y revisión</option>" in page.text
    assert "{nombre}" not in page.text and "{ticket}" not in page.text


def test_agents_invite_prints_the_link_last(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = atiende(tmp_path, "agents", "invite", "Ana@Example.com", "--config", str(config))
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/agent/invite/[A-Za-z0-9_-]{40,}", last)
    listed = atiende(tmp_path, "agents", "list", "--config", str(config))
    assert "ana@example.com" in listed.stdout and "invited" in listed.stdout


def test_agents_invite_refuses_someone_not_in_config(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = atiende(tmp_path, "agents", "invite", "nadie@example.com", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "nadie@example.com" in result.stderr


def test_a_full_page_shows_100_rows_most_urgent_first_and_counts_them_all(inbox: Inbox) -> None:
    from bench.inbox_list import seed

    seed(inbox.runtime.factory, 130, 2)   # the benchmark's tickets: due times spread
    page = inbox.signed_in(ANA).get("/agent/")
    shown = [int(n) for _, n in ROW.findall(page.text)]
    assert len(shown) == 100
    assert "100 mostrados de 130" in page.text
    with inbox.runtime.factory() as session:
        due = dict(session.execute(select(Ticket.number, Ticket.first_response_due_at)).all())
    assert [due[n] for n in shown] == sorted(due[n] for n in shown)
    assert max(due[n] for n in shown) <= min(due[n] for n in set(due) - set(shown))
    tab = inbox.signed_in(ANA).get("/agent/?tab=mine")
    assert "0 mostrados de 0" in tab.text or "No hay tickets" in tab.text

"""A status notice ("waiting on you") on WhatsApp: free text inside the 24 h window; outside
it, held until the customer writes, or sent with the agent_reply template when one is set."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.config.root import AtiendeConfig
from bot.desk.agent_commands import AgentCommand, apply_command
from bot.store.db import transaction
from bot.store.models import Ticket
from scheduler.clock import FixedClock
from tests.channels import test_whatsapp_window as window
from tests.channels.conftest import Live
from tests.fakes.twilio_api import FakeTwilio


def set_waiting(live: Live, ticket: Ticket, clock: FixedClock) -> None:
    with transaction(live.runtime.factory) as session:
        found = session.get(Ticket, ticket.id)
        assert found is not None
        apply_command(session, live.runtime.ctx.desk, found, "luis@example.com",
                      AgentCommand("status", "waiting_customer"), clock.now())


def notice_rows(live: Live) -> list[str]:
    return [item.status for item in live.outbox("whatsapp")
            if item.payload.get("kind") == "ticket_waiting_on_you"]


def test_inside_the_window_the_notice_goes_as_free_text(
        live: Live, clock: FixedClock, twilio_api: FakeTwilio) -> None:
    ticket = window.open_ticket(live)
    clock.advance(timedelta(hours=2))
    set_waiting(live, ticket, clock)
    assert live.dispatch() == 1
    body = twilio_api.messages[-1].one("Body") or ""
    assert body.startswith("Tu ticket #1 (Nos debitaron dos veces")
    assert "Luis necesita más información tuya" in body


def test_outside_the_window_without_a_template_the_notice_is_held(
        live: Live, clock: FixedClock, twilio_api: FakeTwilio) -> None:
    ticket = window.open_ticket(live)
    sent_before = len(twilio_api.messages)
    clock.advance(timedelta(hours=30))
    set_waiting(live, ticket, clock)
    assert live.dispatch() == 0
    assert notice_rows(live) == ["held"]
    assert len(twilio_api.messages) == sent_before


class TestWithTemplates:
    @pytest.fixture
    def config(self, config: AtiendeConfig) -> AtiendeConfig:
        return window.with_templates(config)

    def test_outside_the_window_the_notice_uses_the_agent_reply_template(
            self, live: Live, clock: FixedClock, twilio_api: FakeTwilio) -> None:
        ticket = window.open_ticket(live)
        clock.advance(timedelta(hours=30))
        set_waiting(live, ticket, clock)
        assert live.dispatch() == 1
        last = twilio_api.messages[-1]
        assert last.one("ContentSid") == window.AGENT_REPLY_SID
        variables = json.loads(last.one("ContentVariables") or "")
        assert variables["1"] == str(ticket.number)
        assert "está esperando tu respuesta" in variables["2"]
        assert notice_rows(live) == ["sent"]

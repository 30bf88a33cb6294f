"""Rating buttons on Telegram through the real webhook: the ⭐ keyboard out, a tap in."""

from __future__ import annotations

from sqlalchemy import select

from bot.desk.agent_commands import AgentCommand, apply_command
from bot.store.db import transaction
from bot.store.models import Rating, Ticket
from tests.channels.conftest import Live
from tests.channels.test_telegram_transcripts import ANA, BILLING_PROBLEM, buttons, tap, turn
from tests.fakes.clients import telegram_message
from tests.fakes.telegram_api import FakeTelegram

STARS = ["⭐", "⭐⭐", "⭐⭐⭐", "⭐⭐⭐⭐", "⭐⭐⭐⭐⭐"]


def resolve(live: Live, telegram_api: FakeTelegram) -> list[dict[str, object]]:
    with transaction(live.runtime.factory) as session:
        ticket = session.scalars(select(Ticket)).one()
        apply_command(session, live.runtime.ctx.desk, ticket, "ana@example.com",
                      AgentCommand("resolve"), live.runtime.clock.now())
    before = len(telegram_api.sent())
    live.dispatch()
    return telegram_api.sent()[before:]


def test_a_tap_on_the_star_keyboard_rates_the_ticket(live: Live,
                                                     telegram_api: FakeTelegram) -> None:
    turn(live, telegram_api, telegram_message(BILLING_PROBLEM, user=ANA))
    resolved, request = resolve(live, telegram_api)
    assert "Marcamos tu ticket #1" in str(resolved["text"])
    assert str(request["text"]).startswith("¿Cómo calificarías la atención de tu ticket #1")
    assert [button["text"] for row in buttons(request) for button in row] == STARS
    [thanks] = turn(live, telegram_api, tap(request, "⭐⭐⭐⭐", ANA))
    assert str(thanks["text"]).startswith("¡Gracias por calificar el ticket #1 con ⭐⭐⭐⭐ (4/5)!")
    [done] = turn(live, telegram_api, telegram_message("no", user=ANA))
    assert done["text"] == "Entendido. ¡Gracias por calificarnos!"
    with live.runtime.factory() as session:
        rating = session.scalars(select(Rating)).one()
        ticket = session.scalars(select(Ticket)).one()
    assert (rating.score, rating.channel, ticket.status) == (4, "telegram", "resolved")

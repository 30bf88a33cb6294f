"""Agents acting from a chat (WhatsApp, Telegram): '#ack 12', '#resolve 12', '#priority 12 high'."""

from __future__ import annotations

import re

from bot.config.root import AgentConfig, AtiendeConfig
from bot.desk import agent_commands
from bot.desk.agent_commands import AgentCommand, CommandError
from bot.engine.turn import Turn
from bot.store.models import Ticket

CHAT_COMMAND = re.compile(r"^\s*#(?P<name>[a-z]+)\s+#?(?P<number>\d+)\s*(?P<argument>.*)$", re.I)


def find_agent_by_address(config: AtiendeConfig, address: str) -> AgentConfig | None:
    """The configured agent who owns this chat or email address, if any."""
    wanted = address.lower()
    for agent in config.agents:
        owned = {agent.email.lower(), (agent.whatsapp or "").lower(),
                 (agent.telegram or "").lower()}
        if wanted in owned:
            return agent
    return None


def handle_agent_command(turn: Turn) -> bool:
    """A '#command N' line from an agent's own address acts on ticket N; False otherwise."""
    agent = find_agent_by_address(turn.ctx.config, turn.message.sender)
    found = CHAT_COMMAND.match(turn.text)
    if agent is None or found is None:
        return False
    ticket = turn.session.query(Ticket).filter(Ticket.number == int(found["number"])).first()
    command = AgentCommand(found["name"].lower(), found["argument"].strip())
    try:
        if ticket is None:
            raise CommandError(f"no ticket #{found['number']}")
        agent_commands.apply_command(turn.session, turn.desk, ticket, agent.email, command,
                                     turn.now)
    except CommandError as exc:
        turn.say_text(f"✗ {exc}")
        return True
    turn.ticket = ticket
    turn.say_text(f"✓ #{command.name} → ticket #{ticket.number}: {ticket.status}, "
                  f"{ticket.priority}, level {ticket.level}")
    turn.decide("agent_command", detail=f"{agent.email} #{command.name}", ticket=ticket)
    return True

"""`atiende chat`: the console channel, interactive in a terminal or as JSON lines in batch."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bot.app import Runtime
from bot.desk.tickets import find_open_ticket
from bot.engine.outbox import Dispatcher
from bot.engine.sink import EngineSink
from bot.store.db import transaction
from bot.store.models import Contact
from channels.base import OutboundMessage
from channels.console import CHANNEL, ConsoleChannel, console_address, console_message

HISTORY_FILE = Path.home() / ".atiende_chat_history"


@dataclass
class ChatSession:
    """One customer talking to the engine through the console channel."""

    runtime: Runtime
    address: str
    name: str | None = None
    delivered: list[OutboundMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.address = console_address(self.address)
        self.sink = EngineSink(self.runtime.factory, self.runtime.ctx)
        self.dispatcher = Dispatcher(self.runtime.factory,
                                     {CHANNEL: ConsoleChannel(self.delivered.append)})

    def mark_vip(self) -> None:
        """`--vip`: this console contact is treated as a VIP customer."""
        from bot.engine.contacts import find_or_create_contact

        with transaction(self.runtime.factory) as session:
            contact = find_or_create_contact(session, self.runtime.config, CHANNEL, self.address,
                                             self.name, self.runtime.clock.now())
            contact.vip = True

    def send(self, text: str) -> dict[str, Any]:
        """One customer line in; the replies and ticket state out (the batch contract)."""
        inbound = console_message(self.address, self.name, text, self.runtime.clock.now())
        self.sink.accept_now(inbound)
        result = next(iter(self.sink.route_accepted()), None)
        self.delivered.clear()
        asyncio.run(self.dispatcher.deliver_due(self.runtime.clock.now()))
        ticket, status = self.current_ticket(result.ticket_number if result else None,
                                             result.ticket_status if result else None)
        return {"replies": [{"text": m.text, "buttons": list(m.buttons)} for m in self.delivered],
                "ticket": ticket, "ticket_status": status,
                "lang": result.lang if result else None}

    def current_ticket(self, number: int | None,
                       status: str | None) -> tuple[int | None, str | None]:
        if number is not None:
            return number, status
        from bot.engine.contacts import find_contact

        with self.runtime.factory() as session:
            contact: Contact | None = find_contact(session, CHANNEL, self.address)
            ticket = find_open_ticket(session, contact.id) if contact else None
            return (ticket.number, ticket.status) if ticket else (None, None)


def parse_batch_line(line: str) -> str:
    """A batch line is a JSON string, an object with "text"/"q", or plain text."""
    stripped = line.rstrip("\n")
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError:
        return stripped
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("text") or value.get("q") or "")
    return stripped


def run_batch(chat: ChatSession, lines: Iterable[str], out: IO[str]) -> None:
    for line in lines:
        if not line.strip():
            continue
        out.write(json.dumps(chat.send(parse_batch_line(line)), ensure_ascii=False) + "\n")
        out.flush()


def run_interactive(chat: ChatSession) -> None:
    from rich.console import Console

    console = Console()
    enable_history()
    console.print(f"[dim]Chatting as {chat.address} — type your message, Ctrl-D to quit.[/dim]")
    while True:
        try:
            text = console.input("[bold cyan]tú ›[/bold cyan] ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if text.strip():
            show_turn(console, chat.send(text))


def show_turn(console: Any, result: dict[str, Any]) -> None:
    for reply in result["replies"]:
        console.print(f"[green]bot ›[/green] {escape(reply['text'])}")
        if reply["buttons"]:
            chips = "  ".join(f"[reverse] {button} [/reverse]" for button in reply["buttons"])
            console.print(f"      {chips}")
    if result["ticket"]:
        console.print(f"[dim]      ticket #{result['ticket']} · {result['ticket_status']}[/dim]")


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def enable_history() -> None:
    try:
        import readline
    except ImportError:  # not on every platform
        return
    with contextlib.suppress(OSError):
        readline.read_history_file(HISTORY_FILE)

    atexit.register(readline.write_history_file, HISTORY_FILE)

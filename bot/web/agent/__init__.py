"""The agents' web inbox at /agent/: sign-in, the list, conversations, actions, live events.

A client of the engine like a channel: it calls the functions the email relay and the
`#commands` call (bot.relay, bot.agent_commands), so rules cannot drift.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from bot.app import Runtime
from bot.web.agent.acting import acting_routes
from bot.web.agent.auth import auth_routes
from bot.web.agent.core import Inbox
from bot.web.agent.events import event_routes
from bot.web.agent.files import file_routes
from bot.web.agent.pages import page_routes
from bot.web.agent.report import report_routes
from bot.web.agent.settings import settings_routes

STATIC = Path(__file__).resolve().parent.parent / "static"


def inbox_routes(runtime: Runtime) -> list[BaseRoute]:
    """/agent/… and its static files (htmx, the inbox's script and style)."""
    inbox = Inbox(runtime)
    routes = [*auth_routes(inbox), *page_routes(inbox), *acting_routes(inbox),
              *event_routes(inbox), *report_routes(inbox), *settings_routes(inbox),
              *file_routes(inbox),
              Mount("/static", StaticFiles(directory=STATIC), name="agent_static")]
    return [Mount("/agent", routes=routes)]

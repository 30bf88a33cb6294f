"""The help center at /help/: the KB's articles, search with the bot's matcher, feedback.

A client of the engine's records like the agents' inbox: it reads the loaded KB and writes
the same `kb_feedback` rows as a chat's "¿Te ayudó?".
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount

from bot.app import Runtime
from bot.web.help.center import HelpCenter
from bot.web.help.pages import HelpPages


def help_routes(runtime: Runtime) -> list[BaseRoute]:
    return [Mount("/help", routes=HelpPages(HelpCenter(runtime)).routes())]

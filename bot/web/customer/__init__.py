"""The customers' web pages: create a ticket (/tickets/new, confirmed by mail) and follow
one's tickets at /my/ (sign-in by a one-time mailed link). A client of the desk like a
channel: tickets, messages, ratings go through bot.desk's own functions."""

from __future__ import annotations

from starlette.routing import BaseRoute

from bot.app import Runtime
from bot.web.customer.core import Portal
from bot.web.customer.my_actions import action_routes
from bot.web.customer.my_pages import page_routes, sign_in_routes
from bot.web.customer.new_pages import new_routes


def customer_routes(runtime: Runtime) -> list[BaseRoute]:
    """/tickets/… and /my/… (none when `customer_web.enabled` is false)."""
    if not runtime.config.customer_web.enabled:
        return []
    portal = Portal(runtime)
    return [*new_routes(portal), *sign_in_routes(portal), *page_routes(portal),
            *action_routes(portal)]

"""The one-time invite link as an agent receives it: the URL, and the email that carries it.

Shared by `atiende agents invite` and the supervisors' agents page.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.config.root import AtiendeConfig
from bot.engine import outbox

INVITE_KIND = "agent_invite"


def invite_link(config: AtiendeConfig, token: str) -> str:
    return f"{config.http.public_url.rstrip('/')}/agent/invite/{token}"


def mail_invite(session: Session, config: AtiendeConfig, email: str, link: str,
                now: datetime) -> bool:
    """Queue the link to the agent by email when the email channel is configured."""
    if config.channels.email is None:
        return False
    hours = config.inbox.invite_hours
    text = (f"Atiende: choose your password for the agents' inbox (link valid {hours} h):\n"
            f"{link}\n\nAtiende: elija su contraseña para la bandeja de agentes (enlace "
            f"válido {hours} h):\n{link}\n")
    outbox.enqueue(session, channel="email", recipient=email, text=text, kind=INVITE_KIND,
                   subject="Atiende: your inbox sign-in link", now=now)
    return True

"""`atiende agents …`: invite an agent to the web inbox (one-time link), list sign-in state."""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from bot.app import Runtime
from bot.cli.base import config_option, open_runtime, user_errors
from bot.engine import outbox
from bot.errors import ConfigError
from bot.store.db import transaction
from bot.web.agent.accounts import AccountError, find_account, invite

INVITE_KIND = "agent_invite"


def invite_link(runtime: Runtime, token: str) -> str:
    return f"{runtime.config.http.public_url.rstrip('/')}/agent/invite/{token}"


def mail_invite(session: Session, runtime: Runtime, email: str, link: str) -> bool:
    """Queue the link to the agent by email when the email channel is configured."""
    if runtime.config.channels.email is None:
        return False
    hours = runtime.config.inbox.invite_hours
    text = (f"Atiende: choose your password for the agents' inbox (link valid {hours} h):\n"
            f"{link}\n\nAtiende: elija su contraseña para la bandeja de agentes (enlace "
            f"válido {hours} h):\n{link}\n")
    outbox.enqueue(session, channel="email", recipient=email, text=text, kind=INVITE_KIND,
                   subject="Atiende: your inbox sign-in link", now=runtime.clock.now())
    return True


@click.group()
def agents() -> None:
    """The agents' web inbox (/agent/): invitations and sign-in state."""


@agents.command("invite")
@click.argument("email")
@config_option
@user_errors
def agents_invite(email: str, config_path: str | None) -> None:
    """Print (and mail) a one-time link where EMAIL chooses a password; the link is the last
    line. A new invite replaces the previous link; the password stays until it is used."""
    runtime = open_runtime(config_path)
    with transaction(runtime.factory) as session:
        try:
            token = invite(session, runtime.config, email, runtime.clock.now())
        except AccountError as exc:
            raise ConfigError(f"agents: {exc}") from None
        link = invite_link(runtime, token)
        mailed = mail_invite(session, runtime, email.lower(), link)
    click.echo(f"Invitation for {email.lower()} (valid {runtime.config.inbox.invite_hours} h); "
               + ("also queued by email." if mailed else "email channel off: not mailed."))
    click.echo(link)


@agents.command("list")
@config_option
@user_errors
def agents_list(config_path: str | None) -> None:
    """Configured agents and whether each can sign in to the inbox."""
    runtime = open_runtime(config_path)
    now = runtime.clock.now()
    with runtime.factory() as session:
        for agent in runtime.config.agents:
            account = find_account(session, agent.email)
            state = ("password set" if account and account.password_hash else
                     "invited" if account and account.invite_hash else "not invited")
            if account and account.locked_until and account.locked_until > now:
                state += ", locked"
            role = "supervisor" if agent.supervisor else f"level {agent.level}"
            click.echo(f"{agent.email:<32} {agent.name:<16} {role:<12} {state}")

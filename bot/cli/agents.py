"""`atiende agents …`: invite an agent to the web inbox (one-time link), list sign-in state."""

from __future__ import annotations

import click

from bot.cli.base import config_option, open_runtime, user_errors
from bot.errors import ConfigError
from bot.store.db import transaction
from bot.web.agent.accounts import AccountError, find_account, invite
from bot.web.agent.invites import invite_link, mail_invite


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
        link = invite_link(runtime.config, token)
        mailed = mail_invite(session, runtime.config, email.lower(), link,
                             runtime.clock.now())
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

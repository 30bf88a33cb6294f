"""Agent sign-in records: one-time invites, argon2 password hashes, lock-out after failures."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config.desk import AgentConfig
from bot.config.root import AtiendeConfig
from bot.store.models import AgentAccount

HASHER = PasswordHasher()
MIN_PASSWORD = 10


class AccountError(Exception):
    """A sign-in or invite that cannot go ahead; the message is shown to the agent."""


@dataclass(frozen=True)
class SignIn:
    ok: bool
    reason: str = ""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_account(session: Session, email: str) -> AgentAccount | None:
    return session.get(AgentAccount, email.lower())


def account_for(session: Session, agent: AgentConfig, now: datetime) -> AgentAccount:
    """The agent's row, created on first use."""
    account = find_account(session, agent.email)
    if account is None:
        account = AgentAccount(email=agent.email.lower(), failed_logins=0, session_epoch=0,
                               created_at=now, updated_at=now)
        session.add(account)
    return account


def invite(session: Session, config: AtiendeConfig, email: str, now: datetime) -> str:
    """A new one-time token for a configured agent (any older link stops working)."""
    agent = config.find_agent(email)
    if agent is None:
        raise AccountError(f"{email} is not in config.yaml's agents:")
    account = account_for(session, agent, now)
    token = secrets.token_urlsafe(32)
    account.invite_hash = token_hash(token)
    account.invite_expires_at = now + timedelta(hours=config.inbox.invite_hours)
    account.updated_at = now
    return token


def find_invited(session: Session, token: str, now: datetime) -> AgentAccount | None:
    """The account a still-valid invite token belongs to."""
    account = session.scalars(select(AgentAccount).where(
        AgentAccount.invite_hash == token_hash(token))).first()
    if account is None or account.invite_expires_at is None or account.invite_expires_at < now:
        return None
    return account


def set_password(account: AgentAccount, password: str, confirm: str, now: datetime) -> None:
    """Use the invite: store the hash, end other sessions, clear the lock-out."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password_short:{MIN_PASSWORD}")
    if password != confirm:
        raise AccountError("password_mismatch")
    account.password_hash = HASHER.hash(password)
    account.invite_hash = None
    account.invite_expires_at = None
    account.failed_logins = 0
    account.locked_until = None
    account.session_epoch += 1
    account.updated_at = now


def check_password(session: Session, config: AtiendeConfig, email: str, password: str,
                   now: datetime) -> SignIn:
    """Verify a sign-in; repeated failures lock the account for a while."""
    account = find_account(session, email)
    if account is None or config.find_agent(email) is None or account.password_hash is None:
        HASHER.hash(password)  # same cost either way: no hint which addresses exist
        return SignIn(False, "bad_credentials")
    if account.locked_until is not None and account.locked_until > now:
        return SignIn(False, "locked")
    if not is_right(account.password_hash, password):
        record_failure(account, config, now)
        return SignIn(False, "locked" if account.locked_until else "bad_credentials")
    account.failed_logins = 0
    account.locked_until = None
    if HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = HASHER.hash(password)
    return SignIn(True)


def is_right(stored: str, password: str) -> bool:
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def record_failure(account: AgentAccount, config: AtiendeConfig, now: datetime) -> None:
    account.failed_logins += 1
    account.updated_at = now
    if account.failed_logins >= config.inbox.lockout_failures:
        account.locked_until = now + timedelta(minutes=config.inbox.lockout_minutes)
        account.failed_logins = 0

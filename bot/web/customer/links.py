"""One-time "my tickets" sign-in links: mailed to an address we know, used once, expiring."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config.root import AtiendeConfig
from bot.engine import outbox
from bot.store.models import CustomerSignIn
from bot.web.agent.accounts import token_hash
from bot.web.customer.mails import sign_in_mail
from bot.web.customer.mine import contact_of

LINK_PATH = "/my/link/"


def send_link(session: Session, config: AtiendeConfig, email: str, lang: str,
              now: datetime) -> bool:
    """Mail a sign-in link when the address belongs to a contact; False (and nothing sent)
    otherwise. The page says the same either way: no hint which addresses are customers."""
    if contact_of(session, email) is None:
        return False
    token = secrets.token_urlsafe(32)
    minutes = config.customer_web.sign_in_minutes
    session.add(CustomerSignIn(email=email, token_hash=token_hash(token), created_at=now,
                               expires_at=now + timedelta(minutes=minutes)))
    link = f"{config.http.public_url.rstrip('/')}{LINK_PATH}{token}"
    subject, text = sign_in_mail(lang, link, minutes)
    outbox.enqueue(session, channel="email", recipient=email, text=text, subject=subject,
                   kind="customer_sign_in", now=now)
    return True


def find_link(session: Session, token: str, now: datetime) -> CustomerSignIn | None:
    found = session.scalars(select(CustomerSignIn).where(
        CustomerSignIn.token_hash == token_hash(token)).with_for_update()).first()
    if found is None or found.used_at is not None or found.expires_at <= now:
        return None
    return found


def use_link(session: Session, token: str, now: datetime) -> str | None:
    """The address the link was sent to, once; None when it is unknown, used or expired."""
    found = find_link(session, token, now)
    if found is None:
        return None
    found.used_at = now
    return found.email

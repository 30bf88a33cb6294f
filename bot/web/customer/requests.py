"""Ticket requests from the web: stored with their files, confirmed from a mailed link.

One unconfirmed request per address at a time (a unique `pending_email`, cleared on
confirmation or when a newer request replaces an expired one).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config.root import AtiendeConfig
from bot.engine import outbox
from bot.store.models import WebTicketRequest, WebUpload
from bot.web.agent.accounts import token_hash
from bot.web.customer.mails import confirm_mail
from bot.web.customer.ticket_form import TicketForm
from bot.web.customer.uploads import FormRefused, Upload

CONFIRM_PATH = "/tickets/confirm/"


def submit(session: Session, config: AtiendeConfig, form: TicketForm, files: list[Upload],
           lang: str, ip: str, now: datetime) -> None:
    """Store the request and its files and queue the confirmation mail (one transaction)."""
    session.execute(update(WebTicketRequest)
                    .where(WebTicketRequest.pending_email == form.email,
                           WebTicketRequest.expires_at <= now)
                    .values(pending_email=None))
    token = secrets.token_urlsafe(32)
    hours = config.customer_web.confirm_hours
    request = WebTicketRequest(email=form.email, pending_email=form.email,
                               token_hash=token_hash(token), form=form.to_json(), language=lang,
                               ip=ip[:64], created_at=now, expires_at=now + timedelta(hours=hours))
    try:
        with session.begin_nested():
            session.add(request)
            session.flush()
    except IntegrityError:
        raise FormRefused("pending_exists", 409) from None
    for item in files:
        session.add(WebUpload(request_id=request.id, filename=item.filename,
                              content_type=item.content_type, size=len(item.data),
                              data=item.data, created_at=now))
    link = f"{config.http.public_url.rstrip('/')}{CONFIRM_PATH}{token}"
    subject, text = confirm_mail(lang, form.title, link, hours)
    outbox.enqueue(session, channel="email", recipient=form.email, text=text, subject=subject,
                   kind="web_ticket_confirm", now=now)


def find_request(session: Session, token: str, now: datetime) -> WebTicketRequest | None:
    """The request behind a confirmation link: unexpired, or already confirmed."""
    found = session.scalars(select(WebTicketRequest).where(
        WebTicketRequest.token_hash == token_hash(token)).with_for_update()).first()
    if found is None or (found.confirmed_at is None and found.expires_at <= now):
        return None
    return found


def uploads_of(session: Session, request: WebTicketRequest) -> list[WebUpload]:
    return list(session.scalars(select(WebUpload).where(WebUpload.request_id == request.id)
                                .order_by(WebUpload.id)))

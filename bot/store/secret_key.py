"""The deployment's secret key (signs agent reply addresses): the environment, else the database."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.models import Setting

log = logging.getLogger(__name__)
KEY_ENV = "ATIENDE_SECRET_KEY"
KEY_SETTING = "secret_key"


def signing_key(factory: sessionmaker[Session],
                environ: Mapping[str, str] | None = None) -> bytes:
    """ATIENDE_SECRET_KEY, else a key generated once and kept in the settings table."""
    value = (os.environ if environ is None else environ).get(KEY_ENV, "")
    if value:
        return value.encode()
    log.warning("%s is not set: using a generated key kept in the database; set it in "
                "production so reply addresses survive a database restore", KEY_ENV)
    with factory() as session:
        found = session.get(Setting, KEY_SETTING)
        if found is not None:
            return found.value.encode()
        session.add(Setting(key=KEY_SETTING, value=secrets.token_urlsafe(32)))
        try:
            session.commit()
        except IntegrityError:  # another process generated it first
            session.rollback()
        stored = session.get(Setting, KEY_SETTING)
        assert stored is not None
        return stored.value.encode()

"""Small named values kept in the settings table: the adapters' StateStore."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import transaction
from bot.store.models import Setting

KEY_CHARS = 100


class SettingsState:
    """`recall`/`remember` over the settings table (keys are cut to the column's width)."""

    def __init__(self, factory: sessionmaker[Session], prefix: str = "") -> None:
        self.factory = factory
        self.prefix = prefix

    def recall(self, key: str) -> str | None:
        with self.factory() as session:
            row = session.get(Setting, (self.prefix + key)[:KEY_CHARS])
            return None if row is None else row.value

    def remember(self, key: str, value: str) -> None:
        with transaction(self.factory) as session:
            row = session.get(Setting, (self.prefix + key)[:KEY_CHARS])
            if row is None:
                session.add(Setting(key=(self.prefix + key)[:KEY_CHARS], value=value))
            else:
                row.value = value

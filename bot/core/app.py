"""The core assembled: database, services and outbox, shared by every adapter."""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot.config import Settings
from bot.core.outbox import Outbox
from bot.core.services.tribune import TribuneService
from bot.core.types import Place
from bot.db import migrate
from bot.db.engine import Database
from bot.db.models import Collective

log = logging.getLogger(__name__)


class Core:
    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.database_url)
        self.outbox = Outbox()
        self.tribune = TribuneService(
            self.db,
            default_locale=settings.bot.locale,
            default_timezone=settings.bot.timezone,
            text_file=settings.tribune.text_file,
            latest_count=settings.tribune.latest_count,
            page_size=settings.tribune.page_size,
        )
        self._locales: dict[tuple[str, str], str] = {}

    async def start(self) -> None:
        """Apply migrations; call once before serving."""
        await migrate.upgrade(self.db.url)

    async def close(self) -> None:
        await self.db.dispose()

    async def locale_for(self, place: Place) -> str:
        """The interface language of the collective (default from the config)."""
        key = (place.platform.value, place.collective_id)
        cached = self._locales.get(key)
        if cached is not None:
            return cached
        async with self.db.transaction() as session:
            locale = await session.scalar(
                select(Collective.locale).where(
                    Collective.platform == key[0], Collective.external_id == key[1]
                )
            )
        if locale is None:
            return self.settings.bot.locale
        self._locales[key] = locale
        return locale

    def forget_locale(self, place: Place) -> None:
        self._locales.pop((place.platform.value, place.collective_id), None)

"""A collective's configuration, its setup assistant and its welcome message.

Moderators only (checked here). Every change is written to the audit log.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.dates import known_zone
from bot.core.errors import InvalidInput, PermissionDenied
from bot.core.i18n import LOCALES, N_
from bot.core.numbers import check_whole
from bot.core.services import audit
from bot.core.services.directory import (
    ensure_collective,
    ensure_member,
    find_collective,
    workflow_settings,
)
from bot.core.types import Actor, Place
from bot.core.workflows import WORKFLOWS
from bot.db.engine import Database
from bot.db.models import BotState, Collective, CollectiveChannel, Federation, utcnow

ASSISTANT_STEPS = ("locale", "timezone", "channels", "moderators", "organisers", "federation")
MAX_RETENTION_DAYS = 3650
POWER_LEVEL = N_("The power level")
MAX_POWER_LEVEL = 100  # Matrix power levels used for roles go from 0 (everyone) to 100 (admin)


@dataclass(frozen=True, slots=True)
class WorkflowSetting:
    workflow: str
    channel_id: str | None
    shared: bool


@dataclass(frozen=True, slots=True)
class Profile:
    """What adapters need to know about a collective on every request."""

    locale: str
    timezone: str
    moderator_role_id: str | None
    moderator_power_level: int | None
    organiser_role_id: str | None
    organiser_power_level: int | None


@dataclass(frozen=True, slots=True)
class Summary:
    platform: str
    name: str
    profile: Profile
    workflows: tuple[WorkflowSetting, ...]
    federation: str | None
    retention_days: int | None
    signer_role_id: str | None


@dataclass(frozen=True, slots=True)
class AssistantStep:
    index: int  # 1-based; total+1 means finished
    total: int
    key: str
    summary: Summary

    @property
    def finished(self) -> bool:
        return self.index > self.total


@dataclass(frozen=True, slots=True)
class Changed:
    setting: str
    value: str | None


def _profile(collective: Collective) -> Profile:
    return Profile(
        locale=collective.locale,
        timezone=collective.timezone,
        moderator_role_id=collective.moderator_role_id,
        moderator_power_level=collective.moderator_power_level,
        organiser_role_id=collective.organiser_role_id,
        organiser_power_level=collective.organiser_power_level,
    )


class ConfigurationService:
    def __init__(
        self,
        db: Database,
        *,
        default_locale: str = "fr",
        default_timezone: str = "Europe/Paris",
        on_change: Callable[[Place], None] | None = None,
    ) -> None:
        self.db = db
        self.default_locale = default_locale
        self.default_timezone = default_timezone
        self.on_change = on_change or (lambda place: None)

    async def _collective(self, session: AsyncSession, place: Place) -> Collective:
        return await ensure_collective(
            session, place, locale=self.default_locale, timezone=self.default_timezone
        )

    async def profile(self, place: Place) -> Profile:
        async with self.db.transaction() as session:
            collective = await find_collective(session, place)
            if collective is None:
                return Profile(self.default_locale, self.default_timezone, None, None, None, None)
            return _profile(collective)

    async def _summary(self, session: AsyncSession, collective: Collective) -> Summary:
        rows = {
            row.workflow: row
            for row in await session.scalars(
                select(CollectiveChannel).where(CollectiveChannel.collective_id == collective.id)
            )
        }
        federation = None
        if collective.federation_id != collective.home_federation_id:
            shared = await session.get(Federation, collective.federation_id)
            federation = shared.name if shared else None
        return Summary(
            platform=collective.platform,
            name=collective.name or collective.external_id,
            profile=_profile(collective),
            workflows=tuple(
                WorkflowSetting(
                    workflow,
                    rows[workflow].channel_id if workflow in rows else None,
                    rows[workflow].shared if workflow in rows else True,
                )
                for workflow in WORKFLOWS
            ),
            federation=federation,
            retention_days=collective.retention_days,
            signer_role_id=collective.signer_role_id,
        )

    async def summary(self, actor: Actor, place: Place) -> Summary:
        if not actor.is_moderator:
            raise PermissionDenied()
        async with self.db.transaction() as session:
            return await self._summary(session, await self._collective(session, place))

    async def _change(
        self, actor: Actor, place: Place, setting: str, value: str | None,
        apply: Callable[[AsyncSession, Collective], object],
    ) -> Changed:
        if not actor.is_moderator:
            raise PermissionDenied()
        async with self.db.transaction() as session:
            collective = await self._collective(session, place)
            result = apply(session, collective)
            if inspect.isawaitable(result):
                await result
            member = await ensure_member(session, actor)
            await audit.record(session, actor, member, collective, f"config.{setting}",
                               "" if value is None else value)
        self.on_change(place)
        return Changed(setting, value)

    async def set_locale(self, actor: Actor, place: Place, locale: str) -> Changed:
        locale = locale.strip().lower()
        if locale not in LOCALES:
            raise InvalidInput(N_("Choose the language: {choices}."), choices=", ".join(LOCALES))
        return await self._change(actor, place, "locale", locale,
                                  lambda s, c: setattr(c, "locale", locale))

    async def set_timezone(self, actor: Actor, place: Place, timezone: str) -> Changed:
        known = known_zone(timezone)
        if known is None:
            raise InvalidInput(
                N_("Unknown time zone “{value}”. Use a name such as Europe/Paris or "
                   "America/Martinique."),
                value=timezone.strip()[:60],
            )
        timezone = known
        return await self._change(actor, place, "timezone", timezone,
                                  lambda s, c: setattr(c, "timezone", timezone))

    async def set_channel(
        self, actor: Actor, place: Place, workflow: str, channel_id: str | None
    ) -> Changed:
        if workflow not in WORKFLOWS:
            raise InvalidInput(N_("Unknown workflow “{word}”. Choose one of: {choices}."),
                               word=workflow, choices=", ".join(WORKFLOWS))

        async def apply(session: AsyncSession, collective: Collective) -> None:
            row = await workflow_settings(session, collective, workflow)
            row.channel_id = channel_id

        return await self._change(actor, place, f"channel.{workflow}", channel_id, apply)

    async def set_moderator_role(self, actor: Actor, place: Place, role_id: str | None) -> Changed:
        return await self._change(actor, place, "moderator_role", role_id,
                                  lambda s, c: setattr(c, "moderator_role_id", role_id))

    async def set_moderator_level(self, actor: Actor, place: Place, level: int | None) -> Changed:
        _check_level(level)
        return await self._change(actor, place, "moderator_level",
                                  None if level is None else str(level),
                                  lambda s, c: setattr(c, "moderator_power_level", level))

    async def set_organiser_role(self, actor: Actor, place: Place, role_id: str | None) -> Changed:
        return await self._change(actor, place, "organiser_role", role_id,
                                  lambda s, c: setattr(c, "organiser_role_id", role_id))

    async def set_organiser_level(self, actor: Actor, place: Place, level: int | None) -> Changed:
        _check_level(level)
        return await self._change(actor, place, "organiser_level",
                                  None if level is None else str(level),
                                  lambda s, c: setattr(c, "organiser_power_level", level))

    async def set_retention(self, actor: Actor, place: Place, days: int | None) -> Changed:
        if days is not None and (isinstance(days, bool) or not isinstance(days, int)
                                 or not 1 <= days <= MAX_RETENTION_DAYS):
            raise InvalidInput(N_("Give a number of days from 1 to {max}, or off."),
                               max=MAX_RETENTION_DAYS)
        return await self._change(actor, place, "retention", None if days is None else str(days),
                                  lambda s, c: setattr(c, "retention_days", days))

    # -- setup assistant -------------------------------------------------------

    async def assistant(
        self, actor: Actor, place: Place, *, advance: bool = False, restart: bool = False
    ) -> AssistantStep:
        """The current step of the setup assistant; ``advance`` moves to the next."""
        if not actor.is_moderator:
            raise PermissionDenied()
        async with self.db.transaction() as session:
            collective = await self._collective(session, place)
            key = f"setup:{collective.id}"
            state = await session.get(BotState, key)
            index = 1 if state is None or restart else int(state.value)
            if advance:
                index = min(index + 1, len(ASSISTANT_STEPS) + 1)
            if state is None:
                state = BotState(key=key, value=str(index))
                session.add(state)
            state.value = str(index)
            state.updated_at = utcnow()
            step_key = ASSISTANT_STEPS[index - 1] if index <= len(ASSISTANT_STEPS) else "done"
            return AssistantStep(index, len(ASSISTANT_STEPS), step_key,
                                 await self._summary(session, collective))

    async def welcome_needed(self, place: Place) -> bool:
        """True once per collective: when the bot first arrives there."""
        async with self.db.transaction() as session:
            collective = await self._collective(session, place)
            if collective.welcomed:
                return False
            collective.welcomed = True
            return True


def _check_level(level: int | None) -> None:
    if level is not None:
        check_whole(level, field=POWER_LEVEL, low=0, high=MAX_POWER_LEVEL)

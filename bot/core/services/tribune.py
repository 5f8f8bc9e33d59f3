"""The tribune: the union's public manifesto and its signatures.

Counts and lists cover the tribune's scope: every collective of the federation
that shares the tribune, or the collective alone when it keeps it local. A
person counts once in a scope, whichever of their linked identities signed.
Withdrawal deletes the signature rows (no soft delete).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.core.errors import ConsentRequired, InvalidInput, MissingFields, NotFound, PermissionDenied
from bot.core.i18n import N_
from bot.core.services import audit
from bot.core.services.directory import (
    Scope,
    ensure_collective,
    ensure_member,
    find_member,
    scope_of,
    workflow_channels,
    workflow_settings,
)
from bot.core.text import clean_block, clean_line
from bot.core.types import Actor, Place
from bot.db.engine import Database
from bot.db.models import Collective, Signature, Tribune, utcnow

WORKFLOW = "tribune"
FIELD_LIMITS: dict[str, int] = {"name": 80, "profession": 80, "city": 80, "collective": 80}
TEXT_LIMIT = 20_000
FIRST_MILESTONES = (10, 50, 100, 250, 500, 1000)


def milestone_between(previous: int, count: int) -> int | None:
    """The highest milestone in ``(previous, count]``: 10, 50, 100, 250, 500, 1000,
    then every 1000."""
    best = None
    for step in FIRST_MILESTONES:
        if previous < step <= count:
            best = step
    thousands = (count // 1000) * 1000
    if thousands > 1000 and thousands > previous:
        best = thousands
    return best


@dataclass(frozen=True, slots=True)
class SignatureForm:
    name: str | None = None
    profession: str | None = None
    city: str | None = None
    collective: str | None = None
    public: bool | None = None
    consent: bool | None = None


@dataclass(frozen=True, slots=True)
class SignatureInfo:
    name: str
    profession: str
    city: str
    collective: str | None
    public: bool
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class Announcement:
    """A post to make in one collective's configured channel."""

    platform: str
    collective_id: str
    channel_id: str
    locale: str
    kind: str
    count: int


@dataclass(frozen=True, slots=True)
class TribuneView:
    text: str | None
    count: int
    latest: tuple[SignatureInfo, ...]
    own: SignatureInfo | None


@dataclass(frozen=True, slots=True)
class SignResult:
    updated: bool
    count: int
    signature: SignatureInfo
    milestone: int | None
    announcements: tuple[Announcement, ...]
    signer_role_id: str | None


@dataclass(frozen=True, slots=True)
class WithdrawResult:
    count: int
    signer_role_id: str | None


@dataclass(frozen=True, slots=True)
class SignatoryPage:
    items: tuple[SignatureInfo, ...]
    page: int
    pages: int
    total: int
    public_total: int
    by_city: tuple[tuple[str, int], ...]
    by_profession: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Export:
    filename: str
    content: bytes
    rows: int


@dataclass(frozen=True, slots=True)
class SettingResult:
    """A moderator setting changed (``value`` None means cleared)."""

    setting: str
    value: str | None


def _info(signature: Signature) -> SignatureInfo:
    return SignatureInfo(
        name=signature.display_name,
        profession=signature.profession,
        city=signature.city,
        collective=signature.collective_label,
        public=signature.public,
        signed_at=signature.created_at,
    )


def _require_moderator(actor: Actor) -> None:
    if not actor.is_moderator:
        raise PermissionDenied()


# Field labels, translated where they are shown.
FIELD_LABELS = {
    "name": N_("name"),
    "profession": N_("profession"),
    "city": N_("city"),
    "collective": N_("collective"),
}


def validate_form(form: SignatureForm) -> SignatureForm:
    """Clean and check a form; raise before anything is written."""
    values = {
        "name": clean_line(form.name),
        "profession": clean_line(form.profession),
        "city": clean_line(form.city),
        "collective": clean_line(form.collective),
    }
    missing = [key for key in ("name", "profession", "city") if not values[key]]
    if missing:
        raise MissingFields({key: FIELD_LABELS[key] for key in missing})
    for key, limit in FIELD_LIMITS.items():
        if len(values[key]) > limit:
            raise InvalidInput(
                N_("The {field} is too long: {limit} characters at most (you sent {length})."),
                field=FIELD_LABELS[key],
                limit=limit,
                length=len(values[key]),
            )
    if form.consent is not True:
        raise ConsentRequired()
    return SignatureForm(
        name=values["name"],
        profession=values["profession"],
        city=values["city"],
        collective=values["collective"] or None,
        public=bool(form.public),
        consent=True,
    )


class TribuneService:
    def __init__(
        self,
        db: Database,
        *,
        default_locale: str = "fr",
        default_timezone: str = "Europe/Paris",
        text_file: Path | None = None,
        latest_count: int = 5,
        page_size: int = 20,
    ) -> None:
        self.db = db
        self.default_locale = default_locale
        self.default_timezone = default_timezone
        self.text_file = text_file
        self.latest_count = latest_count
        self.page_size = page_size

    # -- helpers -----------------------------------------------------------------

    async def _collective(self, session: AsyncSession, place: Place) -> Collective:
        return await ensure_collective(
            session, place, locale=self.default_locale, timezone=self.default_timezone
        )

    async def _scope(self, session: AsyncSession, place: Place) -> tuple[Collective, Scope]:
        collective = await self._collective(session, place)
        return collective, await scope_of(session, collective, WORKFLOW)

    @staticmethod
    def _counted(scope: Scope) -> ColumnElement[bool]:
        """Rows that count: the newest signature of each person in the scope."""
        newest = (
            select(func.max(Signature.id))
            .where(Signature.collective_id.in_(scope.collective_ids))
            .group_by(Signature.person_id)
        )
        return Signature.id.in_(newest)

    async def _count(self, session: AsyncSession, scope: Scope) -> int:
        count = await session.scalar(
            select(func.count(func.distinct(Signature.person_id))).where(
                Signature.collective_id.in_(scope.collective_ids)
            )
        )
        return count or 0

    async def _own_rows(
        self, session: AsyncSession, scope: Scope, person_id: int
    ) -> list[Signature]:
        rows = await session.scalars(
            select(Signature)
            .where(
                Signature.collective_id.in_(scope.collective_ids),
                Signature.person_id == person_id,
            )
            .order_by(Signature.id.desc())
        )
        return list(rows)

    async def _tribune(self, session: AsyncSession, federation_id: int) -> Tribune:
        tribune = await session.scalar(
            select(Tribune).where(Tribune.federation_id == federation_id)
        )
        if tribune is None:
            tribune = Tribune(federation_id=federation_id)
            session.add(tribune)
            await session.flush()
        return tribune

    def _file_text(self) -> str | None:
        if self.text_file and self.text_file.is_file():
            return self.text_file.read_text(encoding="utf-8").strip() or None
        return None

    # -- member actions ----------------------------------------------------------

    async def show(self, actor: Actor, place: Place) -> TribuneView:
        async with self.db.transaction() as session:
            _collective, scope = await self._scope(session, place)
            tribune = await self._tribune(session, scope.federation_id)
            latest = (
                await session.scalars(
                    select(Signature)
                    .where(self._counted(scope), Signature.public.is_(True))
                    .order_by(Signature.created_at.desc(), Signature.id.desc())
                    .limit(self.latest_count)
                )
            ).all()
            member = await find_member(session, actor)
            mine = await self._own_rows(session, scope, member.person_id) if member else []
            return TribuneView(
                text=tribune.text or self._file_text(),
                count=await self._count(session, scope),
                latest=tuple(_info(row) for row in latest),
                own=_info(mine[0]) if mine else None,
            )

    async def sign(self, actor: Actor, place: Place, form: SignatureForm) -> SignResult:
        clean = validate_form(form)
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            member = await ensure_member(session, actor, collective)
            mine = await self._own_rows(session, scope, member.person_id)
            now = utcnow()
            # Prefer the row made here; a linked identity may have signed elsewhere.
            signature = next((r for r in mine if r.collective_id == collective.id), None)
            signature = signature or (mine[0] if mine else None)
            if signature is None:
                signature = Signature(
                    collective_id=collective.id, person_id=member.person_id, created_at=now
                )
                session.add(signature)
            signature.display_name = clean.name or ""
            signature.profession = clean.profession or ""
            signature.city = clean.city or ""
            signature.collective_label = clean.collective
            signature.public = bool(clean.public)
            signature.consent_at = now
            signature.updated_at = now
            await session.flush()
            count = await self._count(session, scope)
            milestone = None
            announcements: tuple[Announcement, ...] = ()
            if not mine:
                tribune = await self._tribune(session, scope.federation_id)
                milestone = milestone_between(tribune.last_milestone, count)
                if milestone is not None:
                    tribune.last_milestone = milestone
                    announcements = await self._announcements(session, scope, milestone)
            return SignResult(
                updated=bool(mine),
                count=count,
                signature=_info(signature),
                milestone=milestone,
                announcements=announcements,
                signer_role_id=collective.signer_role_id,
            )

    async def withdraw(self, actor: Actor, place: Place) -> WithdrawResult:
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            member = await find_member(session, actor)
            mine = await self._own_rows(session, scope, member.person_id) if member else []
            if not mine:
                raise NotFound(
                    N_("You have not signed the tribune, so there is nothing to withdraw.")
                )
            for row in mine:
                await session.delete(row)
            await session.flush()
            return WithdrawResult(
                count=await self._count(session, scope),
                signer_role_id=collective.signer_role_id,
            )

    async def signatories(self, actor: Actor, place: Place, page: int = 1) -> SignatoryPage:
        async with self.db.transaction() as session:
            _collective, scope = await self._scope(session, place)
            counted = self._counted(scope)
            public = Signature.public.is_(True)
            total = await self._count(session, scope)
            public_total = await session.scalar(
                select(func.count()).select_from(Signature).where(counted, public)
            ) or 0
            pages = max(1, -(-public_total // self.page_size))
            if page < 1 or page > pages:
                raise InvalidInput(
                    N_("There is no page {page}: choose a page from 1 to {pages}."),
                    page=page,
                    pages=pages,
                )
            rows = (
                await session.scalars(
                    select(Signature)
                    .where(counted, public)
                    .order_by(Signature.created_at, Signature.id)
                    .offset((page - 1) * self.page_size)
                    .limit(self.page_size)
                )
            ).all()
            return SignatoryPage(
                items=tuple(_info(row) for row in rows),
                page=page,
                pages=pages,
                total=total,
                public_total=public_total,
                by_city=await self._breakdown(session, counted, Signature.city),
                by_profession=await self._breakdown(session, counted, Signature.profession),
            )

    @staticmethod
    async def _breakdown(
        session: AsyncSession, counted: ColumnElement[bool], column: InstrumentedAttribute[str]
    ) -> tuple[tuple[str, int], ...]:
        key = func.lower(column)
        rows = await session.execute(
            select(func.min(column), func.count())
            .where(counted)
            .group_by(key)
            .order_by(func.count().desc(), key)
            .limit(10)
        )
        return tuple((label, count) for label, count in rows.all())

    # -- moderator actions -------------------------------------------------------

    async def export(self, actor: Actor, place: Place) -> Export:
        _require_moderator(actor)
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            await audit.record(session, actor, await ensure_member(session, actor), collective,
                               "tribune.export")
            rows = (
                await session.execute(
                    select(Signature, Collective.name)
                    .join(Collective, Collective.id == Signature.collective_id)
                    .where(self._counted(scope))
                    .order_by(Signature.created_at, Signature.id)
                )
            ).all()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            ["name", "profession", "city", "collective", "public", "signed_via", "signed_at",
             "updated_at"]
        )
        for signature, via in rows:
            writer.writerow(
                [
                    _csv_safe(signature.display_name),
                    _csv_safe(signature.profession),
                    _csv_safe(signature.city),
                    _csv_safe(signature.collective_label or ""),
                    "yes" if signature.public else "no",
                    _csv_safe(via or ""),
                    signature.created_at.isoformat(timespec="seconds"),
                    signature.updated_at.isoformat(timespec="seconds"),
                ]
            )
        stamp = utcnow().strftime("%Y%m%d-%H%M")
        return Export(
            filename=f"tribune-signatures-{stamp}.csv",
            content=buffer.getvalue().encode("utf-8-sig"),
            rows=len(rows),
        )

    async def set_text(self, actor: Actor, place: Place, text: str | None) -> SettingResult:
        """Set the tribune text (Markdown); an empty text falls back to the config file."""
        _require_moderator(actor)
        cleaned = clean_block(text)
        if len(cleaned) > TEXT_LIMIT:
            raise InvalidInput(
                N_("The tribune text is too long: {limit} characters at most (you sent {length})."),
                limit=TEXT_LIMIT,
                length=len(cleaned),
            )
        async with self.db.transaction() as session:
            collective, scope = await self._scope(session, place)
            tribune = await self._tribune(session, scope.federation_id)
            tribune.text = cleaned or None
            tribune.updated_at = utcnow()
            await audit.record(session, actor, await ensure_member(session, actor), collective,
                               "tribune.text", f"{len(cleaned)} characters")
        return SettingResult("text", cleaned or None)

    async def set_announcement_channel(
        self, actor: Actor, place: Place, channel_id: str | None
    ) -> SettingResult:
        _require_moderator(actor)
        async with self.db.transaction() as session:
            collective = await self._collective(session, place)
            row = await workflow_settings(session, collective, WORKFLOW)
            row.channel_id = channel_id
            await audit.record(session, actor, await ensure_member(session, actor), collective,
                               "config.channel.tribune", channel_id or "")
        return SettingResult("announcement_channel", channel_id)

    async def set_signer_role(
        self, actor: Actor, place: Place, role_id: str | None
    ) -> SettingResult:
        _require_moderator(actor)
        async with self.db.transaction() as session:
            collective = await self._collective(session, place)
            collective.signer_role_id = role_id
            await audit.record(session, actor, await ensure_member(session, actor), collective,
                               "tribune.role", role_id or "")
        return SettingResult("signer_role", role_id)

    async def _announcements(
        self, session: AsyncSession, scope: Scope, count: int
    ) -> tuple[Announcement, ...]:
        return tuple(
            Announcement(
                platform=collective.platform,
                collective_id=collective.external_id,
                channel_id=channel_id,
                locale=collective.locale,
                kind="milestone",
                count=count,
            )
            for collective, channel_id in await workflow_channels(session, scope, WORKFLOW)
        )


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas in exported user text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


__all__ = [
    "Announcement",
    "Export",
    "SignResult",
    "SignatoryPage",
    "SignatureForm",
    "SignatureInfo",
    "TribuneService",
    "TribuneView",
    "WithdrawResult",
]

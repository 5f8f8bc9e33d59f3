"""The core assembled: database, services and outbox, shared by every adapter."""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

from bot.config import ConfigError, Settings, read_ballot_key_file
from bot.core.outbox import Outbox
from bot.core.scheduler import JobContext, Scheduler, schedule
from bot.core.services.aid import DIGEST_JOB, EXPIRE_JOB, EXPIRY_REMINDER_JOB, AidService
from bot.core.services.audit import AuditService
from bot.core.services.configuration import ConfigurationService, Profile
from bot.core.services.demands import DemandService
from bot.core.services.faq import REVIEW_JOB as FAQ_REVIEW_JOB
from bot.core.services.faq import FaqService
from bot.core.services.federation import FederationService
from bot.core.services.identity import IdentityService
from bot.core.services.meetups import NEXT_JOB, REMIND_JOB, MeetupService
from bot.core.services.polls import CLOSE_JOB, OPEN_JOB, PollService
from bot.core.services.privacy import PrivacyService
from bot.core.services.tribune import TribuneService
from bot.core.types import Place
from bot.db import migrate
from bot.db.engine import Database
from bot.db.models import utcnow
from bot.private_files import expire_exports, tighten

log = logging.getLogger(__name__)

PURGE_JOB = "privacy.purge"
EXPORTS_JOB = "exports.expire"


def ballot_key(settings: Settings) -> bytes:
    """The secret of the keyed hashes of secret ballots (see PollService).

    ``polls.ballot_key`` (or BALLOT_KEY) when set, else the key kept in
    ``polls.ballot_key_file``, made at the first start. A key shorter than
    32 bytes is refused (ConfigError) rather than used. Never log it.
    """
    if settings.polls.ballot_key:
        return settings.polls.ballot_key.encode()
    path = settings.ballot_key_path
    key = read_ballot_key_file(path)
    if key is None:
        _create_ballot_key_file(path)
        key = read_ballot_key_file(path)
        if key is None:  # pragma: no cover - deleted between creating and reading it
            raise ConfigError("", [f"polls.ballot_key_file: {path} vanished as it was made"])
    tighten(path)
    return key


def _create_ballot_key_file(path: Path) -> None:
    """Write a new random key to ``path`` atomically, unless a key is already there.

    The key is written and synced in a private temporary file of the same folder,
    then hard-linked to its name, which fails if another process got there first:
    whoever loses reads the winner's key, and no reader ever sees a partial file,
    even after a power loss (the folder is synced too).
    """
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, (secrets.token_hex(32) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return  # another process made it first: use theirs
        except OSError:  # a file system without hard links
            if path.exists():
                return
            os.rename(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Core:
    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.database_url)
        self.outbox = Outbox()
        self.scheduler = Scheduler(self.db)
        self.tribune = TribuneService(
            self.db,
            default_locale=settings.bot.locale,
            default_timezone=settings.bot.timezone,
            text_file=settings.tribune.text_file,
            latest_count=settings.tribune.latest_count,
            page_size=settings.tribune.page_size,
        )
        defaults = {"default_locale": settings.bot.locale,
                    "default_timezone": settings.bot.timezone}
        self.config = ConfigurationService(self.db, on_change=self.forget_profile, **defaults)
        links = {"code_failures": settings.limits.code_failures,
                 "codes_per_hour": settings.limits.codes_per_hour}
        self.federation = FederationService(self.db, **links, **defaults)
        self.demands = DemandService(self.db, cooldown=settings.limits.demand_cooldown,
                                     **defaults)
        self.polls = PollService(self.db, ballot_key(settings), **defaults)
        self.meetups = MeetupService(self.db, cooldown=settings.limits.meetup_cooldown,
                                     **defaults)
        self.aid = AidService(self.db, expiry_days=settings.aid.expiry_days,
                              notifications_per_day=settings.aid.notifications_per_day,
                              balance_limit=settings.aid.balance_limit,
                              cooldown=settings.limits.aid_post_cooldown, **defaults)
        self.faq = FaqService(self.db, corpus_dir=settings.faq.corpus_dir,
                              review_age_days=settings.faq.review_age_days,
                              suggestion_threshold=settings.faq.suggestion_threshold,
                              min_score=settings.faq.min_score,
                              passive_min_score=settings.faq.passive_min_score, **defaults)
        self.identity = IdentityService(self.db, **links, polls=self.polls)
        self.audit = AuditService(self.db)
        self.privacy = PrivacyService(self.db, polls=self.polls)
        self._profiles: dict[tuple[str, str], Profile] = {}
        self.scheduler.register(PURGE_JOB, self._purge)
        self.scheduler.register(CLOSE_JOB, self._close_poll)
        self.scheduler.register(OPEN_JOB, self._open_poll)
        self.scheduler.register(REMIND_JOB, self._remind)
        self.scheduler.register(NEXT_JOB, self._next_meetup)
        self.scheduler.register(EXPIRE_JOB, self._expire_post)
        self.scheduler.register(EXPIRY_REMINDER_JOB, self._expiring_post)
        self.scheduler.register(DIGEST_JOB, self._digest)
        self.scheduler.register(FAQ_REVIEW_JOB, self._faq_review)
        self.scheduler.register(EXPORTS_JOB, self._expire_exports)

    async def start(self) -> None:
        """Apply migrations and plan the daily jobs; call once before serving."""
        await migrate.upgrade(self.db.url)
        if converted := await self.polls.upgrade_keys():
            log.info("polls: %d ballot(s) of open polls keyed anew", converted)
        imported = await self.faq.import_corpus()
        for problem in imported.problems:
            log.warning("rights FAQ corpus: %s", problem)
        await self._plan_purge()
        await self._plan_digest()
        await self._plan_faq_review()
        self._delete_old_exports()
        await self._plan_export_expiry()

    async def _plan_purge(self) -> None:
        """The daily erasure of departed members' data (see the retention setting)."""
        now = utcnow()
        run_at = (now + timedelta(days=1)).replace(hour=3, minute=30, second=0, microsecond=0)
        async with self.db.transaction() as session:
            await schedule(session, PURGE_JOB, run_at, key=f"{PURGE_JOB}:{run_at.date()}")

    async def _purge(self, job: JobContext) -> None:
        result = await self.privacy.purge_departed()
        log.info("retention: erased %d departed member(s)", result.persons)
        await self._plan_purge()

    def _delete_old_exports(self) -> None:
        """Moderators' export files hold members' names: none outlives the retention."""
        deleted = expire_exports(self.settings.bot.data_dir,
                                 self.settings.bot.export_retention_days)
        if deleted:
            log.info("retention: deleted %d export file(s)", deleted)

    async def _plan_export_expiry(self) -> None:
        """The daily deletion of old export files (see bot.export_retention_days)."""
        now = utcnow()
        run_at = (now + timedelta(days=1)).replace(hour=3, minute=45, second=0, microsecond=0)
        async with self.db.transaction() as session:
            await schedule(session, EXPORTS_JOB, run_at, key=f"{EXPORTS_JOB}:{run_at.date()}")

    async def _expire_exports(self, job: JobContext) -> None:
        self._delete_old_exports()
        await self._plan_export_expiry()

    async def close(self) -> None:
        await self.db.dispose()

    async def _close_poll(self, job: JobContext) -> None:
        _result, announcements = await self.polls.close(int(job.payload["poll"]))
        await self.outbox.deliver(announcements)

    async def _open_poll(self, job: JobContext) -> None:
        await self.polls.open_scheduled(int(job.payload["poll"]))

    async def _plan_digest(self) -> None:
        """The weekly mutual-aid digest, at the configured day and hour (UTC)."""
        now = utcnow()
        days = (self.settings.aid.digest_weekday - now.weekday()) % 7
        run_at = (now + timedelta(days=days)).replace(
            hour=self.settings.aid.digest_hour, minute=0, second=0, microsecond=0)
        if run_at <= now:
            run_at += timedelta(days=7)
        async with self.db.transaction() as session:
            await schedule(session, DIGEST_JOB, run_at, key=f"{DIGEST_JOB}:{run_at.date()}")

    async def _digest(self, job: JobContext) -> None:
        await self.outbox.deliver(await self.aid.digests(utcnow() - timedelta(days=7)))
        await self._plan_digest()

    async def _plan_faq_review(self) -> None:
        """The monthly list of FAQ entries to review, on the 1st at 08:00 UTC."""
        now = utcnow()
        first = now.replace(day=1, hour=8, minute=0, second=0, microsecond=0)
        run_at = first if first > now else (first + timedelta(days=32)).replace(day=1)
        async with self.db.transaction() as session:
            await schedule(session, FAQ_REVIEW_JOB, run_at,
                           key=f"{FAQ_REVIEW_JOB}:{run_at.date()}")

    async def _faq_review(self, job: JobContext) -> None:
        await self.outbox.deliver(await self.faq.review_announcements())
        await self._plan_faq_review()

    async def _expire_post(self, job: JobContext) -> None:
        await self.outbox.notify(await self.aid.expire(int(job.payload["post"]), reminder=False))

    async def _expiring_post(self, job: JobContext) -> None:
        await self.outbox.notify(await self.aid.expire(int(job.payload["post"]), reminder=True))

    async def _remind(self, job: JobContext) -> None:
        notices = await self.meetups.reminder_notices(int(job.payload["meetup"]),
                                                      int(job.payload["minutes"]))
        await self.outbox.notify(notices)

    async def _next_meetup(self, job: JobContext) -> None:
        created = await self.meetups.next_occurrence(int(job.payload["meetup"]))
        if created is not None:
            await self.outbox.deliver(created.announcements)

    async def profile(self, place: Place) -> Profile:
        """Language, time zone and moderator rules of a collective (cached)."""
        key = (place.platform.value, place.collective_id)
        cached = self._profiles.get(key)
        if cached is None:
            cached = await self.config.profile(place)
            self._profiles[key] = cached
        return cached

    async def locale_for(self, place: Place) -> str:
        """The interface language of the collective (default from the config)."""
        return (await self.profile(place)).locale

    def forget_profile(self, place: Place) -> None:
        self._profiles.pop((place.platform.value, place.collective_id), None)

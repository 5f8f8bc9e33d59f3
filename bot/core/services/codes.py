"""One-time codes: generation, hashing, expiry and guessing limits."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import InvalidInput, RateLimited
from bot.core.i18n import N_
from bot.db.models import LinkAttempt, LinkCode, Member, utcnow

# No 0/O, 1/I/L: easy to read aloud and to type on a phone.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=10)
MAX_ISSUED = 5
ISSUE_WINDOW = timedelta(hours=1)


class BadCode(InvalidInput):
    """A wrong, used or expired code: counts as a failed attempt."""


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(code: str) -> str:
    return hashlib.sha256(normalize(code).encode()).hexdigest()


async def check_failures(session: AsyncSession, member: Member,
                         limit: int = MAX_FAILURES) -> None:
    """Refuse when the member has failed ``limit`` times in the last ten minutes."""
    since = utcnow() - FAILURE_WINDOW
    failures = await session.scalar(
        select(func.count()).select_from(LinkAttempt).where(
            LinkAttempt.member_id == member.id, LinkAttempt.at >= since
        )
    )
    if (failures or 0) >= limit:
        raise RateLimited(
            N_("Too many wrong codes: wait {minutes} minutes before trying again."),
            minutes=int(FAILURE_WINDOW.total_seconds() // 60),
        )


async def check_issued(session: AsyncSession, member: Member, kind: str,
                       limit: int = MAX_ISSUED) -> None:
    """Refuse when the member was given ``limit`` codes of ``kind`` in the last hour."""
    since = utcnow() - ISSUE_WINDOW
    issued = await session.scalar(
        select(func.count()).select_from(LinkCode).where(
            LinkCode.member_id == member.id, LinkCode.kind == kind, LinkCode.created_at >= since
        )
    )
    if (issued or 0) >= limit:
        raise RateLimited(
            N_("You asked for too many codes: wait an hour, or use the last one you received.")
        )


async def issue(
    session: AsyncSession,
    kind: str,
    member: Member,
    lifetime: timedelta,
    federation_id: int | None = None,
) -> tuple[str, LinkCode]:
    code = new_code()
    now = utcnow()
    # Older unused codes of the same member and kind stop working.
    await session.execute(
        delete(LinkCode).where(
            LinkCode.member_id == member.id, LinkCode.kind == kind, LinkCode.used_at.is_(None),
            LinkCode.expires_at < now,
        )
    )
    row = LinkCode(
        kind=kind,
        code_hash=code_hash(code),
        member_id=member.id,
        federation_id=federation_id,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    await session.flush()
    return code, row


async def redeem(session: AsyncSession, kind: str, code: str) -> LinkCode:
    """The valid code row, marked used; raise a clear error otherwise."""
    if len(normalize(code)) != CODE_LENGTH:
        raise BadCode(
            N_("A code has 8 letters and digits, like ABCD-EF23. Check it and try again.")
        )
    row = await session.scalar(
        select(LinkCode).where(LinkCode.code_hash == code_hash(code), LinkCode.kind == kind)
    )
    if row is None:
        raise BadCode(N_("This code is not valid. Check it, or ask for a new one."))
    if row.used_at is not None:
        raise BadCode(N_("This code has already been used. Ask for a new one."))
    if row.expires_at <= utcnow():
        raise BadCode(N_("This code has expired. Ask for a new one."))
    row.used_at = utcnow()
    return row

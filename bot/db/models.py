"""Typed ORM models. Every schema change is an Alembic revision in migrations/."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def utcday() -> datetime:
    """Today at midnight UTC: when a person, account or membership was first seen is
    kept to the day, so that it does not date what they did first (a ballot)."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


class Federation(Base):
    """A group of collectives sharing workflows. Each collective starts in its own."""

    __tablename__ = "federations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Collective(Base):
    """One chat space: a Discord guild, a Matrix room or the console."""

    __tablename__ = "collectives"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    federation_id: Mapped[int] = mapped_column(
        ForeignKey("federations.id", ondelete="RESTRICT"), index=True
    )
    # The collective's own federation of one: its scope for workflows kept local,
    # and where it returns when it leaves a shared federation.
    home_federation_id: Mapped[int] = mapped_column(
        ForeignKey("federations.id", ondelete="RESTRICT")
    )
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    moderator_role_id: Mapped[str | None] = mapped_column(String(64), default=None)
    moderator_power_level: Mapped[int | None] = mapped_column(Integer, default=None)
    signer_role_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # Who may create meetups and polls besides moderators: a Discord role id, or
    # a Matrix power level; None means moderators only.
    organiser_role_id: Mapped[str | None] = mapped_column(String(64), default=None)
    organiser_power_level: Mapped[int | None] = mapped_column(Integer, default=None)
    retention_days: Mapped[int | None] = mapped_column(Integer, default=None)
    welcomed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CollectiveChannel(Base):
    """Per collective and workflow: the channel for its posts, and whether the
    workflow is shared with the federation or kept local."""

    __tablename__ = "collective_channels"
    __table_args__ = (UniqueConstraint("collective_id", "workflow"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    workflow: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(255), default=None)
    shared: Mapped[bool] = mapped_column(Boolean, default=True)


def new_token() -> str:
    return secrets.token_hex(32)


class Person(Base):
    """One human, possibly with several platform identities.

    Ids are never handed out twice (AUTOINCREMENT on SQLite, a sequence on
    PostgreSQL). ``token`` is a random secret of this person that keyed hashes
    derive from (a secret ballot's slot): it cannot be guessed, and it goes with
    the person when they are erased.
    """

    __tablename__ = "persons"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    created_at: Mapped[datetime] = mapped_column(default=utcday)


class Member(Base):
    """One platform identity (platform, user id)."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("platform", "user_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcday)


class Membership(Base):
    """A member seen in a collective; ``left_at`` is set when they leave it.

    Used by the retention setting: data of members who left every collective
    more than N days ago is erased.
    """

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("member_id", "collective_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    joined_at: Mapped[datetime] = mapped_column(default=utcday)
    left_at: Mapped[datetime | None] = mapped_column(default=None)


class Tribune(Base):
    """The manifesto of a federation and its milestone bookkeeping."""

    __tablename__ = "tribunes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    federation_id: Mapped[int] = mapped_column(
        ForeignKey("federations.id", ondelete="CASCADE"), unique=True
    )
    text: Mapped[str | None] = mapped_column(Text, default=None)
    last_milestone: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Signature(Base):
    """A person's signature of the tribune, made in one collective.

    Which signatures count together depends on the collectives' federation and
    their tribune scope, computed when reading. Withdrawal deletes the row.
    """

    __tablename__ = "signatures"
    __table_args__ = (UniqueConstraint("collective_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str] = mapped_column(String(80))
    profession: Mapped[str] = mapped_column(String(80))
    city: Mapped[str] = mapped_column(String(80))
    collective_label: Mapped[str | None] = mapped_column(String(80), default=None)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Proposal(Base):
    """A demand (revendication) proposed by a member and supported by others."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    theme: Mapped[str] = mapped_column(String(32))
    # open, retained, voting, adopted, rejected, merged
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", ondelete="SET NULL"), default=None
    )
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProposalSupport(Base):
    """One person's support of a demand (counted once per person)."""

    __tablename__ = "proposal_supports"
    __table_args__ = (UniqueConstraint("proposal_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Poll(Base):
    """A vote (scrutin) with a method, a window and rules."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), default=None
    )
    title: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(24))
    # scheduled, open, closed, cancelled
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    opens_at: Mapped[datetime] = mapped_column()
    closes_at: Mapped[datetime] = mapped_column()
    quorum_ballots: Mapped[int | None] = mapped_column(Integer, default=None)
    quorum_percent: Mapped[int | None] = mapped_column(Integer, default=None)
    eligible_count: Mapped[int | None] = mapped_column(Integer, default=None)
    # everyone, signatories, role
    eligibility: Mapped[str] = mapped_column(String(16), default="everyone")
    eligible_role: Mapped[str | None] = mapped_column(String(64), default=None)
    secret: Mapped[bool] = mapped_column(Boolean, default=True)
    # Final ballots (modifiable=non): cast once, stored with no link to the voter.
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    live_results: Mapped[bool] = mapped_column(Boolean, default=False)
    receipts: Mapped[bool] = mapped_column(Boolean, default=False)
    max_choices: Mapped[int | None] = mapped_column(Integer, default=None)
    result: Mapped[str | None] = mapped_column(Text, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PollOption(Base):
    __tablename__ = "poll_options"
    __table_args__ = (UniqueConstraint("poll_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(4))
    label: Mapped[str] = mapped_column(String(200))
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", ondelete="SET NULL"), default=None
    )


class Ballot(Base):
    """A ballot, keyed by ``slot``; no time, no ordered id, no collective.

    ``slot`` is a keyed hash of the poll and the voter's person token, so only the
    same person (through any linked account) finds their ballot again to replace
    it; for final ballots it is random, and nothing leads back to the voter.
    ``person_id`` is set in public polls only. ``seal`` holds, encrypted with a key
    derived from the ballot key, when the ballot was cast and in which collective
    (to keep the latest ballot when two voters turn out to be one person); final
    secret ballots have none. On SQLite the table has no rowid, so rows are stored
    in slot order rather than in the order they were written.
    """

    __tablename__ = "ballots"
    __table_args__ = {"sqlite_with_rowid": False}

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    slot: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Set only in public polls; erasure keeps the ballot counted without it.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), default=None, index=True
    )
    content: Mapped[str] = mapped_column(Text)
    receipt: Mapped[str | None] = mapped_column(String(16), default=None)
    seal: Mapped[str | None] = mapped_column(String(128), default=None)


class PollVoter(Base):
    """That an account voted in an open poll: a keyed hash of the poll and the
    account (platform and user id). Every account of the voter gets one, so
    unlinking or erasing does not open the way to a second ballot; the records
    are deleted when the poll closes."""

    __tablename__ = "poll_voters"
    __table_args__ = {"sqlite_with_rowid": False}

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    voter_key: Mapped[str] = mapped_column(String(64), primary_key=True)


class PollTurnout(Base):
    """How many ballots came from each collective (the public breakdown), kept
    apart from the ballots so that a ballot does not say where it came from."""

    __tablename__ = "poll_turnout"

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), primary_key=True
    )
    ballots: Mapped[int] = mapped_column(Integer, default=0)


class Meetup(Base):
    """An event in a city or online, with optional capacity and waitlist."""

    __tablename__ = "meetups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), default=None
    )
    title: Mapped[str] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(120), default=None, index=True)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    link: Mapped[str | None] = mapped_column(String(500), default=None)
    address: Mapped[str | None] = mapped_column(String(300), default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime] = mapped_column()
    capacity: Mapped[int | None] = mapped_column(Integer, default=None)
    rsvp_deadline: Mapped[datetime | None] = mapped_column(default=None)
    # none, weekly, monthly
    recurrence: Mapped[str] = mapped_column(String(16), default="none")
    series_id: Mapped[int | None] = mapped_column(Integer, default=None)
    reminders: Mapped[str] = mapped_column(String(100), default="1440,60")  # minutes before
    # scheduled, cancelled
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    # Bumped by every RSVP: its UPDATE serialises RSVPs to one meetup.
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Rsvp(Base):
    """A person's answer to a meetup: going, maybe, or waiting for a place."""

    __tablename__ = "rsvps"
    __table_args__ = (UniqueConstraint("meetup_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meetup_id: Mapped[int] = mapped_column(
        ForeignKey("meetups.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    # going, maybe, waitlist
    status: Mapped[str] = mapped_column(String(16))
    # Order in the waitlist (and of arrival): a counter per meetup.
    queued: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AidPost(Base):
    """A mutual-aid request or offer."""

    __tablename__ = "aid_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # request, offer
    category: Mapped[str] = mapped_column(String(16))  # coaching, exchange, advice
    skills: Mapped[str] = mapped_column(String(500))  # comma-separated skill keys
    tags: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text)
    remote: Mapped[bool] = mapped_column(Boolean, default=True)
    city: Mapped[str | None] = mapped_column(String(120), default=None)
    hours: Mapped[float | None] = mapped_column(Float, default=None)
    # open, fulfilled, closed, expired
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SkillProfile(Base):
    """What a person can offer, and whether they want to hear of matching requests."""

    __tablename__ = "skill_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), unique=True
    )
    skills: Mapped[str] = mapped_column(String(500), default="")
    city: Mapped[str | None] = mapped_column(String(120), default=None)
    notify: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AidNotification(Base):
    """A matching request told to a person (for the daily cap)."""

    __tablename__ = "aid_notifications"
    __table_args__ = (UniqueConstraint("person_id", "post_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    post_id: Mapped[int] = mapped_column(ForeignKey("aid_posts.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class Exchange(Base):
    """Time given by one person to another, recorded by one side and confirmed by
    the other. Confirmation writes two ledger entries that sum to zero."""

    __tablename__ = "exchanges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int | None] = mapped_column(
        ForeignKey("collectives.id", ondelete="SET NULL"), default=None
    )
    giver_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    receiver_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL")
    )
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("aid_posts.id", ondelete="SET NULL"), default=None
    )
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    category: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(300), default="")
    # pending, confirmed, declined
    status: Mapped[str] = mapped_column(String(16), default="pending")
    corrects_id: Mapped[int | None] = mapped_column(
        ForeignKey("exchanges.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)


class LedgerEntry(Base):
    """One movement of the time bank. Entries are only ever added."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exchange_id: Mapped[int] = mapped_column(
        ForeignKey("exchanges.id", ondelete="RESTRICT"), index=True
    )
    # Set to NULL when the person is erased: the amounts stay, so totals hold.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PostedMessage(Base):
    """A message the bot posted for an item, so it can be edited later."""

    __tablename__ = "posted_messages"
    __table_args__ = (UniqueConstraint("kind", "item_id", "platform", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[int] = mapped_column(Integer)
    platform: Mapped[str] = mapped_column(String(16))
    collective_id: Mapped[str] = mapped_column(String(255))
    channel_id: Mapped[str] = mapped_column(String(255))
    message_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FederationModerator(Base):
    """A person who may manage a federation (link codes, removals)."""

    __tablename__ = "federation_moderators"
    __table_args__ = (UniqueConstraint("federation_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    federation_id: Mapped[int] = mapped_column(
        ForeignKey("federations.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkCode(Base):
    """A one-time code: to join a federation, or to link two identities.

    Only a hash of the code is stored; it expires and is used at most once.
    """

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "federation" or "identity"
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    federation_id: Mapped[int | None] = mapped_column(
        ForeignKey("federations.id", ondelete="CASCADE"), default=None
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class LinkAttempt(Base):
    """A failed code redemption, counted to stop guessing."""

    __tablename__ = "link_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """A moderator action: who, when, where, what."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int | None] = mapped_column(
        ForeignKey("collectives.id", ondelete="SET NULL"), index=True, default=None
    )
    federation_id: Mapped[int | None] = mapped_column(
        ForeignKey("federations.id", ondelete="SET NULL"), default=None
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), default=None
    )
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Job(Base):
    """A durable job: runs once at ``due_at``, even after a restart.

    Claimed with a lease; a job whose process died is claimed again when the
    lease runs out. ``key`` makes scheduling idempotent (one reminder per
    meetup and offset, say).
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_pending_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    payload: Mapped[str] = mapped_column(Text, default="{}")
    due_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_by: Mapped[str | None] = mapped_column(String(64), default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(default=None)


class BotState(Base):
    """Small durable key/value state (e.g. the Matrix sync token)."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessedEvent(Base):
    """Platform events already handled, so a replay never acts twice."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class FaqEntry(Base):
    """A rights FAQ entry (fiche droits): a curated answer with its sources and the
    date it was last reviewed. Entries come from the corpus files shipped with
    the bot or from moderators; ``edited`` entries are no longer overwritten by
    the files. ``search_*`` hold the analysed text (see ``bot.core.faq_text``):
    one line per field (title, questions and aliases, topics, answer)."""

    __tablename__ = "faq_entries"
    __table_args__ = (
        Index("ix_faq_entries_search_vector", "search_vector", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str] = mapped_column(Text)
    questions: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    topics: Mapped[str] = mapped_column(String(300), default="")  # comma-separated
    sources: Mapped[str] = mapped_column(Text, default="[]")  # JSON [[name, url], ...]
    reviewed_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    origin: Mapped[str] = mapped_column(String(16), default="file")
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    file_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    search_text: Mapped[str] = mapped_column(Text, default="")
    search_stems: Mapped[str] = mapped_column(Text, default="")
    # PostgreSQL: the French (unaccented) text-search vector of search_text.
    search_vector: Mapped[str | None] = mapped_column(
        Text().with_variant(TSVECTOR(), "postgresql"), default=None
    )
    hits: Mapped[int] = mapped_column(Integer, default=0)
    views: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FaqAlias(Base):
    """Another way to ask for an entry (« congé mat », « ATI »), from its file or
    added by a moderator."""

    __tablename__ = "faq_aliases"
    __table_args__ = (UniqueConstraint("entry_id", "text"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("faq_entries.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(16), default="moderator")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FaqFeedback(Base):
    """One person's « useful / not useful » on an entry (the latest counts)."""

    __tablename__ = "faq_feedback"
    __table_args__ = (UniqueConstraint("entry_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("faq_entries.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    useful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FaqQuestion(Base):
    """A question the FAQ did not answer well (no good match, or marked not
    useful), queued for moderators; the same question asked again is counted.
    Stored without the asker."""

    __tablename__ = "faq_questions"
    __table_args__ = (UniqueConstraint("collective_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(String(16))  # no_match, unhelpful
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("faq_entries.id", ondelete="SET NULL"), default=None
    )
    count: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, closed
    first_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)


class FaqPassiveChannel(Base):
    """A channel where the bot offers a rights entry when a member's message looks
    like a rights question (passive help; off everywhere until a moderator turns
    it on for a channel)."""

    __tablename__ = "faq_passive_channels"
    __table_args__ = (UniqueConstraint("collective_id", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


FAQ_FTS_TABLE = "faq_fts"


def include_in_autogenerate(
    object_: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic ``include_object``: the SQLite full-text index of the FAQ (an FTS5
    virtual table and its shadow tables, made by revision 0009) has no model."""
    return not (type_ == "table" and reflected and compare_to is None
                and (name or "").startswith(FAQ_FTS_TABLE))


__all__ = [
    "AidNotification",
    "AidPost",
    "AuditEntry",
    "Ballot",
    "Base",
    "BotState",
    "Collective",
    "CollectiveChannel",
    "Exchange",
    "FaqAlias",
    "FaqEntry",
    "FaqFeedback",
    "FaqPassiveChannel",
    "FaqQuestion",
    "Federation",
    "FederationModerator",
    "Job",
    "LedgerEntry",
    "LinkAttempt",
    "LinkCode",
    "Meetup",
    "Member",
    "Membership",
    "Person",
    "Poll",
    "PollOption",
    "PollTurnout",
    "PollVoter",
    "PostedMessage",
    "ProcessedEvent",
    "Proposal",
    "ProposalSupport",
    "Rsvp",
    "Signature",
    "SkillProfile",
    "Tribune",
]

"""Typed ORM models. Every schema change is an Alembic revision in migrations/."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
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

    collectives: Mapped[list[Collective]] = relationship(back_populates="federation")


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
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    moderator_role_id: Mapped[str | None] = mapped_column(String(64), default=None)
    signer_role_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    federation: Mapped[Federation] = relationship(back_populates="collectives")


class CollectiveChannel(Base):
    """Which channel of a collective receives a workflow's posts."""

    __tablename__ = "collective_channels"
    __table_args__ = (UniqueConstraint("collective_id", "workflow"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    workflow: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(255))


class Person(Base):
    """One human, possibly with several platform identities."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[Member]] = relationship(back_populates="person")


class Member(Base):
    """One platform identity (platform, user id)."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("platform", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="members")


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
    """A person's signature of a federation's tribune. Withdrawal deletes the row."""

    __tablename__ = "signatures"
    __table_args__ = (UniqueConstraint("federation_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    federation_id: Mapped[int] = mapped_column(
        ForeignKey("federations.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    collective_id: Mapped[int | None] = mapped_column(
        ForeignKey("collectives.id", ondelete="SET NULL"), default=None
    )
    display_name: Mapped[str] = mapped_column(String(80))
    profession: Mapped[str] = mapped_column(String(80))
    city: Mapped[str] = mapped_column(String(80))
    collective_label: Mapped[str | None] = mapped_column(String(80), default=None)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


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


__all__ = [
    "Base",
    "BotState",
    "Collective",
    "CollectiveChannel",
    "Federation",
    "Member",
    "Person",
    "ProcessedEvent",
    "Signature",
    "Tribune",
]

"""Alembic revisions: upgrade an empty database, downgrade one step, upgrade again."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot.db import migrate
from bot.db.engine import create_engine
from bot.db.models import Base, include_in_autogenerate


async def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    url = database_url
    await migrate.upgrade(url)
    expected = set(Base.metadata.tables)
    assert expected <= await table_names(url)
    assert {"federations", "collectives", "members", "persons"} <= expected
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    head = script.get_revision(script.get_current_head())
    await migrate.downgrade(url, "-1")
    after = await table_names(url)
    if head.down_revision is None:
        assert after <= {"alembic_version"}
    else:
        assert after != expected | {"alembic_version"}
    await migrate.upgrade(url)
    assert expected <= await table_names(url)


def test_every_revision_says_why() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite+aiosqlite://"))
    for revision in script.walk_revisions():
        assert revision.doc and len(revision.doc.strip()) > 15, revision.revision


async def test_models_match_migrations(database_url: str) -> None:
    """Autogenerate finds nothing to add: every model change has its revision."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url = database_url
    await migrate.upgrade(url)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(
                        c, opts={"include_object": include_in_autogenerate}),
                    Base.metadata,
                )
            )
    finally:
        await engine.dispose()
    assert diff == []


async def test_signatures_survive_the_federation_revision(tmp_path: Path) -> None:
    """0002 moves signatures from federations to collectives without losing any."""
    from sqlalchemy import text

    url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    await migrate.upgrade(url, "0001")
    engine = create_engine(url)
    now = "2026-01-01 00:00:00"
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(f"INSERT INTO federations (id, name, created_at) VALUES (1, 'F', '{now}')")
            )
            await connection.execute(
                text(
                    "INSERT INTO collectives (id, platform, external_id, name, federation_id,"
                    " locale, timezone, created_at)"
                    f" VALUES (1, 'console', 'c', 'c', 1, 'fr', 'UTC', '{now}')"
                )
            )
            await connection.execute(
                text(f"INSERT INTO persons (id, created_at) VALUES (1, '{now}')")
            )
            await connection.execute(
                text(
                    "INSERT INTO signatures (federation_id, person_id, collective_id, display_name,"
                    " profession, city, public, consent_at, created_at, updated_at)"
                    f" VALUES (1, 1, 1, 'Alice', 'x', 'y', 1, '{now}', '{now}', '{now}')"
                )
            )
        await migrate.upgrade(url)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT s.display_name, c.home_federation_id FROM signatures s"
                        " JOIN collectives c ON c.id = s.collective_id"
                    )
                )
            ).all()
        assert rows == [("Alice", 1)]
        await migrate.downgrade(url, "0001")
        async with engine.connect() as connection:
            rows = (
                await connection.execute(text("SELECT display_name, federation_id FROM signatures"))
            ).all()
        assert rows == [("Alice", 1)]
    finally:
        await engine.dispose()

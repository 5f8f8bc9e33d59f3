"""Alembic revisions: upgrade an empty database, downgrade one step, upgrade again."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot.db import migrate
from bot.db.engine import create_engine
from bot.db.models import Base


async def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
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


async def test_models_match_migrations(tmp_path: Path) -> None:
    """Autogenerate finds nothing to add: every model change has its revision."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    await migrate.upgrade(url)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []

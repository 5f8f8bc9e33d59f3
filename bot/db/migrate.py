"""Apply Alembic migrations programmatically (at start and by ``python -m bot migrate``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def _run(url: str, action: str, revision: str) -> None:
    config = alembic_config(url)
    if action == "upgrade":
        command.upgrade(config, revision)
    elif action == "downgrade":
        command.downgrade(config, revision)
    else:  # pragma: no cover - programming error
        raise ValueError(action)


async def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url``; runs Alembic's own loop in a worker thread."""
    await asyncio.to_thread(_run, url, "upgrade", revision)


async def downgrade(url: str, revision: str) -> None:
    await asyncio.to_thread(_run, url, "downgrade", revision)

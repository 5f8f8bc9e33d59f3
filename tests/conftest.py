"""Shared fixtures: a migrated SQLite file per test and the assembled core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core.app import Core
from bot.core.types import Actor, Place, Platform

pytest_plugins = ["tests.matrix_harness.fixtures"]


def make_settings(tmp_path: Path, **sections: dict) -> Settings:
    raw: dict = {"bot": {"data_dir": str(tmp_path / "data")}}
    for name, values in sections.items():
        raw.setdefault(name, {}).update(values)
    return Settings.model_validate(raw)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def core(settings: Settings) -> AsyncIterator[Core]:
    core = Core(settings)
    await core.start()
    try:
        yield core
    finally:
        await core.close()


def member(name: str, *, moderator: bool = False, platform: Platform = Platform.CONSOLE) -> Actor:
    return Actor(platform, name, name.title(), moderator)


def place(collective: str = "c1", channel: str = "general",
          platform: Platform = Platform.CONSOLE) -> Place:
    return Place(platform, collective, channel, collective)

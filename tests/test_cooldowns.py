"""Per-member cooldowns on creating demands, mutual-aid posts and meetups."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.core.app import Core
from bot.core.errors import InvalidInput, RateLimited
from bot.core.i18n import use_locale
from bot.core.render.errors import error as render_error
from bot.core.services.aid import PostDraft
from bot.core.services.demands import Draft
from bot.core.types import Actor, Platform
from bot.db.models import AidPost, Meetup, Proposal, utcnow
from tests.conftest import make_settings, member, place
from tests.test_meetups import draft as meetup_draft


@pytest.fixture
async def limited(tmp_path: Path, migrated_database_url: str) -> AsyncIterator[Core]:
    settings = make_settings(tmp_path, database={"url": migrated_database_url},
                             limits={"demand_cooldown": 120, "aid_post_cooldown": 120,
                                     "meetup_cooldown": 60})
    core = Core(settings)
    await core.start()
    try:
        yield core
    finally:
        await core.close()


async def test_a_member_waits_between_two_demands(limited: Core) -> None:
    ana = member("ana")
    await limited.demands.propose(ana, place(), Draft("Une mutuelle pour tous", "Texte",
                                                      "autre"))
    with pytest.raises(RateLimited) as refused:
        await limited.demands.propose(ana, place(), Draft("Des crèches", "Texte", "autre"))
    with use_locale("fr"):
        assert "attendez 2 min" in render_error(refused.value).plain_text()
    async with limited.db.transaction() as session:  # nothing half-written
        assert await session.scalar(select(func.count()).select_from(Proposal)) == 1
    await limited.demands.propose(member("ben"), place(), Draft("Des crèches", "T", "autre"))
    await limited.demands.propose(member("mod", moderator=True), place(),
                                  Draft("Un fonds de grève", "T", "autre"))
    await limited.demands.propose(member("mod", moderator=True), place(),
                                  Draft("Une caisse de retraite", "T", "autre"))
    async with limited.db.transaction() as session:  # the cooldown has passed
        await session.execute(update(Proposal).values(
            created_at=utcnow() - timedelta(minutes=3)))
    await limited.demands.propose(ana, place(), Draft("Des crèches ouvertes", "T", "autre"))


async def test_an_organiser_waits_between_two_meetups(limited: Core) -> None:
    organiser = Actor(Platform.CONSOLE, "org", "Org", False, True)
    await limited.meetups.create(organiser, place(), meetup_draft())
    with pytest.raises(RateLimited):
        await limited.meetups.create(organiser, place(), meetup_draft(title="Autre"))
    async with limited.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Meetup)) == 1


def aid_post(kind: str = "request", description: str = "Relire ma page de vente") -> PostDraft:
    return PostDraft(kind=kind, skills="marketing", description=description)


async def test_a_member_waits_between_two_aid_posts(limited: Core) -> None:
    ana = member("ana")
    created = (await limited.aid.post(ana, place(), aid_post())).post
    for kind in ("request", "offer"):  # one cooldown for both kinds
        with pytest.raises(RateLimited) as refused:
            await limited.aid.post(ana, place(), aid_post(kind, "Autre chose"))
    with use_locale("fr"):
        assert "attendez 2 min" in render_error(refused.value).plain_text()
    async with limited.db.transaction() as session:  # nothing half-written
        assert await session.scalar(select(func.count()).select_from(AidPost)) == 1
    # Changing a post is no new post; others and moderators are not held back.
    await limited.aid.edit_post(ana, place(), created.id, PostDraft(description="Relire"))
    await limited.aid.post(member("ben"), place(), aid_post())
    for _ in range(2):
        await limited.aid.post(member("mod", moderator=True), place(), aid_post("offer"))
    async with limited.db.transaction() as session:  # the cooldown has passed
        await session.execute(update(AidPost).values(created_at=utcnow() - timedelta(minutes=3)))
    await limited.aid.post(ana, place(), aid_post("offer"))


async def test_link_code_limits_come_from_the_configuration(
        tmp_path: Path, migrated_database_url: str) -> None:
    settings = make_settings(tmp_path, database={"url": migrated_database_url},
                             limits={"code_failures": 2, "codes_per_hour": 1})
    core = Core(settings)
    await core.start()
    try:
        ana = member("ana")
        await core.identity.issue(ana, place())
        with pytest.raises(RateLimited):  # one code an hour
            await core.identity.issue(ana, place())
        other = Actor(Platform.DISCORD, "42", "Ana")
        for _ in range(2):
            with pytest.raises(InvalidInput):
                await core.identity.redeem(other, place(platform=Platform.DISCORD), "ABCD-EFGH")
        with pytest.raises(RateLimited):  # two wrong codes, then a pause
            await core.identity.redeem(other, place(platform=Platform.DISCORD), "ABCD-EFGH")
    finally:
        await core.close()

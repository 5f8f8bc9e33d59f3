"""Mutual aid and the time bank on a real database."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.core.app import Core
from bot.core.errors import InvalidInput, NotFound, PermissionDenied
from bot.core.services.aid import PostDraft
from bot.db.models import AidPost, Exchange, LedgerEntry
from tests.conftest import member, place


def request(**overrides) -> PostDraft:
    values = dict(kind="request", category="coaching", skills="marketing",
                  description="Aide pour mon plan de communication", city="Lyon", hours="2")
    values.update(overrides)
    return PostDraft(**values)


async def ledger_total(core: Core) -> Decimal:
    async with core.db.transaction() as session:
        return Decimal(str(await session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)))))


async def test_request_match_help_exchange_and_balances(core: Core) -> None:
    await core.aid.set_profile(member("ana"), place(), skills="marketing, étude de marché",
                               city="Lyon")
    await core.aid.set_profile(member("cat"), place(), skills="comptabilité")
    await core.aid.set_profile(member("dan"), place(), skills="marketing", notify=False)
    created = await core.aid.post(member("ben"), place(), request())
    assert [n.user_id for n in created.notices] == ["ana"]  # not cat (no match), not dan
    offer = await core.aid.can_help(member("ana"), place(), created.post.id)
    assert [(n.user_id, n.kind) for n in offer.notices] == [("ben", "aid.help")]
    recorded = await core.aid.record(member("ana"), place(), other=member("ben"), hours="2",
                                     gave=True, post=created.post.id)
    assert recorded.exchange.status == "pending"
    assert [n.data.yours_to_confirm for n in recorded.notices] == [True]
    assert (await core.aid.balance(member("ana"), place())).hours == 0  # not yet confirmed
    confirmed = await core.aid.confirm(member("ben"), place(), recorded.exchange.id)
    assert confirmed.exchange.status == "confirmed"
    assert (await core.aid.balance(member("ana"), place())).hours == 2
    assert (await core.aid.balance(member("ben"), place())).hours == -2
    assert (await core.aid.show(member("x"), place(), created.post.id)).status == "fulfilled"
    assert await ledger_total(core) == 0


async def test_notifications_are_capped_per_day(core: Core) -> None:
    core.aid.per_day = 2
    await core.aid.set_profile(member("ana"), place(), skills="marketing")
    told = []
    for index in range(4):
        created = await core.aid.post(member(f"r{index}"), place(), request())
        told.append(len(created.notices))
    assert told == [1, 1, 0, 0]


async def test_ledger_sums_to_zero_after_a_thousand_random_transfers(core: Core) -> None:
    rng = random.Random(2026)
    people = [member(f"p{i}") for i in range(12)]
    for person in people:
        await core.aid.set_profile(person, place(), skills="coaching")
    expected: dict[str, Decimal] = {p.user_id: Decimal(0) for p in people}
    for _ in range(1000):
        giver, receiver = rng.sample(people, 2)
        hours = Decimal(rng.randint(1, 96)) / 4
        result = await core.aid.record(giver, place(), other=receiver, hours=str(hours),
                                       gave=True)
        if rng.random() < 0.8:
            await core.aid.confirm(receiver, place(), result.exchange.id)
            expected[giver.user_id] += hours
            expected[receiver.user_id] -= hours
    assert await ledger_total(core) == 0
    for person in people[:4]:
        assert (await core.aid.balance(person, place())).hours == expected[person.user_id]
    async with core.db.transaction() as session:
        confirmed = await session.scalar(select(func.count()).select_from(Exchange).where(
            Exchange.status == "confirmed"))
        entries = await session.scalar(select(func.count()).select_from(LedgerEntry))
    assert entries == 2 * confirmed


@pytest.mark.parametrize(
    ("hours", "other"),
    [("0", "ben"), ("-2", "ben"), ("24.5", "ben"), ("deux", "ben"), ("2", "ana"),
     ("2", "inconnu")],
)
async def test_bad_exchanges_write_nothing(core: Core, hours: str, other: str) -> None:
    for name in ("ana", "ben"):
        await core.aid.set_profile(member(name), place(), skills="coaching")
    with pytest.raises((InvalidInput, NotFound)):
        await core.aid.record(member("ana"), place(), other=member(other), hours=hours,
                              gave=True)
    async with core.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Exchange)) == 0


async def test_only_the_other_side_confirms(core: Core) -> None:
    for name in ("ana", "ben", "eve"):
        await core.aid.set_profile(member(name), place(), skills="coaching")
    result = await core.aid.record(member("ana"), place(), other=member("ben"), hours="1",
                                   gave=True)
    for intruder in ("ana", "eve"):
        with pytest.raises(PermissionDenied):
            await core.aid.confirm(member(intruder), place(), result.exchange.id)
    await core.aid.confirm(member("ben"), place(), result.exchange.id, accept=False)
    assert await ledger_total(core) == 0 and (
        await core.aid.balance(member("ana"), place())).hours == 0
    with pytest.raises(InvalidInput):
        await core.aid.confirm(member("ben"), place(), result.exchange.id)


@pytest.mark.parametrize(
    "draft",
    [request(skills="markting"), request(skills=""), request(description=""),
     request(description="x" * 1501), request(category="magie"), request(hours="0"),
     request(tags="t" * 301)],
)
async def test_bad_posts_write_nothing(core: Core, draft: PostDraft) -> None:
    with pytest.raises(InvalidInput):
        await core.aid.post(member("ben"), place(), draft)
    async with core.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(AidPost)) == 0


async def test_unknown_skill_suggests_the_closest(core: Core) -> None:
    with pytest.raises(InvalidInput) as caught:
        await core.aid.set_profile(member("ana"), place(), skills="comptabilite, markting")
    assert caught.value.params["suggestion"] == "marketing"


async def test_forgetting_a_member_keeps_the_ledger_balanced(core: Core) -> None:
    for name in ("ana", "ben"):
        await core.aid.set_profile(member(name), place(), skills="coaching")
    result = await core.aid.record(member("ana"), place(), other=member("ben"), hours="3",
                                   gave=True, note="Merci Ana pour la relecture")
    await core.aid.confirm(member("ben"), place(), result.exchange.id)
    await core.privacy.forget(member("ana"), place(), confirm=True)
    assert (await core.aid.balance(member("ben"), place())).hours == -3
    assert await ledger_total(core) == 0
    async with core.db.transaction() as session:
        notes = (await session.scalars(select(Exchange.note))).all()
    assert notes == [""]


async def test_search_and_close(core: Core) -> None:
    first = (await core.aid.post(member("ben"), place(), request())).post
    await core.aid.post(member("cat"), place(), request(kind="offer", skills="traduction",
                                                        city="distance"))
    found = await core.aid.search(member("x"), place(), skill="marketing")
    assert [p.id for p in found] == [first.id]
    offers = await core.aid.search(member("x"), place(), kind="offer", city="Nantes")
    assert len(offers) == 1 and offers[0].remote  # remote offers match any city
    with pytest.raises(PermissionDenied):
        await core.aid.close(member("x"), place(), first.id)
    assert (await core.aid.close(member("ben"), place(), first.id)).status == "fulfilled"


async def test_weekly_digest_and_expiry(core: Core) -> None:
    from datetime import timedelta

    from bot.db.models import utcnow

    await core.config.set_channel(member("mod", moderator=True), place(), "aid", "entraide")
    created = (await core.aid.post(member("ben"), place(), request())).post
    await core.aid.post(member("cat"), place(), request(kind="offer", skills="traduction"))
    [digest] = await core.aid.digests(utcnow() - timedelta(days=7))
    assert digest.channel_id == "entraide"
    assert [p.id for p in digest.requests] == [created.id] and len(digest.offers) == 1
    reminder = await core.aid.expire(created.id, reminder=True)
    assert [(n.user_id, n.kind) for n in reminder] == [("ben", "aid.expiring")]
    expired = await core.aid.expire(created.id, reminder=False)
    assert [n.kind for n in expired] == ["aid.expired"]
    assert (await core.aid.show(member("x"), place(), created.id)).status == "expired"
    assert await core.aid.expire(created.id, reminder=False) == ()  # never twice

"""Mutual aid and the time bank on a real database."""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core.app import Core
from bot.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from bot.core.i18n import use_locale
from bot.core.render.errors import error as render_error
from bot.core.services.aid import CLEAR, PostDraft
from bot.db.models import AidPost, AuditEntry, Exchange, LedgerEntry
from bot.textcmd import build_registry
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


async def check_ledger(core: Core) -> None:
    """The whole ledger sums to zero; each confirmed exchange is exactly two movements,
    +hours for its giver and -hours for its receiver; other exchanges have none."""
    async with core.db.transaction() as session:
        exchanges = {e.id: e for e in await session.scalars(select(Exchange))}
        entries = list(await session.scalars(select(LedgerEntry)))
    assert sum((Decimal(str(e.amount)) for e in entries), Decimal(0)) == 0
    movements: dict[int, set[tuple[int | None, Decimal]]] = defaultdict(set)
    for entry in entries:
        movements[entry.exchange_id].add((entry.person_id, Decimal(str(entry.amount))))
    assert len(entries) == sum(len(moves) for moves in movements.values())
    confirmed = {i for i, e in exchanges.items() if e.status == "confirmed"}
    assert set(movements) == confirmed
    for number in confirmed:
        exchange = exchanges[number]
        hours = Decimal(str(exchange.hours))
        assert movements[number] == {(exchange.giver_id, hours), (exchange.receiver_id, -hours)}


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
    for person in people:
        assert (await core.aid.balance(person, place())).hours == expected[person.user_id]
    await check_ledger(core)


# Hypothesis runs every example on the same database: each one has its own members.
EXAMPLES = itertools.count()
PEOPLE = 4
ANSWERS = ("confirm", "decline", "none")
# (who records, the other, quarter hours, the recorder gave the help, the other's answer)
TRANSFERS = st.lists(
    st.tuples(st.integers(0, PEOPLE - 1), st.integers(1, PEOPLE - 1), st.integers(1, 96),
              st.booleans(), st.sampled_from(ANSWERS)),
    max_size=12,
)


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(transfers=TRANSFERS)
async def test_random_exchanges_keep_the_ledger_balanced(
    core: Core, transfers: list[tuple[int, int, int, bool, str]]
) -> None:
    example = next(EXAMPLES)
    people = [member(f"h{example}-{i}") for i in range(PEOPLE)]
    for person in people:
        await core.aid.set_profile(person, place(), skills="coaching")
    expected = [Decimal(0)] * PEOPLE
    for recorder, step, quarters, gave, answer in transfers:
        other = (recorder + step) % PEOPLE
        hours = Decimal(quarters) / 4
        result = await core.aid.record(people[recorder], place(), other=people[other],
                                       hours=str(hours), gave=gave)
        if answer != "none":
            await core.aid.confirm(people[other], place(), result.exchange.id,
                                   accept=answer == "confirm")
        if answer == "confirm":
            giver, receiver = (recorder, other) if gave else (other, recorder)
            expected[giver] += hours
            expected[receiver] -= hours
    await check_ledger(core)
    for index, person in enumerate(people):
        balance = await core.aid.balance(person, place())
        assert balance.hours == expected[index]
        assert balance.given - balance.received == expected[index]


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
     request(tags="t" * 301), request(city="Saint-" * 30)],
)
async def test_bad_posts_write_nothing(core: Core, draft: PostDraft) -> None:
    with pytest.raises(InvalidInput):
        await core.aid.post(member("ben"), place(), draft)
    async with core.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(AidPost)) == 0


async def test_an_over_long_profile_city_is_refused(core: Core) -> None:
    await core.aid.set_profile(member("ana"), place(), skills="coaching", city="Lyon")
    with pytest.raises(InvalidInput) as caught:
        await core.aid.set_profile(member("ana"), place(), city="Saint-" * 30)
    assert caught.value.params["limit"] == 120 and caught.value.params["length"] == 180
    assert (await core.aid.set_profile(member("ana"), place())).city == "Lyon"


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


# -- editing posts ------------------------------------------------------------------------


async def post_row(core: Core, number: int) -> dict[str, Any]:
    async with core.db.transaction() as session:
        post = await session.get(AidPost, number)
        assert post is not None
        return {column: getattr(post, column) for column in AidPost.__table__.columns.keys()}


async def audit_actions(core: Core) -> list[str]:
    async with core.db.transaction() as session:
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


async def test_the_author_edits_a_post(core: Core) -> None:
    created = (await core.aid.post(member("ben"), place(), request(tags="lancement"))).post
    edited = await core.aid.edit_post(member("ben"), place(), created.id, PostDraft(
        description="Relire ma page de vente", hours="3,5", category="echange"))
    assert (edited.description, edited.hours, edited.category) == (
        "Relire ma page de vente", 3.5, "exchange")
    # Fields left empty keep their value; the kind never changes.
    assert (edited.kind, edited.skills, edited.city, edited.tags, edited.mine) == (
        "request", ("marketing",), "Lyon", "lancement", True)
    assert edited.expires_at == created.expires_at and edited.status == "open"
    again = await core.aid.edit_post(member("ben"), place(), created.id, PostDraft(
        kind="offer", skills="traduction, comptabilité", city=" ", tags="", hours=""))
    assert again.kind == "request" and again.skills == ("translation", "accounting")
    assert (again.city, again.tags, again.hours) == ("Lyon", "lancement", 3.5)
    # "-" removes the city (the post becomes remote), the hours or the tags.
    cleared = await core.aid.edit_post(member("ben"), place(), created.id, PostDraft(
        city=CLEAR, hours=CLEAR, tags=CLEAR))
    assert (cleared.remote, cleared.city, cleared.hours, cleared.tags) == (True, None, None, "")
    assert (await core.aid.edit_post(member("ben"), place(), created.id,
                                     PostDraft(city="distance"))).remote
    moved = await core.aid.edit_post(member("ben"), place(), created.id,
                                     PostDraft(city="Nantes"))
    assert (moved.remote, moved.city) == (False, "Nantes")
    assert await core.aid.show(member("x"), place(), created.id) == dataclasses.replace(
        moved, mine=False)
    assert await audit_actions(core) == []  # an author's own change is not audited


async def test_only_the_author_or_a_moderator_edits(core: Core) -> None:
    created = (await core.aid.post(member("ben"), place(), request())).post
    before = await post_row(core, created.id)
    for intruder in ("ana", "inconnu"):
        with pytest.raises(PermissionDenied):
            await core.aid.edit_post(member(intruder), place(), created.id,
                                     PostDraft(description="Pris"))
        with pytest.raises(PermissionDenied):
            await core.aid.editable(member(intruder), place(), created.id)
    assert await post_row(core, created.id) == before
    assert (await core.aid.editable(member("ben"), place(), created.id)).mine
    mod = member("mod", moderator=True)
    assert not (await core.aid.editable(mod, place(), created.id)).mine
    edited = await core.aid.edit_post(mod, place(), created.id,
                                      PostDraft(description="Texte modéré"))
    assert edited.description == "Texte modéré" and edited.author == "Ben"
    assert await audit_actions(core) == ["aid.edit"]
    with pytest.raises(NotFound):
        await core.aid.edit_post(mod, place(), 999, PostDraft(description="x"))
    with pytest.raises(NotFound):  # another collective's post
        await core.aid.edit_post(member("ben"), place("c2"), created.id,
                                 PostDraft(description="x"))


async def test_closed_and_expired_posts_cannot_be_edited(core: Core) -> None:
    closed = (await core.aid.post(member("ben"), place(), request())).post
    await core.aid.close(member("ben"), place(), closed.id)
    expired = (await core.aid.post(member("ben"), place(), request())).post
    await core.aid.expire(expired.id, reminder=False)
    for number in (closed.id, expired.id):
        before = await post_row(core, number)
        for who in (member("ben"), member("mod", moderator=True)):
            with pytest.raises(InvalidInput) as refused:
                await core.aid.edit_post(who, place(), number, PostDraft(description="Encore"))
            assert refused.value.message == "This post is no longer open."
            with pytest.raises(InvalidInput):
                await core.aid.editable(who, place(), number)
        assert await post_row(core, number) == before


@pytest.mark.parametrize(
    "draft",
    [PostDraft(skills="markting"), PostDraft(description="x" * 1501),
     PostDraft(category="magie"), PostDraft(hours="0"), PostDraft(hours="25"),
     PostDraft(hours="deux"), PostDraft(tags="t" * 301), PostDraft(),
     PostDraft(description=" ", tags="", city=None),
     PostDraft(description="Nouveau texte", skills="markting")],
)
async def test_bad_edits_write_nothing(core: Core, draft: PostDraft) -> None:
    created = (await core.aid.post(member("ben"), place(), request())).post
    before = await post_row(core, created.id)
    with pytest.raises(InvalidInput):
        await core.aid.edit_post(member("ben"), place(), created.id, draft)
    assert await post_row(core, created.id) == before


async def test_editing_with_the_text_command(core: Core) -> None:
    registry = build_registry("!")

    async def run(line: str, who: str = "ben") -> str:
        with use_locale("fr"):
            try:
                messages = await registry.dispatch(core, member(who), place(), line)
            except DomainError as error:
                return render_error(error).plain_text()
            return "\n".join(m.plain_text() for m in messages)

    shown = await run('entraide demander competences=marketing description="Relire ma page" '
                      "ville=Lyon heures=2")
    assert "→ Modifier: !entraide modifier 1" in shown  # the author sees how to change it
    changed = await run('entraide modifier 1 description="Relire ma page de vente" '
                        "ville=distance heures=- tags=lancement")
    assert "Relire ma page de vente" in changed and "à distance" in changed
    assert "lancement" in changed and "Temps prévu" not in changed
    post = await core.aid.show(member("x"), place(), 1)
    assert (post.description, post.remote, post.hours, post.skills) == (
        "Relire ma page de vente", True, None, ("marketing",))
    assert "modifier" not in await run("entraide voir 1", who="ana")  # not hers
    refused = await run("entraide modifier 1 description=Pris", who="ana")
    assert "Seuls l’auteur de cette annonce ou un modérateur" in refused
    assert "Rien à modifier" in await run("entraide modifier 1")
    assert "entraide modifier NUMÉRO" in await run("entraide modifier description=x")
    for odd in ("²", "9" * 5000):  # digits int() refuses, numbers no post has
        assert "entraide modifier NUMÉRO" in await run(f"entraide modifier {odd} tags=x")
        assert "annonce=N" in await run(f"entraide echange heures=1 avec=ana annonce={odd}")
    assert "Champ inconnu" in await run("entraide modifier 1 couleur=bleu")
    assert (await core.aid.show(member("x"), place(), 1)).description == \
        "Relire ma page de vente"

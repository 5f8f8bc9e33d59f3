"""Demands: near-duplicates, supports counted per person, merging, decisions."""

from __future__ import annotations

import pytest

from bot.core.app import Core
from bot.core.errors import InvalidInput, MissingFields, NotFound, PermissionDenied
from bot.core.services.demands import Draft, parse_theme, similarity
from bot.core.types import Actor, Place, Platform
from tests.conftest import member, place

CHOMAGE = Draft("Ouvrir l'assurance chômage aux indépendants",
                "Une allocation digne pour les freelances entre deux missions.", "unemployment")


async def test_propose_then_near_duplicate_is_shown(core: Core) -> None:
    first = await core.demands.propose(member("ana"), place(), CHOMAGE)
    assert first.created is not None and first.created.supports == 1
    again = await core.demands.propose(member("ben"), place(), Draft(
        "ouvrir l assurance chomage aux independants !", "Allocation pour freelances",
        "unemployment"))
    assert again.created is None
    assert [s.demand.id for s in again.similar] == [first.created.id]
    other = await core.demands.propose(member("ben"), place(), Draft(
        "Des crèches pour les parents indépendants", "Accès aux crèches municipales.",
        "parenthood"))
    assert other.created is not None and other.similar == ()
    forced = await core.demands.propose(member("ben"), place(), Draft(
        "ouvrir l assurance chomage aux independants !", "x", "unemployment"), force=True)
    assert forced.created is not None


def test_similarity_ignores_case_accents_and_order() -> None:
    assert similarity("Chômage des indépendants", "", "chomage des independants", "") == 100
    assert similarity("Retraite", "cotisations", "Crèches municipales", "accès") < 60
    assert parse_theme("Chômage") == "unemployment"
    with pytest.raises(InvalidInput):
        parse_theme("jardinage")


async def test_supports_count_once_per_person(core: Core) -> None:
    demand = (await core.demands.propose(member("ana"), place(), CHOMAGE)).created
    for _ in range(3):
        info = await core.demands.support(member("ben"), place(), demand.id)
    assert info.supports == 2 and info.supported_by_you
    info = await core.demands.support(member("ben"), place(), demand.id, remove=True)
    assert info.supports == 1 and not info.supported_by_you


async def test_merge_carries_supports_without_double_count(core: Core) -> None:
    a = (await core.demands.propose(member("ana"), place(), CHOMAGE)).created
    b = (await core.demands.propose(member("ben"), place(), Draft(
        "Chômage des freelances", "Même idée", "unemployment"), force=True)).created
    await core.demands.support(member("carla"), place(), b.id)
    await core.demands.support(member("ana"), place(), b.id)  # supports both
    with pytest.raises(PermissionDenied):
        await core.demands.merge(member("ben"), place(), b.id, a.id)
    merged = await core.demands.merge(member("mod", moderator=True), place(), b.id, a.id)
    assert merged.supports == 3  # ana, ben, carla
    source = await core.demands.show(member("x"), place(), b.id)
    assert source.status == "merged" and source.merged_into == a.id
    # supporting the merged one supports the target
    info = await core.demands.support(member("dan"), place(), b.id)
    assert info.id == a.id and info.supports == 4


async def test_reject_needs_a_reason_and_closes_support(core: Core) -> None:
    demand = (await core.demands.propose(member("ana"), place(), CHOMAGE)).created
    mod = member("mod", moderator=True)
    with pytest.raises(InvalidInput):
        await core.demands.reject(mod, place(), demand.id, "  ")
    rejected = await core.demands.reject(mod, place(), demand.id, "Hors du champ du syndicat")
    assert rejected.status == "rejected" and rejected.reason == "Hors du champ du syndicat"
    with pytest.raises(InvalidInput):
        await core.demands.support(member("ben"), place(), demand.id)


async def test_bad_input_writes_nothing(core: Core) -> None:
    with pytest.raises(MissingFields):
        await core.demands.propose(member("ana"), place(), Draft("Titre", None, "other"))
    with pytest.raises(InvalidInput):
        await core.demands.propose(member("ana"), place(), Draft("x" * 121, "t", "other"))
    with pytest.raises(InvalidInput):
        await core.demands.propose(member("ana"), place(), Draft("t", "x" * 2001, "other"))
    with pytest.raises(NotFound):
        await core.demands.show(member("ana"), place(), 99)
    assert (await core.demands.listing(member("ana"), place())).items == ()


async def test_listing_sorted_by_support_and_filtered(core: Core) -> None:
    drafts = [Draft(f"Demande {t}", "texte", t) for t in ("tax", "training", "tax")]
    ids = [(await core.demands.propose(member("ana"), place(), d, force=True)).created.id
           for d in drafts]
    for name in ("b", "c"):
        await core.demands.support(member(name), place(), ids[2])
    await core.demands.support(member("b"), place(), ids[1])
    page = await core.demands.listing(member("x"), place())
    assert [i.id for i in page.items] == [ids[2], ids[1], ids[0]]
    taxed = await core.demands.listing(member("x"), place(), theme="tax")
    assert [i.id for i in taxed.items] == [ids[2], ids[0]]
    await core.demands.retain(member("m", moderator=True), place(), ids[0])
    retained = await core.demands.listing(member("x"), place(), status="retained")
    assert [i.id for i in retained.items] == [ids[0]]


async def test_demands_are_shared_across_the_federation(core: Core) -> None:
    discord = Place(Platform.DISCORD, "1", "2", "D")
    matrix = Place(Platform.MATRIX, "!r:x", "!r:x", "M")
    dmod = Actor(Platform.DISCORD, "10", "dmod", True)
    await core.federation.create(dmod, discord, "Union")
    code = await core.federation.issue_code(dmod, discord)
    await core.federation.join(Actor(Platform.MATRIX, "@m:x", "m", True), matrix, code.code)
    demand = (await core.demands.propose(Actor(Platform.DISCORD, "11", "a"), discord,
                                         CHOMAGE)).created
    info = await core.demands.support(Actor(Platform.MATRIX, "@b:x", "b"), matrix, demand.id)
    assert info.supports == 2
    await core.federation.set_scope(Actor(Platform.MATRIX, "@m:x", "m", True), matrix,
                                    "demands", False)
    with pytest.raises(NotFound):
        await core.demands.show(Actor(Platform.MATRIX, "@b:x", "b"), matrix, demand.id)

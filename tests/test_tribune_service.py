"""The tribune service against a real SQLite file."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from bot.core.app import Core
from bot.core.errors import ConsentRequired, InvalidInput, MissingFields, NotFound, PermissionDenied
from bot.core.services.tribune import SignatureForm, milestone_between
from bot.core.types import Platform
from bot.db.models import Collective, Federation, Signature
from tests.conftest import member, place


def form(name: str = "Alice Martin", **overrides) -> SignatureForm:
    values = dict(name=name, profession="designer", city="Lyon", collective=None,
                  public=True, consent=True)
    values.update(overrides)
    return SignatureForm(**values)


async def count_rows(core: Core) -> int:
    async with core.db.transaction() as session:
        return await session.scalar(select(func.count()).select_from(Signature))


async def test_sign_update_withdraw_counts(core: Core) -> None:
    here = place()
    assert (await core.tribune.show(member("alice"), here)).count == 0
    first = await core.tribune.sign(member("alice"), here, form())
    assert (first.updated, first.count) == (False, 1)
    second = await core.tribune.sign(member("bob"), here, form("Bob", public=False))
    assert second.count == 2
    again = await core.tribune.sign(member("alice"), here, form(city="Paris"))
    assert again.updated is True and again.count == 2 and again.signature.city == "Paris"
    view = await core.tribune.show(member("alice"), here)
    assert view.count == 2
    assert [s.name for s in view.latest] == ["Alice Martin"]  # Bob is anonymous
    assert view.own is not None and view.own.city == "Paris"
    withdrawn = await core.tribune.withdraw(member("bob"), here)
    assert withdrawn.count == 1
    assert await count_rows(core) == 1


async def test_withdraw_deletes_personal_data(core: Core) -> None:
    await core.tribune.sign(member("carol"), place(), form("Carol Secret", city="Brest"))
    await core.tribune.withdraw(member("carol"), place())
    async with core.db.transaction() as session:
        rows = (await session.execute(select(Signature))).all()
    assert rows == []
    with pytest.raises(NotFound):
        await core.tribune.withdraw(member("carol"), place())


@pytest.mark.parametrize(
    ("overrides", "error", "needle"),
    [
        ({"name": "x" * 81}, InvalidInput, 80),
        ({"city": "y" * 81}, InvalidInput, 80),
        ({"profession": "z" * 81}, InvalidInput, 80),
        ({"consent": None}, ConsentRequired, None),
        ({"consent": False}, ConsentRequired, None),
        ({"city": "   "}, MissingFields, None),
    ],
)
async def test_refusals_write_nothing(core: Core, overrides, error, needle) -> None:
    with pytest.raises(error) as caught:
        await core.tribune.sign(member("dan"), place(), form(**overrides))
    if needle is not None:
        assert caught.value.params["limit"] == needle
    assert await count_rows(core) == 0


async def test_limits_count_characters_after_cleaning(core: Core) -> None:
    name = "\u202e" + "é" * 80 + "\u200b  "
    result = await core.tribune.sign(member("eve"), place(), form(name))
    assert result.signature.name == "é" * 80


async def test_export_is_for_moderators_only(core: Core) -> None:
    await core.tribune.sign(member("alice"), place(), form("=HYPERLINK(1)"))
    await core.tribune.sign(member("bob"), place(), form("Bob", public=False))
    with pytest.raises(PermissionDenied):
        await core.tribune.export(member("bob"), place())
    export = await core.tribune.export(member("mod", moderator=True), place())
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["name", "profession", "city", "collective", "public"]
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(1)", "Bob"]
    assert [r[4] for r in rows[1:]] == ["yes", "no"]
    assert export.rows == 2


async def test_moderator_settings_are_checked_in_the_service(core: Core) -> None:
    for call in (
        core.tribune.set_text(member("bob"), place(), "Texte"),
        core.tribune.set_announcement_channel(member("bob"), place(), "annonces"),
        core.tribune.set_signer_role(member("bob"), place(), "123"),
    ):
        with pytest.raises(PermissionDenied):
            await call
    mod = member("mod", moderator=True)
    await core.tribune.set_text(mod, place(), "# Notre tribune\n\nNous, indépendants…")
    view = await core.tribune.show(member("bob"), place())
    assert view.text is not None and view.text.startswith("# Notre tribune")


async def test_text_file_is_the_default(tmp_path, settings) -> None:
    text = tmp_path / "tribune.md"
    text.write_text("Le texte du fichier.", encoding="utf-8")
    settings.tribune.text_file = text
    core = Core(settings)
    await core.start()
    try:
        assert (await core.tribune.show(member("a"), place())).text == "Le texte du fichier."
        await core.tribune.set_text(member("m", moderator=True), place(), "Par commande.")
        assert (await core.tribune.show(member("a"), place())).text == "Par commande."
        await core.tribune.set_text(member("m", moderator=True), place(), None)
        assert (await core.tribune.show(member("a"), place())).text == "Le texte du fichier."
    finally:
        await core.close()


async def test_list_pages_and_breakdowns(core: Core) -> None:
    core.tribune.page_size = 2
    for index, city in enumerate(["Lyon", "lyon", "Nantes", "Lille", "Lyon"]):
        await core.tribune.sign(member(f"m{index}"), place(), form(f"Name {index}", city=city,
                                                                   public=index != 3))
    page = await core.tribune.signatories(member("x"), place(), 1)
    assert page.total == 5 and page.public_total == 4 and page.pages == 2
    assert [i.name for i in page.items] == ["Name 0", "Name 1"]
    assert page.by_city[0][1] == 3  # Lyon and lyon counted together
    last = await core.tribune.signatories(member("x"), place(), 2)
    assert [i.name for i in last.items] == ["Name 2", "Name 4"]
    with pytest.raises(InvalidInput):
        await core.tribune.signatories(member("x"), place(), 3)


async def test_counts_cover_the_federation(core: Core) -> None:
    """Two collectives on two platforms in one federation share one count."""
    discord_place = place("guild-1", platform=Platform.DISCORD)
    matrix_place = place("!room:example.org", platform=Platform.MATRIX)
    await core.tribune.sign(member("a", platform=Platform.DISCORD), discord_place, form("A"))
    await core.tribune.sign(member("b", platform=Platform.MATRIX), matrix_place, form("B"))
    assert (await core.tribune.show(member("a"), discord_place)).count == 1
    async with core.db.transaction() as session:
        shared = Federation(name="Union")
        session.add(shared)
        await session.flush()
        for collective in (await session.scalars(select(Collective))).all():
            collective.federation_id = shared.id
    assert (await core.tribune.show(member("a"), discord_place)).count == 2
    assert (await core.tribune.show(member("b"), matrix_place)).count == 2


async def test_milestones_are_announced_once(core: Core) -> None:
    mod = member("mod", moderator=True)
    await core.tribune.set_announcement_channel(mod, place(), "annonces")
    announced = []
    for index in range(11):
        result = await core.tribune.sign(member(f"s{index}"), place(), form(f"S{index}"))
        announced += [(a.channel_id, a.count) for a in result.announcements]
    assert announced == [("annonces", 10)]
    await core.tribune.withdraw(member("s0"), place())
    result = await core.tribune.sign(member("s0"), place(), form("S0"))
    assert result.count == 11 and result.announcements == ()


def test_milestone_sequence() -> None:
    hits = [n for n in range(1, 5001) if milestone_between(n - 1, n)]
    assert hits == [10, 50, 100, 250, 500, 1000, 2000, 3000, 4000, 5000]
    assert milestone_between(0, 60) == 50
    assert milestone_between(1000, 1999) is None

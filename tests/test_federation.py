"""Federations, linked identities, audit and privacy, through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from bot.core.app import Core
from bot.core.errors import (
    ConfirmationRequired,
    InvalidInput,
    PermissionDenied,
    RateLimited,
)
from bot.core.services.tribune import SignatureForm
from bot.core.types import Actor, Place, Platform
from bot.db.models import Base, LinkCode, utcnow
from tests.conftest import member

DISCORD = Place(Platform.DISCORD, "1001", "2001", "Coop Design")
MATRIX = Place(Platform.MATRIX, "!devs:example.org", "!devs:example.org", "Devs libres")


def discord_user(name: str, moderator: bool = False) -> Actor:
    return Actor(Platform.DISCORD, f"9{abs(hash(name)) % 10**8}", name, moderator)


def matrix_user(name: str, moderator: bool = False) -> Actor:
    return Actor(Platform.MATRIX, f"@{name}:example.org", name.title(), moderator)


def form(name: str) -> SignatureForm:
    return SignatureForm(name=name, profession="graphiste", city="Lyon", public=True,
                         consent=True)


async def federate(core: Core) -> None:
    """Discord collective creates a federation; the Matrix collective joins it."""
    await core.federation.create(discord_user("dmod", True), DISCORD, "Union")
    code = await core.federation.issue_code(discord_user("dmod", True), DISCORD)
    info = await core.federation.join(matrix_user("mmod", True), MATRIX, code.code)
    assert [c.platform for c in info.collectives] == ["discord", "matrix"]


async def test_counts_span_the_federation(core: Core) -> None:
    await federate(core)
    await core.tribune.sign(discord_user("alice"), DISCORD, form("Alice"))
    await core.tribune.sign(matrix_user("bob"), MATRIX, form("Bob"))
    assert (await core.tribune.show(discord_user("x"), DISCORD)).count == 2
    assert (await core.tribune.show(matrix_user("y"), MATRIX)).count == 2
    page = await core.tribune.signatories(matrix_user("y"), MATRIX)
    assert [s.name for s in page.items] == ["Alice", "Bob"]


async def test_linked_identities_count_once(core: Core) -> None:
    await federate(core)
    alice_d, alice_m = discord_user("alice"), matrix_user("alice")
    await core.tribune.sign(alice_d, DISCORD, form("Alice D"))
    await core.tribune.sign(alice_m, MATRIX, form("Alice M"))
    assert (await core.tribune.show(alice_d, DISCORD)).count == 2
    code = await core.identity.issue(alice_d, DISCORD)
    linked = await core.identity.redeem(alice_m, MATRIX, code.code)
    assert {i.platform for i in linked.items} == {"discord", "matrix"}
    view = await core.tribune.show(alice_d, DISCORD)
    assert view.count == 1 and view.own is not None
    result = await core.tribune.sign(alice_m, MATRIX, form("Alice"))
    assert result.updated and result.count == 1
    await core.tribune.withdraw(alice_d, DISCORD)
    assert (await core.tribune.show(alice_m, MATRIX)).count == 0
    unlinked = await core.identity.unlink(alice_m, MATRIX)
    assert [i.platform for i in unlinked.items] == ["matrix"]


async def test_local_scope_and_leaving(core: Core) -> None:
    await federate(core)
    await core.tribune.sign(discord_user("alice"), DISCORD, form("Alice"))
    await core.tribune.sign(matrix_user("bob"), MATRIX, form("Bob"))
    await core.federation.set_scope(matrix_user("mmod", True), MATRIX, "tribune", False)
    assert (await core.tribune.show(matrix_user("y"), MATRIX)).count == 1
    assert (await core.tribune.show(discord_user("x"), DISCORD)).count == 1
    await core.federation.set_scope(matrix_user("mmod", True), MATRIX, "tribune", True)
    assert (await core.tribune.show(discord_user("x"), DISCORD)).count == 2
    info = await core.federation.leave(matrix_user("mmod", True), MATRIX)
    assert not info.shared
    assert (await core.tribune.show(discord_user("x"), DISCORD)).count == 1
    assert (await core.tribune.show(matrix_user("y"), MATRIX)).count == 1


async def test_only_federation_moderators_manage_it(core: Core) -> None:
    await federate(core)
    with pytest.raises(PermissionDenied):  # moderator of the other collective
        await core.federation.remove(matrix_user("mmod", True), MATRIX, 1)
    with pytest.raises(PermissionDenied):
        await core.federation.issue_code(matrix_user("mmod", True), MATRIX)
    with pytest.raises(PermissionDenied):  # a member of the founding collective
        await core.federation.remove(discord_user("alice"), DISCORD, 2)
    info = await core.federation.remove(discord_user("dmod", True), DISCORD, 2)
    assert [c.platform for c in info.collectives] == ["discord"]
    status = await core.federation.status(matrix_user("mmod", True), MATRIX)
    assert not status.shared
    await core.federation.add_moderator(discord_user("dmod", True), DISCORD,
                                        discord_user("carol"))
    code = await core.federation.issue_code(discord_user("carol"), DISCORD)
    assert len(code.code) == 9


async def test_federation_codes_are_single_use_and_expire(core: Core) -> None:
    await core.federation.create(discord_user("dmod", True), DISCORD, "Union")
    code = await core.federation.issue_code(discord_user("dmod", True), DISCORD)
    await core.federation.join(matrix_user("mmod", True), MATRIX, code.code)
    await core.federation.leave(matrix_user("mmod", True), MATRIX)
    with pytest.raises(InvalidInput, match="already been used"):
        await core.federation.join(matrix_user("mmod", True), MATRIX, code.code)
    code = await core.federation.issue_code(discord_user("dmod", True), DISCORD)
    async with core.db.transaction() as session:
        await session.execute(update(LinkCode).values(expires_at=utcnow() - timedelta(1)))
    with pytest.raises(InvalidInput, match="expired"):
        await core.federation.join(matrix_user("mmod", True), MATRIX, code.code)
    with pytest.raises(PermissionDenied):
        await core.federation.join(matrix_user("bob"), MATRIX, code.code)


async def test_identity_codes_refusals(core: Core) -> None:
    alice_d, alice_m = discord_user("alice"), matrix_user("alice")
    code = await core.identity.issue(alice_d, DISCORD)
    with pytest.raises(InvalidInput, match="other platform"):
        await core.identity.redeem(discord_user("alice2"), DISCORD, code.code)
    async with core.db.transaction() as session:
        await session.execute(update(LinkCode).values(expires_at=utcnow() - timedelta(1)))
    with pytest.raises(InvalidInput, match="expired"):
        await core.identity.redeem(alice_m, MATRIX, code.code)
    code = await core.identity.issue(alice_d, DISCORD)
    await core.identity.redeem(alice_m, MATRIX, code.code)
    with pytest.raises(InvalidInput, match="already been used"):
        await core.identity.redeem(matrix_user("eve"), MATRIX, code.code)


async def test_guessing_codes_is_stopped(core: Core) -> None:
    good = await core.identity.issue(discord_user("alice"), DISCORD)
    mallory = matrix_user("mallory")
    for guess in ("AAAA-AAAA", "BBBB-BBBB", "CCCC-CCCC", "DDDD-DDDD", "EEEE-EEEE"):
        with pytest.raises(InvalidInput):
            await core.identity.redeem(mallory, MATRIX, guess)
    with pytest.raises(RateLimited):
        await core.identity.redeem(mallory, MATRIX, good.code)
    # the right code still works for the right person, who is not blocked
    await core.identity.redeem(matrix_user("alice"), MATRIX, good.code)


async def test_issuing_codes_is_limited(core: Core) -> None:
    for _ in range(5):
        await core.identity.issue(discord_user("alice"), DISCORD)
    with pytest.raises(RateLimited):
        await core.identity.issue(discord_user("alice"), DISCORD)


async def test_audit_log_records_moderator_actions(core: Core) -> None:
    await federate(core)
    await core.config.set_timezone(discord_user("dmod", True), DISCORD, "America/Martinique")
    await core.tribune.export(discord_user("dmod", True), DISCORD)
    page = await core.audit.read(discord_user("dmod", True), DISCORD)
    assert [i.action for i in page.items][:3] == ["tribune.export", "config.timezone",
                                                   "federation.code"]
    with pytest.raises(PermissionDenied):
        await core.audit.read(discord_user("alice"), DISCORD)


async def dump(core: Core) -> str:
    """Every row of every table, as text."""
    parts = []
    async with core.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            parts.append(f"{table.name}: {rows!r}")
    return "\n".join(parts)


async def test_forget_me_leaves_no_trace(core: Core) -> None:
    await federate(core)
    dana_d = Actor(Platform.DISCORD, "555000111", "Dana Quillard", True)
    dana_m = Actor(Platform.MATRIX, "@dana:example.org", "Dana Q", False)
    await core.tribune.sign(dana_d, DISCORD, SignatureForm(
        name="Dana Quillard", profession="Traductrice indépendante", city="Quimperlé",
        collective="Collectif Zéphyr", public=True, consent=True))
    code = await core.identity.issue(dana_d, DISCORD)
    await core.identity.redeem(dana_m, MATRIX, code.code)
    await core.config.set_channel(dana_d, DISCORD, "tribune", "777")
    await core.federation.add_moderator(discord_user("dmod", True), DISCORD, dana_d)
    await core.tribune.sign(discord_user("other"), DISCORD, form("Other"))
    async with core.db.transaction() as session:
        await session.execute(text(
            "INSERT INTO bot_state (key, value, updated_at) "
            "VALUES ('matrix.dm:@dana:example.org', '!dm:example.org', :now)"), {"now": utcnow()})
    exported = await core.privacy.export(dana_m, MATRIX)
    assert b"Quimperl" in exported.content and b"555000111" in exported.content
    with pytest.raises(ConfirmationRequired):
        await core.privacy.forget(dana_m, MATRIX, confirm=False)
    assert "Quimperl" in await dump(core)
    result = await core.privacy.forget(dana_m, MATRIX, confirm=True)
    assert result.identities == 2
    everything = await dump(core)
    for trace in ("555000111", "@dana:example.org", "Dana", "Quimperl", "Traductrice",
                  "Zéphyr"):
        assert trace not in everything, trace
    assert (await core.tribune.show(discord_user("x"), DISCORD)).count == 1
    audit = await core.audit.read(discord_user("dmod", True), DISCORD)
    assert any(i.action == "config.channel.tribune" for i in audit.items)


async def test_permission_matrix_on_text_commands(core: Core) -> None:
    """Every moderator-only text command, called by a member, is refused and writes
    nothing; a moderator of another collective is refused by federation commands."""
    from bot.textcmd import build_registry

    registry = build_registry()
    await federate(core)
    args = {"creer": "X", "rejoindre": "AAAA-AAAA", "retirer": "1", "moderateur": "bob",
            "partage": "tribune non", "salon": "tribune ici", "langue": "en",
            "fuseau": "UTC", "moderateurs": "10", "organisateurs": "0", "conservation": "30",
            "texte": "Nouveau texte", "annonces": "ici", "fusionner": "1 2",
            "rejeter": "1 raison=doublon", "retenir": "1", "clore": "1",
            "scrutin export": "1"}
    before = await dump(core)
    checked = []
    for root in registry.roots:
        for command in [root, *root.children]:
            if not command.moderator:
                continue
            words = root.fr if command is root else f"{root.fr} {command.fr}"
            line = f"{words} {args.get(words, args.get(command.fr, ''))}".strip()
            for actor, place in ((discord_user("alice"), DISCORD),
                                 (matrix_user("bob"), MATRIX)):
                with pytest.raises(PermissionDenied):
                    await registry.dispatch(core, actor, place, line)
            checked.append(line)
    assert len(checked) >= 15
    assert await dump(core) == before
    with pytest.raises(PermissionDenied):
        await registry.dispatch(core, matrix_user("mmod", True), MATRIX, "federation retirer 1")
    assert await dump(core) == before


async def test_setup_assistant_walks_in_order(core: Core) -> None:
    mod = member("mod", moderator=True)
    place = Place(Platform.CONSOLE, "c", "c")
    keys = []
    step = await core.config.assistant(mod, place)
    while not step.finished:
        keys.append(step.key)
        step = await core.config.assistant(mod, place, advance=True)
    assert keys == ["locale", "timezone", "channels", "moderators", "organisers", "federation"]
    assert (await core.config.assistant(mod, place, restart=True)).key == "locale"
    assert await core.config.welcome_needed(place) is True
    assert await core.config.welcome_needed(place) is False


async def test_retention_erases_departed_members_only(core: Core) -> None:
    mod = discord_user("dmod", True)
    await core.config.set_retention(mod, DISCORD, 30)
    gone, stays = discord_user("gone"), discord_user("stays")
    for actor in (gone, stays):
        await core.tribune.sign(actor, DISCORD, form(actor.display_name))
    await core.privacy.member_left(DISCORD, gone.user_id)
    assert (await core.privacy.purge_departed()).persons == 0  # not 30 days yet
    later = utcnow() + timedelta(days=31)
    assert (await core.privacy.purge_departed(later)).persons == 1
    page = await core.tribune.signatories(stays, DISCORD)
    assert [s.name for s in page.items] == ["stays"]
    # someone who left but came back (acted again) is kept
    await core.privacy.member_left(DISCORD, stays.user_id)
    await core.tribune.sign(stays, DISCORD, form("stays again"))
    assert (await core.privacy.purge_departed(later + timedelta(days=31))).persons == 0


async def test_the_daily_purge_is_a_durable_job(core: Core) -> None:
    async with core.db.transaction() as session:
        kinds = (await session.execute(text("SELECT kind, status FROM jobs ORDER BY kind"))).all()
    assert kinds == [("aid.digest", "pending"), ("exports.expire", "pending"),
                     ("faq.review", "pending"), ("privacy.purge", "pending")]
    await core.start()  # a restart plans nothing twice
    async with core.db.transaction() as session:
        assert (await session.execute(text("SELECT count(*) FROM jobs"))).scalar() == 4

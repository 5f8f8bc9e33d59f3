"""Federations of guilds, linked accounts, and a member's rights over their data."""

from __future__ import annotations

import json
import re

from bot.core.types import Actor, Place, Platform
from tests.e2e_discord.harness import Tribune, core_beside, count, fr, holding

# This module's bot runs on PostgreSQL when a server answers (see tests/conftest.py).
BOT_BACKEND = "postgresql"

CODE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}")
FEDERATION_ONLY = "Only moderators of the federation can do this."


def code_in(text: str) -> str:
    found = CODE.search(text)
    assert found, text
    return found.group()


async def test_two_guilds_share_the_tribune(tribune: Tribune) -> None:
    lyon, nantes = tribune, tribune.other_guild("Collectif Nantes")
    modo_lyon, modo_nantes = lyon.moderator("modo-lyon"), nantes.moderator("modo-nantes")
    created = await lyon.slash("federation creer", modo_lyon,
                               options={"nom": "Fédération des indés"})
    assert fr("Federation {name}", name="Fédération des indés") in created.text
    issued = await lyon.slash("federation code", modo_lyon)
    assert issued.ephemeral
    code = code_in(issued.text)

    joined = await nantes.slash("federation rejoindre", modo_nantes, options={"code": code})
    assert fr("This collective has joined the federation.") in joined.text
    assert "Collectif Lyon" in joined.text and "Collectif Nantes" in joined.text
    again = await nantes.slash("federation rejoindre", modo_nantes, options={"code": code})
    assert again.ephemeral and fr("This code has already been used. Ask for a new one.") \
        in again.text, again.text

    alice, bob = lyon.member("alice"), nantes.member("bob")
    await lyon.sign(alice, profession="Graphiste", city="Lyon")
    await nantes.sign(bob, profession="Développeur", city="Nantes")
    for side, member in ((lyon, alice), (nantes, bob)):
        assert count(2) in (await side.command("voir", member)).text

    # A moderator of Nantes moderates Nantes, not the federation.
    refused = await nantes.slash("federation retirer", modo_nantes, options={"numero": 1})
    assert refused.ephemeral and fr(FEDERATION_ONLY) in refused.text
    appointed = await lyon.slash("federation moderateur", modo_lyon,
                                 options={"membre": modo_nantes})
    assert fr("The federation has a new moderator.") in appointed.text

    # Nantes keeps its tribune local, then leaves.
    local = await nantes.slash("federation partage", modo_nantes,
                               options={"flux": "tribune", "partager": False})
    assert fr("The {workflow} workflow is kept in this collective.",
              workflow=fr("tribune")) in local.text
    assert count(1) in (await lyon.command("voir", alice)).text
    left = await nantes.slash("federation quitter", modo_nantes)
    assert fr("This collective has left the federation.") in left.text
    shown = await lyon.slash("federation voir", alice)
    assert "Collectif Nantes" not in shown.text and "Collectif Lyon" in shown.text


async def test_link_code_is_redeemed_on_the_other_platform(tribune: Tribune) -> None:
    alice, bob = tribune.member("alice"), tribune.member("bob")
    issued = await tribune.slash("lier", alice)
    assert issued.ephemeral
    refused = await tribune.slash("lier", bob, options={"code": code_in(issued.text)})
    assert refused.ephemeral
    assert fr("Redeem this code from your account on the other platform, not on {platform}.",
              platform="Discord") in refused.text

    matrix = Actor(Platform.MATRIX, "@alice:example.org", "Alice sur Matrix")
    async with core_beside(tribune.bot) as core:
        code = await core.identity.issue(matrix, Place(Platform.MATRIX, "!salle:example.org", ""))
    linked = await tribune.slash("lier", alice, options={"code": code.code})
    assert fr("Your accounts are now linked: you count as one person.") in linked.text
    accounts = await tribune.slash("comptes", alice)
    assert accounts.ephemeral and "Alice sur Matrix" in accounts.text
    unlinked = await tribune.slash("delier", alice)
    assert fr("This account is no longer linked.") in unlinked.text
    assert "Alice sur Matrix" not in unlinked.text


async def test_my_data_then_forget_me(tribune: Tribune) -> None:
    name, city = "Zoé Kerbrat-Unique", "Plouguerneau"
    zoe, other = tribune.member("zoe", nick="Zoé Pseudonyme"), tribune.member("other")
    await tribune.sign(zoe, name=name, profession="Cartographe", city=city)
    await tribune.sign(other, profession="Graphiste", city="Lyon")
    traces = (str(zoe.id), "Zoé Pseudonyme", name, city)
    assert holding(tribune.bot, *traces)

    data = await tribune.slash("mes-donnees", zoe)
    assert data.ephemeral
    files = {file.filename: file for file in data.message.files}
    assert sorted(files) == ["mes-donnees.json", "mes-donnees.md"]
    assert f"- **Ville** : {city}" in files["mes-donnees.md"].data.decode("utf-8")
    content = json.loads(files["mes-donnees.json"].data)
    assert [s["city"] for s in content["signatures"]] == [city]
    assert content["identities"][0]["user_id"] == str(zoe.id)

    question = await tribune.slash("oublie-moi", zoe)
    assert question.ephemeral and question.message.custom_ids() == ["privacy:forget-confirm"]
    assert holding(tribune.bot, name), "erased before confirmation"
    done = await tribune.click(question.message, "privacy:forget-confirm", zoe)
    assert done.ephemeral
    assert fr("Everything the bot held about you has been erased. Goodbye, and thank you.") \
        in done.text
    assert holding(tribune.bot, *traces) == []
    assert count(1) in (await tribune.command("voir", other)).text

"""Demands on Discord, end to end: the proposal form, near-duplicates, supports,
moderators' decisions, and the throttled refresh of the public message."""

from __future__ import annotations

from typing import Any

from bot.core.errors import PermissionDenied
from tests.discord_standin import FakeMember, InteractionRecord, StoredMessage
from tests.e2e_discord.harness import Tribune, fr

# This module's bot runs on PostgreSQL when a server answers (see tests/conftest.py).
BOT_BACKEND = "postgresql"

SUPPORT_INTERVAL = 3.0


async def run(scene: Tribune, path: str, user: FakeMember, **kwargs: Any) -> InteractionRecord:
    """``/<path>`` and its answer."""
    return await scene.env.answer(await scene.env.slash(*path.split(), user=user, **kwargs))


async def propose(scene: Tribune, user: FakeMember, title: str, body: str,
                  theme: str = "unemployment") -> InteractionRecord:
    """``/revendication proposer``, the form filled in and submitted; the answer to it."""
    opened = await scene.env.slash("revendication", "proposer", user=user)
    await scene.env.modal(opened)
    return await scene.env.answer(await scene.env.submit_modal(
        opened, {"title": title, "body": body, "theme": [theme]}))


def field(message: StoredMessage, name: str) -> str | None:
    for embed in message.embeds:
        for item in embed.get("fields") or []:
            if item.get("name") == name:
                return str(item.get("value"))
    return None


async def supports_shown(scene: Tribune, message: StoredMessage, count: int) -> None:
    await scene.standin.wait_until(
        lambda: field(message, fr("Supports")) == str(count),
        timeout=SUPPORT_INTERVAL + 3,
        describe=lambda: f"{count} supports on {message!r}: {message.embeds}",
    )


async def test_near_duplicate_is_shown_then_supported_or_proposed_anyway(
    tribune: Tribune,
) -> None:
    scene = tribune
    alice, bob, carol, dave = (scene.member(name) for name in ("alice", "bob", "carol", "dave"))

    opened = await scene.env.slash("revendication", "proposer", user=alice)
    form = await scene.env.modal(opened)
    assert form["custom_id"] == "demand:propose-form"
    theme = next(c["component"] for c in form["components"]
                 if c["component"]["custom_id"] == "theme")
    assert len(theme["options"]) == 8
    created = await scene.env.answer(await scene.env.submit_modal(opened, {
        "title": "Ouvrir l'assurance chômage aux indépendants",
        "body": "Une allocation en cas de perte d'activité, financée par une cotisation.",
        "theme": ["unemployment"],
    }))
    public = created.message
    assert not public.ephemeral, created.describe()
    assert "#1 · Ouvrir l'assurance chômage aux indépendants" in public.text
    assert public.custom_ids() == ["demand:support:1"]
    assert field(public, fr("Supports")) == "1"
    thanks = await scene.env.followup(created)
    assert thanks.ephemeral
    assert fr("Your demand has been recorded, with your support.") in thanks.text

    similar = await propose(scene, bob, "Ouvrir l'assurance chômage aux travailleurs indépendants",
                            "Pouvoir toucher le chômage quand un client important part.")
    assert similar.ephemeral
    assert fr("Similar demands") in similar.text and "#1" in similar.text
    assert similar.message.custom_ids() == ["demand:support:1", "demand:anyway"]

    supported = await scene.click(similar.message, "demand:support:1", bob)
    assert supported.ephemeral
    assert fr("Your support is counted.") in supported.text
    assert "demand:unsupport:1" in supported.message.custom_ids()
    await supports_shown(scene, public, 2)  # the public message follows

    # Two more supports within the interval: one more edit, with the latest count.
    await scene.click(public, "demand:support:1", carol)
    await scene.click(public, "demand:support:1", dave)
    await supports_shown(scene, public, 4)
    edits = scene.standin.requests_to("PATCH", f"/channels/{public.channel_id}/messages/"
                                               f"{public.id}")
    assert len(edits) == 2, edits
    assert edits[1].at - edits[0].at >= SUPPORT_INTERVAL - 0.2
    assert public.custom_ids() == ["demand:support:1"]  # the same button for everyone

    withdrawn = await scene.click(supported.message, "demand:unsupport:1", bob)
    assert fr("Your support has been removed.") in withdrawn.text

    # Bob proposes his anyway: the form opens again with his text.
    again = await scene.env.click(similar.message, "demand:anyway", user=bob)
    form = await scene.env.modal(again)
    assert form["custom_id"] == "demand:propose-form:force"
    fields = {c["component"]["custom_id"]: c["component"] for c in form["components"]}
    assert fields["title"]["value"] == "Ouvrir l'assurance chômage aux travailleurs indépendants"
    assert [o["value"] for o in fields["theme"]["options"] if o.get("default")] \
        == ["unemployment"]
    submitted = await scene.env.submit_modal(again, {"theme": ["unemployment"]})
    forced = await scene.env.answer(submitted)
    assert not forced.ephemeral, forced.describe()
    assert "#2 · Ouvrir l'assurance chômage aux travailleurs indépendants" in forced.text
    confirmed = await scene.env.followup(submitted)
    assert confirmed.ephemeral
    assert fr("Your demand has been recorded, with your support.") in confirmed.text


async def test_moderators_merge_reject_and_buttons_survive_a_restart(tribune: Tribune) -> None:
    scene = tribune
    moderator, alice, bob = scene.moderator("modo"), scene.member("alice"), scene.member("bob")
    first = await propose(scene, alice, "Une retraite complète pour les indépendants",
                          "Des trimestres validés sur les revenus réels.", "retirement")
    await propose(scene, bob, "Cotiser pour la retraite selon le chiffre d'affaires réel",
                  "Des cotisations calculées sur les revenus de l'année.", "retirement")
    await propose(scene, bob, "Des bureaux partagés gratuits en mairie",
                  "Des espaces de travail municipaux.", "housing_credit")

    refused = await run(scene, "revendication fusionner", alice,
                        options={"source": 2, "cible": 1})
    assert refused.ephemeral and fr(PermissionDenied.message) in refused.text

    merged = await run(scene, "revendication fusionner", moderator,
                       options={"source": 2, "cible": 1})
    assert "#1 ·" in merged.text and field(merged.message, fr("Supports")) == "2"
    shown = await run(scene, "revendication voir", alice, options={"numero": 2})
    assert field(shown.message, fr("Status")) == fr("merged")
    assert field(shown.message, fr("Merged into")) == "#1"
    assert shown.message.custom_ids() == []

    rejected = await run(scene, "revendication rejeter", moderator,
                         options={"numero": 3, "raison": "Hors du champ du syndicat"})
    assert field(rejected.message, fr("Status")) == fr("rejected")
    assert field(rejected.message, fr("Reason")) == "Hors du champ du syndicat"
    listed = await run(scene, "revendication liste", alice, options={"statut": "rejected"})
    assert "#3" in listed.text and "#1" not in listed.text

    # Support buttons are routed by custom_id: they work on messages from before a restart,
    # and the message they are on is refreshed.
    assert await scene.bot.stop() == 0
    await scene.bot.start()
    carol = scene.member("carol")
    supported = await scene.click(first.message, "demand:support:1", carol)
    assert fr("Your support is counted.") in supported.text
    await supports_shown(scene, first.message, 3)
    retained = await run(scene, "revendication retenir", moderator, options={"numero": 1})
    assert field(retained.message, fr("Status")) == fr("retained")

"""Polls on Discord, end to end: a moderator opens them, members vote through the
private step-by-step forms, results are posted at closing, even across a restart."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import load_settings
from bot.core.app import Core
from bot.core.types import Actor, Place, Platform
from tests.discord_standin import FakeMember, InteractionRecord, StoredMessage
from tests.e2e_discord.harness import Tribune, fr

REFRESH_INTERVAL = 3.0


async def run(scene: Tribune, path: str, user: FakeMember, **kwargs: Any) -> InteractionRecord:
    """``/<path>`` and its answer."""
    return await scene.env.answer(await scene.env.slash(*path.split(), user=user, **kwargs))


async def choose(scene: Tribune, message: StoredMessage, custom_id: str, values: list[str],
                 user: FakeMember) -> InteractionRecord:
    """Choose ``values`` in a select of ``message``; the answer."""
    return await scene.env.answer(
        await scene.env.select(message, custom_id, values, user=user))


async def open_poll(scene: Tribune, moderator: FakeMember, **options: Any) -> StoredMessage:
    """``/scrutin creer`` with a closing time an hour ahead unless given; the public poll."""
    options.setdefault("fin", in_seconds(3600))
    created = await run(scene, "scrutin creer", moderator, options=options)
    assert not created.ephemeral, created.describe()
    return created.message


async def vote_form(scene: Tribune, poll: StoredMessage, user: FakeMember) -> StoredMessage:
    """The Vote button of the public poll: the private form it opens."""
    number = poll_number(poll)
    opened = await scene.click(poll, f"poll:vote:{number}", user)
    assert opened.ephemeral, opened.describe()
    return opened.message


def poll_number(poll: StoredMessage) -> int:
    vote = next(cid for cid in poll.custom_ids() if cid.startswith("poll:vote:"))
    return int(vote.rsplit(":", 1)[1])


def in_seconds(seconds: float) -> str:
    """An ISO date ``seconds`` from now (the bot reads it in the collective's zone)."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="seconds")


def field(message: StoredMessage, name: str) -> str | None:
    for embed in message.embeds:
        for item in embed.get("fields") or []:
            if item.get("name") == name:
                return str(item.get("value"))
    return None


async def test_single_choice_with_a_changed_ballot_then_closed(tribune: Tribune) -> None:
    scene = tribune
    moderator, alice, bob = scene.moderator("modo"), scene.member("alice"), scene.member("bob")
    refused = await run(scene, "scrutin creer", alice,
                        options={"titre": "Lieu", "options": "A;B", "fin": in_seconds(60)})
    assert refused.ephemeral
    assert fr("Only moderators and organisers can create polls.") in refused.text

    poll = await open_poll(scene, moderator, titre="Lieu de l'assemblée",
                           options="Lyon;Paris;Nantes")
    number = poll_number(poll)
    assert fr("Poll {number}: {title}", number=number, title="Lieu de l'assemblée") in poll.text

    form = await vote_form(scene, poll, alice)
    assert set(form.custom_ids()) == {f"poll:single:{number}", f"poll:blank:{number}"}
    voted = await choose(scene, form, f"poll:single:{number}", ["B"], alice)
    assert voted.ephemeral and fr("Your ballot has been recorded.") in voted.text
    assert voted.message.custom_ids() == []  # the form became the confirmation

    form = await vote_form(scene, poll, bob)
    await choose(scene, form, f"poll:single:{number}", ["A"], bob)
    form = await vote_form(scene, poll, alice)
    assert fr("You have voted; you may change your ballot until closing.") in form.text
    changed = await choose(scene, form, f"poll:single:{number}", ["A"], alice)
    assert fr("Your ballot has been replaced: only the latest counts.") in changed.text
    await scene.standin.wait_until(lambda: field(poll, fr("Ballots")) == "2",
                                   timeout=REFRESH_INTERVAL + 3)

    pending = await vote_form(scene, poll, bob)  # left open until after closing
    closed = await run(scene, "scrutin clore", moderator, options={"numero": number})
    assert not closed.ephemeral
    assert fr("Result of poll {number}: {title}", number=number,
              title="Lieu de l'assemblée") in closed.text
    assert fr("Winner: {names}", names="A. Lyon") in closed.text

    late = await scene.click(poll, f"poll:vote:{number}", bob)
    assert late.ephemeral
    assert fr("This poll is closed: ballots are no longer accepted.") in late.text
    stale = await choose(scene, pending, f"poll:single:{number}", ["C"], bob)
    assert fr("This poll is closed: ballots are no longer accepted.") in stale.text

    export = await run(scene, "scrutin export", moderator, options={"numero": number})
    assert export.message.ephemeral
    document = json.loads(export.message.files[0].data)
    assert sorted(document["ballots"]) == ["A", "A"]


async def test_approval_ranked_and_majority_judgment(tribune: Tribune) -> None:
    scene = tribune
    moderator, alice, bob = scene.moderator("modo"), scene.member("alice"), scene.member("bob")

    # Approval, with live results on the public message.
    approval = await open_poll(scene, moderator, titre="Ateliers", methode="approval",
                               options="Contrats;Fiscalité;Retraite", resultats="live")
    number = poll_number(approval)
    form = await vote_form(scene, approval, alice)
    assert form.component(f"poll:approve:{number}")["max_values"] == 3
    await choose(scene, form, f"poll:approve:{number}", ["A", "C"], alice)
    form = await vote_form(scene, approval, bob)
    await choose(scene, form, f"poll:approve:{number}", ["C"], bob)
    count_title = fr("Provisional count of poll {number}: {title}", number=number,
                     title="Ateliers")
    await scene.standin.wait_until(
        lambda: field(approval, fr("Ballots")) == "2" and "C. Retraite" in (
            field(approval, count_title) or "").split("\n")[1],
        timeout=REFRESH_INTERVAL + 3, describe=lambda: repr(approval.embeds))

    # Ranked choice, step by step: B, then A, start again, then C, A.
    ranked = await open_poll(scene, moderator, titre="Priorités", methode="schulze",
                             options="Contrats;Fiscalité;Retraite")
    number = poll_number(ranked)
    form = await vote_form(scene, ranked, alice)
    step = await choose(scene, form, f"poll:rank:{number}", ["B"], alice)
    assert set(step.message.custom_ids()) == {
        f"poll:rank:{number}.B", f"poll:ranked:{number}.B", f"poll:rank:{number}"}
    options = step.message.component(f"poll:rank:{number}.B")["options"]
    assert [o["value"] for o in options] == ["A", "C"]
    step = await choose(scene, step.message, f"poll:rank:{number}.B", ["A"], alice)
    assert "1. **B.** Fiscalité" in step.text and "2. **A.** Contrats" in step.text
    step = await scene.click(step.message, f"poll:rank:{number}", alice)  # start again
    assert f"poll:ranked:{number}.BA" not in step.message.custom_ids()
    step = await choose(scene, step.message, f"poll:rank:{number}", ["C"], alice)
    step = await choose(scene, step.message, f"poll:rank:{number}.C", ["A"], alice)
    step = await choose(scene, step.message, f"poll:rank:{number}.CA", ["B"], alice)
    assert fr("Every option is ranked: submit your ballot.") in step.text
    voted = await scene.click(step.message, f"poll:ranked:{number}.CAB", alice)
    assert fr("Your ballot has been recorded.") in voted.text
    form = await vote_form(scene, ranked, bob)
    step = await choose(scene, form, f"poll:rank:{number}", ["C"], bob)
    await scene.click(step.message, f"poll:ranked:{number}.C", bob)
    closed = await run(scene, "scrutin clore", moderator, options={"numero": number})
    assert fr("Winner: {names}", names="C. Retraite") in closed.text

    # Majority judgment over two pages of grades.
    judged = await open_poll(scene, moderator, titre="Candidatures", methode="majority_judgment",
                             options="Ana;Ben;Chloé;Dan;Eva")
    number = poll_number(judged)
    form = await vote_form(scene, judged, alice)
    assert form.custom_ids()[:4] == [f"poll:grade:{number}.-----.{key}" for key in "ABCD"]
    step = await choose(scene, form, f"poll:grade:{number}.-----.A", ["tres_bien"], alice)
    step = await choose(scene, step.message, f"poll:grade:{number}.1----.B", ["passable"],
                        alice)
    step = await scene.click(step.message, f"poll:grades:{number}.14---.1", alice)
    assert step.message.custom_ids()[0] == f"poll:grade:{number}.14---.E"
    step = await choose(scene, step.message, f"poll:grade:{number}.14---.E", ["bien"], alice)
    voted = await scene.click(step.message, f"poll:graded:{number}.14--2", alice)
    assert fr("Your ballot has been recorded.") in voted.text
    early = await run(scene, "scrutin export", moderator, options={"numero": number})
    assert not early.message.files and early.ephemeral  # results at the end: not yet
    await run(scene, "scrutin clore", moderator, options={"numero": number})
    export = await run(scene, "scrutin export", moderator, options={"numero": number})
    ballots = json.loads(export.message.files[0].data)["ballots"]
    assert ballots == [{"A": "tres_bien", "B": "passable", "E": "bien"}]


async def test_ineligible_voter_is_refused(tribune: Tribune) -> None:
    scene = tribune
    moderator, alice, bob = scene.moderator("modo"), scene.member("alice"), scene.member("bob")
    await scene.sign(alice, profession="Graphiste", city="Lyon")
    poll = await open_poll(scene, moderator, titre="Motion", options="Pour;Contre",
                           eligibles="signatories", recus=True)
    number = poll_number(poll)
    form = await vote_form(scene, poll, bob)
    refused = await choose(scene, form, f"poll:single:{number}", ["A"], bob)
    assert refused.ephemeral
    assert fr("Only signatories of the tribune may vote in this poll: sign it first "
              "with !tribune signer.") in refused.text
    form = await vote_form(scene, poll, alice)
    voted = await choose(scene, form, f"poll:single:{number}", ["A"], alice)
    assert fr("Your ballot has been recorded.") in voted.text
    receipt = fr("Your receipt: **{receipt}**. It will appear next to your ballot in the "
                 "published list, so you can check it was counted. Keep it to yourself.",
                 receipt="\0")
    assert receipt.split("\0")[0] in voted.text


async def test_a_restart_still_closes_the_poll_on_time(tribune_unstarted: Tribune) -> None:
    scene = tribune_unstarted
    env = scene.env
    results_channel = env.guild.channel("annonces")
    await configure_results_channel(scene, results_channel.id)
    await scene.bot.start()
    moderator, alice = scene.moderator("modo"), scene.member("alice")

    closes = time.monotonic() + 6
    poll = await open_poll(scene, moderator, titre="Grève du 12", options="Oui;Non",
                           fin=in_seconds(6))
    number = poll_number(poll)
    form = await vote_form(scene, poll, alice)
    await choose(scene, form, f"poll:single:{number}", ["A"], alice)
    assert await scene.bot.stop() == 0
    assert scene.standin.bot_messages_in(results_channel) == []

    await asyncio.sleep(max(0.0, closes - time.monotonic()) + 0.5)
    await scene.bot.start()
    result = await env.message_in(results_channel, fr(
        "Result of poll {number}: {title}", number=number, title="Grève du 12"))
    assert fr("Winner: {names}", names="A. Oui") in result.text
    late = await scene.click(poll, f"poll:vote:{number}", alice)
    assert fr("This poll is closed: ballots are no longer accepted.") in late.text


async def configure_results_channel(scene: Tribune, channel_id: int) -> None:
    """Poll results go to the demands channel, set in the bot's database before it starts."""
    scene.bot.write_config()
    core = Core(load_settings(scene.bot.config_path, environ={}))
    await core.start()
    env = scene.env
    place = Place(Platform.DISCORD, str(env.guild.id), str(env.channel.id), env.guild.name)
    try:
        await core.config.set_channel(Actor(Platform.DISCORD, "setup", "Setup", True), place,
                                      "demands", str(channel_id))
    finally:
        await core.close()


async def test_final_ballots_are_cast_once(tribune: Tribune) -> None:
    """``/scrutin creer modifiable:False``: a ballot cannot be changed; the count waits
    for the close, for moderators too."""
    scene = tribune
    moderator, alice = scene.moderator("modo"), scene.member("alice")
    poll = await open_poll(scene, moderator, titre="Trésorerie", options="Oui;Non",
                           modifiable=False)
    number = poll_number(poll)
    assert fr("{kind}, final", kind=fr("secret")) in poll.text, poll.text
    form = await vote_form(scene, poll, alice)
    voted = await choose(scene, form, f"poll:single:{number}", ["A"], alice)
    assert fr("Your ballot has been recorded.") in voted.text
    assert fr("Ballots in this poll are final: yours is stored with nothing that leads back "
              "to you, and it cannot be changed.") in voted.text
    again = await scene.click(poll, f"poll:vote:{number}", alice)  # no form this time
    assert again.ephemeral and not again.message.custom_ids()
    assert fr("You have already voted in this poll, and its ballots are final: they cannot "
              "be changed.") in again.text
    early = await run(scene, "scrutin resultats", moderator, options={"numero": number})
    assert fr("The results of this poll are shown when it closes, to everyone (moderators "
              "included).") in early.text
    closed = await run(scene, "scrutin clore", moderator, options={"numero": number})
    assert fr("Winner: {names}", names="A. Oui") in closed.text

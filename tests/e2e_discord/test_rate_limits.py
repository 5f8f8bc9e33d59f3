"""Discord's rate limits, end to end: the stand-in answers 429 to a share of the bot's
requests, in bursts longer than discord.py's own five tries, and with a global limit;
every command is still answered once (a deferred one after the three seconds of the
first answer), each promotion from a meetup waitlist is told once, a poll result is
posted once, and the public meetup message ends on its latest state."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.discord_standin import DiscordStandIn, FakeMember, InteractionRecord, StoredMessage
from tests.e2e_discord.harness import Tribune, fr
from tests.e2e_discord.test_meetups import counts, iso, number_of
from tests.e2e_discord.test_polls import configure_results_channel, in_seconds, poll_number

CALLBACKS = "/interactions/{id}/{token}/callback"
FOLLOWUPS = "/webhooks/{id}/{token}"
POSTS = "/channels/{id}/messages"
EDITS = "/channels/{id}/messages/{id}"
OPEN_DM = "/users/@me/channels"
# discord.py tries a request five times on 429s, then gives up: one more is past it.
PAST_DISCORD_PY = 6
REFRESH_INTERVAL = 3.0


async def run(scene: Tribune, path: str, user: FakeMember, **kwargs: Any) -> InteractionRecord:
    return await scene.env.answer(await scene.env.slash(*path.split(), user=user, **kwargs))


def statuses(standin: DiscordStandIn, method: str, path: str) -> list[int | None]:
    return [r.status for r in standin.requests_to(method, path)]


def answered_once(record: InteractionRecord) -> None:
    assert record.errors == [], record.describe()
    assert len(record.callbacks) == 1, record.describe()


async def test_every_command_is_answered_once(tribune: Tribune) -> None:
    scene, standin = tribune, tribune.standin
    standin.interaction_ack_timeout = 3.0  # as on Discord
    moderator = scene.moderator("modo")
    members = [scene.member(f"membre{index}") for index in range(8)]
    poll = (await run(scene, "scrutin creer", moderator, options={
        "titre": "Assemblée", "options": "Oui;Non", "fin": in_seconds(3600)})).message
    number = poll_number(poll)

    # An answer rate limited past discord.py's tries, still within the three seconds.
    standin.rate_limit("POST", CALLBACKS, count=PAST_DISCORD_PY, retry_after=0.05)
    listed = await run(scene, "rencontre liste", members[0])
    answered_once(listed)
    assert statuses(standin, "POST", f"/interactions/{listed.id}/{listed.token}/callback") \
        == [429] * PAST_DISCORD_PY + [200]

    # A deferred command: its follow-up (with a file) waits out the rate limit past
    # the first answer's three seconds, and still arrives, once.
    answered_once(await run(scene, "scrutin clore", moderator, options={"numero": number}))
    standin.rate_limit("POST", FOLLOWUPS, count=PAST_DISCORD_PY, retry_after=0.7)
    export = await scene.env.slash("scrutin", "export", user=moderator,
                                   options={"numero": number})
    await scene.env.answer(export, timeout=20)
    answered_once(export)
    assert export.response_type == 5 and len(export.followups) == 1, export.describe()
    (document,) = export.message.files  # the upload too is sent again, whole
    assert json.loads(document.data)["ballots"] == [], document
    assert statuses(standin, "POST", f"/webhooks/{standin.application_id}/{export.token}") \
        == [429] * PAST_DISCORD_PY + [200]

    # Many members at once, one answer in three rate limited.
    standin.rate_limit("POST", CALLBACKS, count=100, every=3, retry_after=0.05)
    records = [await scene.env.slash("scrutin", "liste", user=member) for member in members]
    await asyncio.gather(*(scene.env.answer(record, timeout=15) for record in records))
    await asyncio.sleep(1.0)  # time for a second answer, were one sent
    for record in records:
        answered_once(record)
        assert "Assemblée" in record.text, record.describe()
    assert 429 in statuses(standin, "POST", CALLBACKS)


async def test_promotions_are_told_once_and_the_meetup_ends_on_its_latest_state(
    tribune: Tribune,
) -> None:
    scene, standin = tribune, tribune.standin
    organiser = scene.moderator("orga")
    alice, bob, carol, dave, erin = (scene.member(n)
                                     for n in ("alice", "bob", "carol", "dave", "erin"))
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    created = await run(scene, "rencontre creer", organiser, options={
        "titre": "Apéro", "lieu": "Lyon", "debut": iso(starts), "capacite": 2})
    public = created.message
    number = number_of(public)
    going, no = f"meetup:going:{number}", f"meetup:no:{number}"
    for member in (alice, bob, carol, dave, erin):  # carol, dave, erin wait
        await scene.click(public, going, member)

    # Opening a direct message is rate limited past discord.py's tries, then globally;
    # one direct message in two is rate limited; an edit of the public message too.
    standin.rate_limit("POST", OPEN_DM, count=PAST_DISCORD_PY, retry_after=0.05)
    standin.rate_limit("POST", OPEN_DM, count=1, retry_after=0.3, is_global=True)
    standin.rate_limit("POST", POSTS, count=10, every=2, retry_after=0.05)
    standin.rate_limit("PATCH", EDITS, count=PAST_DISCORD_PY, retry_after=0.05)
    for member in (alice, bob):
        left = await scene.click(public, no, member)
        answered_once(left)

    promoted = fr("Good news: a place has freed up and it is yours. You are now coming.")
    for member in (carol, dave):
        await scene.env.dm(member, promoted, timeout=15)
    final = counts(2, 0, 2, waitlist=1)
    await standin.wait_until(lambda: final in public.text, timeout=REFRESH_INTERVAL * 2 + 10,
                             describe=lambda: f"{final!r} in {public.embeds}")
    await asyncio.sleep(REFRESH_INTERVAL + 1)  # no older state comes after it
    assert final in public.text, public.embeds
    for member, expected in ((carol, 1), (dave, 1), (erin, 0), (alice, 0), (bob, 0)):
        told = [m for m in standin.dms_to(member) if promoted in m.text]
        assert len(told) == expected, (member.user.username, told)
    assert statuses(standin, "POST", OPEN_DM).count(429) == PAST_DISCORD_PY + 1


async def test_a_poll_result_is_posted_once(tribune_unstarted: Tribune) -> None:
    scene, standin, env = tribune_unstarted, tribune_unstarted.standin, tribune_unstarted.env
    results = env.guild.channel("annonces")
    await configure_results_channel(scene, results.id)
    await scene.bot.start()
    moderator = scene.moderator("modo")
    poll = (await run(scene, "scrutin creer", moderator, options={
        "titre": "Grève du 12", "options": "Oui;Non", "fin": in_seconds(3600)})).message
    number = poll_number(poll)

    posts = f"/channels/{results.id}/messages"
    standin.rate_limit("POST", posts, count=PAST_DISCORD_PY, retry_after=0.3, is_global=True)
    closed = await run(scene, "scrutin clore", moderator, options={"numero": number})
    answered_once(closed)
    title = fr("Result of poll {number}: {title}", number=number, title="Grève du 12")
    await env.message_in(results, title, timeout=20)
    await asyncio.sleep(1.0)
    posted: list[StoredMessage] = [m for m in standin.bot_messages_in(results)
                                   if title in m.text]
    assert len(posted) == 1, posted
    assert statuses(standin, "POST", posts) == [429] * PAST_DISCORD_PY + [200]

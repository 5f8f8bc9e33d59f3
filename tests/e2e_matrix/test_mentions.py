"""Text members write is echoed by the bot but never pings anyone, against a real Synapse.

A poll, a demand, a meetup and a mutual-aid post are written with every mention form
in their titles, options, places and descriptions (``@room``, user ids, matrix.to
pills, Discord's ``@everyone`` and ``<@123>``...), by members whose own display names
say ``@room`` too. The bot may notify the whole room (its power level is 100).
Every event it sends must carry an empty ``m.mentions``, no un-neutralised ``@room``
and no link that clients turn into a pill; and the homeserver itself must have
highlighted nothing it sent, which a real mention (the control) does.
"""

from __future__ import annotations

import asyncio
import re
import urllib.parse
from typing import Any

from nio import Event

from tests.e2e_matrix.helpers import BotProcess, Member
from tests.matrix_harness.synapse import SynapseServer

POLL = re.compile(r"Scrutin (\d+) : ")
START = "org.matrix.msc3381.poll.start"
END = "org.matrix.msc3381.poll.end"
TEXT = "org.matrix.msc1767.text"
SENT_TYPES = ("m.room.message", START, END)
PILL = re.compile(r"<a\s[^>]*href=[\"']?https?://matrix\.to", re.IGNORECASE)
DISCORD_FORMS = "@everyone @here <@123> <@!123> <@&456> <#789> @room"
MATRIX_FORMS = "@alice:localhost https://matrix.to/#/@alice:localhost"


def pills(user_id: str) -> str:
    """The ways a member's text can point at a user: plain id, Markdown and HTML pills."""
    link = f"https://matrix.to/#/{user_id}"
    return f'{user_id} [Alice]({link}) <a href="{link}">Alice</a>'


def content(event: Event) -> dict[str, Any]:
    value = event.source.get("content")
    return value if isinstance(value, dict) else {}


def texts(body: dict[str, Any]) -> list[str]:
    """Every text of an event's content a client may show, edits and polls included."""
    found = [str(body[key]) for key in ("body", "formatted_body", TEXT) if key in body]
    poll = body.get(START)
    if isinstance(poll, dict):
        found.append(str(poll["question"].get(TEXT, "")))
        found.append(str(poll["question"].get("body", "")))
        found += [str(answer.get(TEXT, "")) for answer in poll.get("answers", [])]
    new = body.get("m.new_content")
    if isinstance(new, dict):
        found += texts(new)
    return found


def pings(body: dict[str, Any]) -> list[str]:
    """Why this content could notify someone (empty when it cannot)."""
    problems = []
    mentions = body.get("m.mentions")
    if not isinstance(mentions, dict):
        problems.append("no m.mentions (legacy push rules would read the body)")
    elif mentions.get("user_ids") or mentions.get("room"):
        problems.append(f"m.mentions = {mentions}")
    for text in texts(body):
        if "@room" in text.casefold():
            problems.append(f"@room in {text!r}")
    # HTML is only read in formatted_body: a pill there would be a link, not text.
    if PILL.search(str(body.get("formatted_body", ""))):
        problems.append(f"a matrix.to link in {body['formatted_body']!r}")
    new = body.get("m.new_content")
    if isinstance(new, dict):
        problems += pings(new)
    return problems


def highlights(synapse: SynapseServer, member: Member) -> list[dict[str, Any]]:
    """The events the homeserver highlighted for ``member`` (what rings for a mention)."""
    query = urllib.parse.urlencode({"only": "highlight", "limit": 100})
    answer = synapse.request("GET", f"/_matrix/client/v3/notifications?{query}",
                             access_token=member.client.access_token)
    return [item["event"] for item in answer.get("notifications", [])]


async def test_echoed_text_pings_nobody(synapse: SynapseServer, bot: BotProcess) -> None:
    mod, alice = [await Member.login(synapse, name) for name in ("orga", "alice")]
    try:
        await alice.client.set_displayname("Alice @room")
        room = await mod.create_room(invite=[bot.user_id, alice.user_id],
                                     power_levels={bot.user_id: 100})
        await alice.join(room)
        await mod.wait_member(room, bot.user_id)
        everything = f"{DISCORD_FORMS} {MATRIX_FORMS} {pills(alice.user_id)}"

        # «…» quotes, so that the HTML pill's own double quotes stay in the text.
        poll = await mod.command(
            room, f"!scrutin creer titre=«Vote {DISCORD_FORMS} {MATRIX_FORMS}» "
                  f"options=«{DISCORD_FORMS};{MATRIX_FORMS};{pills(alice.user_id)}» "
                  "secret=non fin=«dans 2 jours»", bot=bot.user_id)
        number = POLL.search(poll.body)
        assert number, poll.body
        await mod.wait(lambda r, e: r == room and e.sender == bot.user_id
                       and e.source.get("type") == START)
        demand = await alice.command(
            room, f"!revendication proposer titre=«{DISCORD_FORMS} {MATRIX_FORMS}» "
                  f"texte=«{everything}» theme=retraite force=oui", bot=bot.user_id)
        assert "@everyone" in demand.body, demand.body
        meetup = await mod.command(
            room, f"!rencontre creer titre=«{DISCORD_FORMS} {MATRIX_FORMS}» "
                  f"lieu=«{DISCORD_FORMS}» adresse=«{pills(alice.user_id)}» "
                  f"debut=«demain 18h» description=«{everything}»", bot=bot.user_id)
        assert "@everyone" in meetup.body, meetup.body
        post = await alice.command(
            room, f"!entraide demander type=conseil competences=marketing "
                  f"ville=«{MATRIX_FORMS}» tags=«{DISCORD_FORMS}» "
                  f"description=«{everything}»", bot=bot.user_id)
        assert "@everyone" in post.body, post.body
        closed = await mod.command(room, f"!scrutin clore {number[1]}", bot=bot.user_id)
        assert "Résultat du scrutin" in closed.body, closed.body
        await mod.wait(lambda r, e: r == room and e.sender == bot.user_id
                       and e.source.get("type") == END)

        # The control: a real mention of Alice by a member is highlighted for her.
        await mod.client.room_send(room, "m.room.message", {
            "msgtype": "m.text", "body": "Alice, regarde", "m.mentions": {
                "user_ids": [alice.user_id]}})
        for _ in range(50):
            rung = await asyncio.to_thread(highlights, synapse, alice)
            if any(event["sender"] == mod.user_id for event in rung):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"the control mention was not highlighted: {rung}")
        await mod.sync()
        await alice.sync()

        sent = [(room_id, event) for member in (mod, alice)
                for room_id, event in member.events
                if event.sender == bot.user_id and event.source.get("type") in SENT_TYPES]
        assert len(sent) >= 8, [e.source.get("type") for _r, e in sent]
        problems = [f"{event.source.get('type')} {event.event_id}: {problem}"
                    for _room, event in sent for problem in pings(content(event))]
        assert not problems, "\n".join(problems)
        for member in (mod, alice):
            rung = await asyncio.to_thread(highlights, synapse, member)
            assert not [event for event in rung if event["sender"] == bot.user_id], rung
    finally:
        await mod.close()
        await alice.close()

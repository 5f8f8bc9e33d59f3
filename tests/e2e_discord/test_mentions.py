"""Text members write is echoed by the bot but never pings anyone, on Discord.

A poll, a demand, a meetup and a mutual-aid post are written with every mention
form in their titles, options, places and descriptions (``@everyone``, ``@here``,
user, role and channel mentions, real ids included, and Matrix's ``@room`` and
pills), by a member whose display name is a mention too. Every message the bot
created, edited or answered an interaction with must say ``allowed_mentions``
with nothing to parse and no user or role, and the stand-in, which applies
Discord's rules, must have found nobody to ping.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.discord_standin import FakeMember, InteractionRecord, RecordedRequest
from tests.e2e_discord.harness import Tribune

# This module's bot runs on PostgreSQL when a server answers (see tests/conftest.py).
BOT_BACKEND = "postgresql"

# (method, path) of every request that carries a message the bot writes.
MESSAGE_ROUTES = (
    ("POST", re.compile(r"/channels/\d+/messages")),
    ("PATCH", re.compile(r"/channels/\d+/messages/\d+")),
    ("POST", re.compile(r"/webhooks/\d+/[^/]+")),
    ("PATCH", re.compile(r"/webhooks/\d+/[^/]+/messages/[^/]+")),
    ("POST", re.compile(r"/interactions/\d+/[^/]+/callback")),
)
MESSAGE_CALLBACKS = {4, 7}  # CHANNEL_MESSAGE_WITH_SOURCE, UPDATE_MESSAGE
MATRIX_FORMS = "@room @alice:localhost https://matrix.to/#/@alice:localhost"


async def run(scene: Tribune, path: str, user: FakeMember, **kwargs: Any) -> InteractionRecord:
    return await scene.env.answer(await scene.env.slash(*path.split(), user=user, **kwargs))


async def form(scene: Tribune, path: str, user: FakeMember, values: dict[str, Any],
               **kwargs: Any) -> InteractionRecord:
    """A slash command that opens a form, the form submitted; the answer to it."""
    opened = await scene.env.slash(*path.split(), user=user, **kwargs)
    await scene.env.modal(opened)
    return await scene.env.answer(await scene.env.submit_modal(opened, values))


def message_payload(request: RecordedRequest) -> dict[str, Any] | None:
    """The message a request creates or edits, None for other requests."""
    if not any(request.method == method and pattern.fullmatch(request.path)
               for method, pattern in MESSAGE_ROUTES):
        return None
    body = request.body
    if request.path.startswith("/interactions/"):
        if body.get("type") not in MESSAGE_CALLBACKS:
            return None
        return body.get("data") or {}
    return body


def pings(payload: dict[str, Any]) -> list[str]:
    allowed = payload.get("allowed_mentions")
    if not isinstance(allowed, dict):
        return ["no allowed_mentions (Discord would parse every mention)"]
    problems = []
    if allowed.get("parse"):
        problems.append(f"parse = {allowed['parse']}")
    if allowed.get("users") or allowed.get("roles") or allowed.get("replied_user"):
        problems.append(f"allowed_mentions = {allowed}")
    return problems


async def test_echoed_text_pings_nobody(tribune: Tribune) -> None:
    scene = tribune
    env = scene.env
    role = env.role("Membres")
    modo = scene.moderator("modo")
    alice = env.user("alice", global_name="Alice @everyone <@123>", roles=[role])
    discord_forms = (f"@everyone @here <@123> <@!123> <@&456> <#789> "
                     f"<@{alice.id}> <@&{role.id}> <#{env.channel.id}>")
    pill = '<a href="https://matrix.to/#/@alice:localhost">Alice</a>'
    everything = f"{discord_forms} {MATRIX_FORMS} {pill}"
    assert len(f"{discord_forms} {MATRIX_FORMS}") <= 200

    poll = await run(scene, "scrutin creer", modo, options={
        "titre": discord_forms, "options": f"{discord_forms};{MATRIX_FORMS};{pill}",
        "fin": (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="seconds")})
    assert "@everyone" in poll.text, poll.describe()
    number = next(cid for cid in poll.message.custom_ids() if cid.startswith("poll:vote:"))
    demand = await form(scene, "revendication proposer", alice, {
        "title": discord_forms[:120], "body": everything, "theme": ["retirement"]})
    assert "@everyone" in demand.text, demand.describe()
    meetup = await run(scene, "rencontre creer", modo, options={
        "titre": f"{discord_forms} {MATRIX_FORMS}", "lieu": "@everyone <@&456> @room",
        "debut": (datetime.now(UTC) + timedelta(days=2)).isoformat(timespec="seconds"),
        "adresse": pill, "description": everything})
    assert "@everyone" in meetup.text, meetup.describe()
    post = await form(scene, "entraide demander", alice, {
        "skills": "marketing", "description": everything, "where": MATRIX_FORMS[:100],
        "hours": "2", "tags": "@everyone @here"}, options={"type": "advice"})
    assert "@everyone" in post.text, post.describe()
    closed = await run(scene, "scrutin clore", modo,
                       options={"numero": int(number.rsplit(":", 1)[1])})
    assert "@everyone" in closed.text, closed.describe()
    # The poll's public message is edited once it is closed: edits are checked too.
    await scene.standin.wait_until(
        lambda: any(r.method == "PATCH" and message_payload(r) is not None
                    for r in scene.standin.requests),
        timeout=8, describe=lambda: "an edit of a message")

    checked = 0
    problems = []
    for request in scene.standin.requests:
        payload = message_payload(request)
        if payload is None:
            continue
        checked += 1
        problems += [f"{request!r}: {problem}" for problem in pings(payload)]
    assert checked >= 8, scene.standin.requests
    assert not problems, "\n".join(problems)
    for message in scene.standin.bot_messages_in(env.channel):
        assert not message.mentions and not message.mention_roles, message
        assert not message.data.get("mention_everyone"), message

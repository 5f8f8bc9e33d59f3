"""The stand-in driven by a real discord.py 2.7 client (in-process, plus one subprocess check)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import textwrap
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
import pytest_asyncio
from discord import app_commands
from discord.ext import commands

from tests.discord_standin import (
    DiscordEnv,
    DiscordStandIn,
    FakeMember,
    capture_discord_errors,
    format_log_records,
    run_client,
)

TOKEN = "standin-token"


class SignView(discord.ui.View):
    """Persistent view with a fixed custom_id."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Signer", custom_id="standin:sign", style=discord.ButtonStyle.primary)
    async def sign(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_message(
            f"signed by {interaction.user.name}", ephemeral=True
        )


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    """Classic modal: text inputs, sent as action rows."""

    subject: discord.ui.TextInput = discord.ui.TextInput(label="Subject", custom_id="subject")
    details: discord.ui.TextInput = discord.ui.TextInput(
        label="Details", custom_id="details", style=discord.TextStyle.paragraph, required=False
    )

    def __init__(self, sink: list[dict[str, Any]]) -> None:
        super().__init__()
        self.sink = sink

    async def on_submit(self, interaction: discord.Interaction) -> None:
        self.sink.append({"subject": self.subject.value, "details": self.details.value})
        await interaction.response.send_message(f"thanks for {self.subject.value}", ephemeral=True)


class LabelModal(discord.ui.Modal, title="Profile"):
    """Modal built with discord.ui.Label (components type 18)."""

    name: discord.ui.Label = discord.ui.Label(
        text="Name", component=discord.ui.TextInput(custom_id="name")
    )
    colour: discord.ui.Label = discord.ui.Label(
        text="Colour",
        component=discord.ui.Select(
            custom_id="colour",
            options=[
                discord.SelectOption(label="Red", value="red"),
                discord.SelectOption(label="Blue", value="blue"),
            ],
        ),
    )

    def __init__(self, sink: list[dict[str, Any]]) -> None:
        super().__init__()
        self.sink = sink

    async def on_submit(self, interaction: discord.Interaction) -> None:
        text = self.name.component.value  # type: ignore[attr-defined]
        values = self.colour.component.values  # type: ignore[attr-defined]
        self.sink.append({"name": text, "colour": values})
        await interaction.response.send_message(f"{text} likes {values[0]}", ephemeral=True)


class ColourSelect(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.select(
        custom_id="standin:colour",
        options=[
            discord.SelectOption(label="Red", value="red"),
            discord.SelectOption(label="Blue", value="blue"),
        ],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.edit_message(content=f"picked {select.values[0]}", view=None)


def make_bot(sink: list[dict[str, Any]]) -> commands.Bot:
    """A small bot exercising commands, components, modals, files, DMs, roles and threads."""
    intents = discord.Intents.default()
    intents.members = True
    bot = commands.Bot(
        command_prefix="!",
        intents=intents,
        guild_ready_timeout=0.1,
        allowed_mentions=discord.AllowedMentions.none(),
    )

    tribune = app_commands.Group(name="tribune", description="Tribune")

    @tribune.command(name="signer", description="Sign the tribune")
    async def signer(interaction: discord.Interaction, texte: str, anonyme: bool = False) -> None:
        await interaction.response.send_message(
            f"signed: {texte} anonyme={anonyme}", ephemeral=True
        )

    @tribune.command(name="rechercher", description="Search")
    async def rechercher(interaction: discord.Interaction, sujet: str) -> None:
        await interaction.response.send_message(f"searching {sujet}", ephemeral=True)

    @rechercher.autocomplete("sujet")
    async def sujet_autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f"{current}-{i}", value=f"{current}{i}") for i in range(3)]

    bot.tree.add_command(tribune)

    @bot.tree.command(name="annoncer", description="Post an announcement")
    async def annoncer(
        interaction: discord.Interaction,
        salon: discord.TextChannel,
        texte: str,
        membre: discord.Member | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        mention = f" {membre.mention}" if membre else ""
        await salon.send(
            f"{texte}{mention}",
            view=SignView(),
            allowed_mentions=discord.AllowedMentions(users=True, roles=False, everyone=False),
        )
        await interaction.followup.send("posted", ephemeral=True)

    @bot.tree.command(name="formulaire", description="Open a modal")
    async def formulaire(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(FeedbackModal(sink))

    @bot.tree.command(name="profil", description="Open a modal with labels")
    async def profil(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(LabelModal(sink))

    @bot.tree.command(name="couleur", description="Pick a colour")
    async def couleur(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pick one", view=ColourSelect())

    @bot.tree.command(name="fichier", description="Upload a file, DM, role and thread")
    async def fichier(interaction: discord.Interaction, role: discord.Role) -> None:
        await interaction.response.send_message(
            "working", file=discord.File(io.BytesIO(b"hello"), "hello.txt")
        )
        assert isinstance(interaction.user, discord.Member) and isinstance(
            interaction.channel, discord.TextChannel
        )
        await interaction.user.add_roles(role)
        await interaction.user.send("a private word")
        msg = await interaction.channel.send("thread starter")
        thread = await msg.create_thread(name="discussion")
        await thread.send("inside the thread")
        original = await interaction.original_response()
        await interaction.edit_original_response(content=f"done {original.id}")

    @bot.tree.command(name="casse", description="Always fails")
    async def casse(interaction: discord.Interaction) -> None:
        raise RuntimeError("boom")

    @bot.listen("on_message")
    async def heard(message: discord.Message) -> None:
        if not message.author.bot:
            sink.append({"heard": message.content})

    async def no_identify_delay(shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s before a non-initial IDENTIFY; not needed against the stand-in."""

    bot.before_identify_hook = no_identify_delay  # type: ignore[method-assign]

    async def setup_hook() -> None:
        bot.add_view(SignView())
        await bot.tree.sync()

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


class Scenario:
    """A running bot plus the env and the modal sink."""

    def __init__(
        self,
        env: DiscordEnv,
        bot: commands.Bot,
        sink: list[dict[str, Any]],
        errors: list[logging.LogRecord],
        alice: FakeMember,
    ) -> None:
        self.env, self.bot, self.sink, self.errors, self.alice = env, bot, sink, errors, alice
        self.standin = env.standin

    def assert_no_errors(self) -> None:
        assert not self.errors, format_log_records(self.errors)


@pytest_asyncio.fixture
async def scenario(discord_env: DiscordEnv) -> AsyncIterator[Scenario]:
    env = discord_env
    env.role("Membre")
    alice = env.user("alice", roles=["Membre"], global_name="Alice")
    env.text_channel("annonces")
    sink: list[dict[str, Any]] = []
    bot = make_bot(sink)
    with capture_discord_errors() as errors:
        async with run_client(bot, env.standin, token=TOKEN):
            yield Scenario(env, bot, sink, errors, alice)


async def test_login_ready_and_sync(scenario: Scenario) -> None:
    s = scenario
    assert s.bot.user is not None and s.bot.user.id == s.standin.bot_user.id
    for method, path in [
        ("GET", "/users/@me"),
        ("GET", "/oauth2/applications/@me"),
        ("PUT", "/applications/{app}/commands"),
    ]:
        assert s.standin.requests_to(method, path), s.standin.summary()
    guild = s.bot.get_guild(s.env.guild.id)
    assert guild is not None and guild.get_member(s.alice.id) is not None
    assert {c.name for c in guild.text_channels} == {"general", "annonces"}
    assert guild.default_role.id == guild.id and guild.get_role(s.env.guild.role("Membre").id)
    tribune = s.standin.command("tribune")
    assert tribune is not None and tribune["application_id"] == str(s.standin.application_id)
    assert [o["name"] for o in tribune["options"]] == ["signer", "rechercher"]
    assert not s.env.standin.unknown_requests()
    s.assert_no_errors()


async def test_slash_subcommand_reply_is_ephemeral(scenario: Scenario) -> None:
    s = scenario
    inter = await s.env.slash(
        "tribune", "signer", user=s.alice, options={"texte": "hello", "anonyme": True}
    )
    reply = await s.env.answer(inter)
    assert reply.ephemeral and reply.content == "signed: hello anonyme=True"
    assert reply.response_type == 4
    call = s.standin.requests_to("POST", f"/interactions/{inter.id}/{inter.token}/callback")[0]
    assert call.query.get("with_response") == "1"
    assert reply.message not in s.standin.messages_in(
        s.env.channel
    )  # ephemeral: not in the channel
    s.assert_no_errors()


async def test_post_button_click_and_allowed_mentions(scenario: Scenario) -> None:
    s = scenario
    annonces = s.env.guild.channel("annonces")
    inter = await s.env.slash(
        "annoncer",
        user=s.alice,
        options={"salon": annonces, "texte": "Assemblée jeudi", "membre": s.alice},
    )
    reply = await s.env.answer(inter)
    assert reply.response_type == 5 and reply.ephemeral and reply.content == "posted"
    posted = await s.env.message_in(annonces, "Assemblée jeudi")
    assert posted.custom_ids() == ["standin:sign"]
    assert posted.allowed_mentions == {"parse": ["users"]}
    assert posted.mentions == [s.alice.id]
    click = await s.env.click(posted, "standin:sign", user=s.alice)
    answer = await s.env.answer(click)
    assert answer.ephemeral and answer.content == "signed by alice"
    s.assert_no_errors()


async def test_modal_with_action_rows(scenario: Scenario) -> None:
    s = scenario
    inter = await s.env.slash("formulaire", user=s.alice)
    modal = await s.env.modal(inter)
    assert modal["title"] == "Feedback" and [c["type"] for c in modal["components"]] == [1, 1]
    submit = await s.env.submit_modal(inter, {"subject": "Loyers", "details": "trop chers"})
    assert submit.payload and submit.payload["data"]["components"][0] == {
        "type": 1,
        "components": [{"type": 4, "custom_id": "subject", "value": "Loyers"}],
    }
    reply = await s.env.answer(submit)
    assert reply.content == "thanks for Loyers" and reply.ephemeral
    assert s.sink == [{"subject": "Loyers", "details": "trop chers"}]
    with pytest.raises(KeyError):
        await s.env.submit_modal(inter, {"nope": "x", "subject": "y"})
    s.assert_no_errors()


async def test_modal_with_labels(scenario: Scenario) -> None:
    s = scenario
    inter = await s.env.slash("profil", user=s.alice)
    modal = await s.env.modal(inter)
    assert [c["type"] for c in modal["components"]] == [18, 18]
    submit = await s.env.submit_modal(inter, {"name": "Alice", "colour": ["blue"]})
    reply = await s.env.answer(submit)
    assert reply.content == "Alice likes blue"
    assert s.sink == [{"name": "Alice", "colour": ["blue"]}]
    s.assert_no_errors()


async def test_autocomplete_and_select(scenario: Scenario) -> None:
    s = scenario
    auto = await s.env.autocomplete(
        "tribune rechercher", user=s.alice, focused="sujet", value="loy"
    )
    assert [c["value"] for c in await s.env.choices(auto)] == ["loy0", "loy1", "loy2"]
    inter = await s.env.slash("couleur", user=s.alice)
    reply = await s.env.answer(inter)
    assert not reply.ephemeral and reply.message is not None
    assert reply.message in s.standin.messages_in(s.env.channel)
    choice = await s.env.select(reply.message, "standin:colour", ["red"], user=s.alice)
    update = await s.env.answer(choice)
    assert update.response_type == 7 and update.content == "picked red" and update.components == []
    s.assert_no_errors()


async def test_rate_limited_post_is_retried_once(scenario: Scenario) -> None:
    s = scenario
    annonces = s.env.guild.channel("annonces")
    s.standin.rate_limit("POST", "/channels/{id}/messages", count=1, retry_after=0.05)
    inter = await s.env.slash(
        "annoncer", user=s.alice, options={"salon": annonces, "texte": "limited"}
    )
    await s.env.answer(inter)
    posts = s.standin.requests_to("POST", f"/channels/{annonces.id}/messages")
    assert [p.status for p in posts] == [429, 200]
    assert len(s.standin.bot_messages_in(annonces)) == 1
    s.assert_no_errors()


async def test_files_dm_roles_threads_and_edits(scenario: Scenario) -> None:
    s = scenario
    militant = s.env.role("Militant")
    inter = await s.env.slash("fichier", user=s.alice, options={"role": militant})
    dm = await s.env.dm(s.alice, "a private word")
    assert dm.content == "a private word"
    reply = await s.env.answer(inter)
    await s.standin.wait_until(lambda: reply.original and reply.original.edits, describe="the edit")
    assert reply.content == f"done {reply.original.id}"  # type: ignore[union-attr]
    callback = s.standin.requests_to("POST", "/interactions/{id}/{token}/callback")[-1]
    assert [f.filename for f in callback.files] == ["hello.txt"] and callback.files[
        0
    ].data == b"hello"
    assert callback.json["data"]["attachments"][0]["filename"] == "hello.txt"
    att = reply.message.attachments[0]  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as http:
        async with http.get(att["url"]) as resp:
            assert await resp.read() == b"hello"
    assert militant.id in s.alice.roles
    member = s.bot.get_guild(s.env.guild.id).get_member(s.alice.id)  # type: ignore[union-attr]
    assert member is not None
    await s.standin.wait_until(
        lambda: any(r.id == militant.id for r in member.roles), describe="role in cache"
    )
    thread = next(iter(s.env.guild.threads.values()))
    assert thread.name == "discussion"
    assert [m.content for m in s.standin.bot_messages_in(thread)] == ["inside the thread"]
    s.assert_no_errors()


async def test_role_hierarchy_is_enforced(scenario: Scenario) -> None:
    s = scenario
    high = s.env.role("Bureau", position=150)
    inter = await s.env.slash("fichier", user=s.alice, options={"role": high})
    await s.env.ack(inter)
    await s.env.request("PUT", "/guilds/{g}/members/{u}/roles/{r}")
    await s.standin.wait_until(lambda: s.errors, describe="the command error to be logged")
    assert s.standin.requests_to("PUT", "/guilds/{g}/members/{u}/roles/{r}")[0].status == 403
    assert "Missing Permissions" in format_log_records(s.errors)


async def test_forced_reconnect_resumes(scenario: Scenario) -> None:
    s = scenario
    identifies = lambda: sum(1 for d, op, _ in s.standin.gateway_log if d == "recv" and op == 2)  # noqa: E731
    await s.standin.force_reconnect("reconnect")
    await s.standin.force_reconnect("close", code=4000)
    session = next(iter(s.standin.sessions.values()))
    assert session.resumes == 2 and identifies() == 1
    # an event sent while the client is away is replayed on RESUME
    conn = session.conn
    assert conn is not None
    await conn.ws.close(code=4000)
    inter = await s.env.slash("tribune", "signer", user=s.alice, options={"texte": "after"})
    reply = await s.env.answer(inter)
    assert reply.content == "signed: after anonyme=False"
    assert (
        session.replayed >= 1
        and session.resumes == 3
        and identifies() == 1
        and not s.bot.is_closed()
    )
    s.assert_no_errors()


async def test_invalid_session_reidentifies(scenario: Scenario) -> None:
    s = scenario
    await s.standin.invalidate_session(resumable=False)
    assert len(s.standin.sessions) == 2 and len(s.standin.live_sessions()) == 1
    inter = await s.env.slash("tribune", "signer", user=s.alice, options={"texte": "again"})
    assert (await s.env.answer(inter)).content == "signed: again anonyme=False"
    s.assert_no_errors()


async def test_malformed_interaction_does_not_kill_client(scenario: Scenario) -> None:
    s = scenario
    # the required option "texte" is missing: discord.py logs the error, the client survives
    inter = await s.env.slash("tribune", "signer", user=s.alice, options={})
    await s.standin.wait_until(lambda: s.errors, describe="discord.py to log the bad interaction")
    assert not inter.responded
    assert "CommandSignatureMismatch" in format_log_records(s.errors)
    # a failing command callback is logged too
    s.errors.clear()
    await s.env.slash("casse", user=s.alice)
    await s.standin.wait_until(lambda: s.errors, describe="the command error to be logged")
    assert "boom" in format_log_records(s.errors)
    s.errors.clear()
    ok = await s.env.slash("tribune", "signer", user=s.alice, options={"texte": "still alive"})
    assert (await s.env.answer(ok)).content == "signed: still alive anonyme=False"
    s.assert_no_errors()


async def test_dead_client_is_reported(discord_env: DiscordEnv) -> None:
    """An event discord.py cannot parse kills client.start(); waits then fail with the cause."""
    env = discord_env
    alice = env.user("alice")
    bot = make_bot([])
    with capture_discord_errors():
        async with run_client(bot, env.standin, token=TOKEN) as task:
            inter = await env.slash("tribune", "signer", user=alice, options={"texte": "x"})
            broken = dict(inter.payload or {}, id=str(env.world.ids.next()), token="broken")
            del broken["attachment_size_limit"]
            await env.standin.send_interaction(broken)
            with pytest.raises(
                AssertionError, match=r"client task died(.|\n)*attachment_size_limit"
            ):
                await env.answer(env.standin.interaction(int(broken["id"])), timeout=2)
            assert task.done()


async def test_unknown_routes_and_content_type(discord_standin: DiscordStandIn) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{discord_standin.api_base}/users/@me") as resp:
            assert resp.headers["Content-Type"] == "application/json"
        async with http.post(f"{discord_standin.api_base}/guilds/1/bans/2", json={"x": 1}) as resp:
            assert resp.status == 404 and resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["code"] == 0
    unknown = discord_standin.unknown_requests()
    assert [(r.method, r.path, r.json) for r in unknown] == [("POST", "/guilds/1/bans/2", {"x": 1})]


SUBPROCESS_BOT = textwrap.dedent(
    """
    import sys, discord, discord.http, discord.gateway, yarl
    api_base, gateway_url, channel_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.1)

    @client.event
    async def on_ready():
        await client.get_channel(channel_id).send(f"hello from {client.user.name}")
        await client.close()

    client.run("standin-token", log_handler=None)
    """
)


async def test_client_in_another_process(discord_env: DiscordEnv) -> None:
    env = discord_env
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SUBPROCESS_BOT,
        env.standin.api_base,
        env.standin.gateway_url,
        str(env.channel.id),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        msg = await env.message_in(env.channel, "hello from", timeout=15)
        assert msg.content == f"hello from {env.bot_user.username}"
        await asyncio.wait_for(proc.wait(), 10)
        assert proc.returncode == 0, (await proc.stderr.read()).decode()  # type: ignore[union-attr]
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert (
        json.loads(json.dumps(env.standin.requests_to("GET", "/users/@me")[0].headers))[
            "Authorization"
        ]
        == "Bot standin-token"
    )


async def test_user_messages_honour_the_message_content_intent(scenario: Scenario) -> None:
    s = scenario
    await s.env.post(s.alice, "no intent, no content")
    await s.env.post(s.alice, f"{s.env.bot_user.mention} but mentions are delivered")
    await s.standin.wait_until(lambda: len(s.sink) == 2, describe="both messages heard")
    assert s.sink == [
        {"heard": ""},
        {"heard": f"<@{s.env.bot_user.id}> but mentions are delivered"},
    ]
    assert [m.content for m in s.standin.messages_in(s.env.channel)][-2:] == [
        "no intent, no content",
        f"<@{s.env.bot_user.id}> but mentions are delivered",
    ]


async def test_autosharded_client(discord_env: DiscordEnv) -> None:
    env = discord_env
    client = discord.AutoShardedClient(intents=discord.Intents.default(), guild_ready_timeout=0.1)
    with capture_discord_errors() as errors:
        async with run_client(client, env.standin, token=TOKEN):
            assert client.shard_count == 1 and client.get_guild(env.guild.id) is not None
            assert env.standin.requests_to("GET", "/gateway/bot")
            session = env.standin.live_sessions()[0]
            assert session.shard == [0, 1]
    assert not errors, format_log_records(errors)


async def test_rest_surface_from_the_client(scenario: Scenario) -> None:
    """Common REST calls a bot makes, issued through the running client's own API."""
    s = scenario
    bot, guild = s.bot, s.bot.get_guild(s.env.guild.id)
    assert guild is not None
    forum = s.env.text_channel("propositions", type=15)
    bureau = s.env.role("Bureau")
    await s.standin.flush()
    await s.standin.wait_until(lambda: guild.get_channel(forum.id), describe="CHANNEL_CREATE")
    channel = guild.get_channel(s.env.channel.id)
    assert isinstance(channel, discord.TextChannel)
    msg = await channel.send("first", embed=discord.Embed(title="T", description="D"))
    await msg.edit(content="first (edited)")
    fetched = await channel.fetch_message(msg.id)
    assert fetched.content == "first (edited)" and fetched.embeds[0].title == "T"
    await msg.add_reaction("✅")
    assert [m.content async for m in channel.history(limit=5)] == ["first (edited)"]
    await msg.delete()
    assert s.standin.messages_in(channel.id) == []
    forum_channel = guild.get_channel(forum.id)
    assert isinstance(forum_channel, discord.ForumChannel)
    post = await forum_channel.create_thread(name="Idée", content="starter text")
    assert post.thread.name == "Idée" and post.message.content == "starter text"
    assert s.standin.bot_messages_in(post.thread.id)[0].id == post.thread.id
    member = await guild.fetch_member(s.alice.id)
    await member.add_roles(bureau)
    await member.edit(nick="Al")
    assert s.alice.nick == "Al" and bureau.id in s.alice.roles
    await member.remove_roles(bureau)
    assert bureau.id not in s.alice.roles
    assert (await bot.fetch_user(s.alice.id)).name == "alice"
    assert (await bot.fetch_channel(channel.id)).id == channel.id
    assert (await bot.fetch_guild(guild.id)).name == guild.name
    assert {r.name for r in await guild.fetch_roles()} >= {"@everyone", "Membre", "Bureau"}
    assert {c.name for c in await guild.fetch_channels()} >= {"general", "propositions"}
    assert {c.name for c in await bot.tree.fetch_commands()} >= {"tribune", "annoncer"}
    with pytest.raises(discord.NotFound):
        await channel.fetch_message(1)
    assert s.standin.reactions and not s.standin.unknown_requests()
    s.assert_no_errors()


async def test_rate_limit_share_and_global_hold(discord_env: DiscordEnv) -> None:
    standin, channel = discord_env.standin, discord_env.channel
    posts = f"{standin.api_base}/channels/{channel.id}/messages"
    headers = {"Authorization": "Bot x"}
    standin.rate_limit("POST", "/channels/{id}/messages", count=2, every=3)
    async with aiohttp.ClientSession() as http:
        statuses = []
        for index in range(7):
            async with http.post(posts, json={"content": str(index)}, headers=headers) as resp:
                statuses.append(resp.status)
        assert statuses == [200, 200, 429, 200, 200, 429, 200]

        standin.rate_limit("GET", "/users/@me", retry_after=0.3, is_global=True)
        async with http.get(f"{standin.api_base}/users/@me", headers=headers) as resp:
            assert resp.status == 429 and resp.headers["X-RateLimit-Global"] == "true"
        # every other route waits out the global limit, interactions excepted
        async with http.post(posts, json={"content": "held"}, headers=headers) as resp:
            body = await resp.json()
            assert resp.status == 429 and body["global"] and 0 < body["retry_after"] <= 0.3
        async with http.post(f"{standin.api_base}/interactions/1/t/callback",
                             json={"type": 1}) as resp:
            assert resp.status == 404  # not held: no such interaction
        await asyncio.sleep(0.35)
        async with http.post(posts, json={"content": "after"}, headers=headers) as resp:
            assert resp.status == 200
    assert [m.content for m in standin.messages_in(channel)] == [
        "0", "1", "3", "4", "6", "after"]

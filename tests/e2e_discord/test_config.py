"""``/config`` and its assistant, moderator roles, the welcome message and departures."""

from __future__ import annotations

from bot.core.errors import PermissionDenied
from tests.discord_standin import FakeMember
from tests.e2e_discord.harness import Tribune, database_rows, en, exported, fr

# This module's bot runs on PostgreSQL when a server answers (see tests/conftest.py).
BOT_BACKEND = "postgresql"

SETUP = "Setup {index}/{total}: {title}"
SAVED = "Saved: {setting} = {value}."


def step(index: int, title: str, language: str = "fr") -> str:
    say = en if language == "en" else fr
    return say(SETUP, index=index, total=6, title=say(title))


async def test_moderator_walks_the_setup_assistant(tribune: Tribune) -> None:
    env, modo = tribune.env, tribune.moderator("modo")
    bureau = env.role("Bureau")
    first = await tribune.slash("config assistant", modo)
    assert first.ephemeral and step(1, "Language") in first.text
    message = first.message
    assert set(message.custom_ids()) == {"config:setup-locale", "config:setup-next"}
    assert message.component("config:setup-next")["label"] == fr("Next")

    chosen = await env.answer(await env.select(message, "config:setup-locale", ["en"], user=modo))
    assert en(SAVED, setting="locale", value="en") in chosen.text
    assert step(1, "Language", "en") in chosen.text  # the same message, now in English

    shown = await tribune.click(message, "config:setup-next", modo)
    assert step(2, "Time zone", "en") in shown.text
    zone = await env.answer(await env.select(message, "config:setup-timezone",
                                             ["America/Martinique"], user=modo))
    assert en(SAVED, setting="timezone", value="America/Martinique") in zone.text
    await tribune.click(message, "config:setup-next", modo)
    assert step(3, "Channels", "en") in message.text and "/config channel" in message.text
    await tribune.click(message, "config:setup-next", modo)
    assert step(4, "Moderators", "en") in message.text
    role = await env.answer(await env.select(message, "config:setup-moderators", [bureau],
                                             user=modo))
    assert en(SAVED, setting="moderator_role", value=str(bureau.id)) in role.text
    for index, title in ((5, "Organisers"), (6, "Federation")):
        await tribune.click(message, "config:setup-next", modo)
        assert step(index, title, "en") in message.text

    done = await tribune.click(message, "config:setup-next", modo)
    assert done.ephemeral and en("Setup finished") in done.text
    assert "America/Martinique" in done.text and f"<@&{bureau.id}>" in done.text
    assert message.custom_ids() == ["config:setup-restart"]

    summary = await tribune.slash("config voir", modo)
    assert summary.ephemeral
    assert en("Configuration of {name}", name=env.guild.name) in summary.text
    log = await tribune.slash("config journal", modo)
    assert "config.locale" in log.text and "config.moderator_role" in log.text
    again = await tribune.click(message, "config:setup-restart", modo)
    assert step(1, "Language", "en") in again.text


async def test_settings_one_by_one(tribune: Tribune) -> None:
    env, modo = tribune.env, tribune.moderator("modo")
    annonces = env.guild.channel("annonces")
    channel = await tribune.slash("config salon", modo,
                                  options={"flux": "demands", "salon": annonces})
    assert channel.ephemeral
    assert fr(SAVED, setting="channel.demands", value=str(annonces.id)) in channel.text
    off = await tribune.slash("config salon", modo, options={"flux": "demands"})
    assert fr(SAVED, setting="channel.demands", value=fr("off")) in off.text
    kept = await tribune.slash("config conservation", modo, options={"jours": 30})
    assert fr(SAVED, setting="retention", value="30") in kept.text

    suggested = await env.choices(await env.autocomplete(
        "config fuseau", user=modo, focused="zone", value="marti"))
    assert suggested[0]["value"] == "America/Martinique"
    assert len(await env.choices(await env.autocomplete(
        "config fuseau", user=modo, focused="zone", value="a"))) == 25
    wrong = await tribune.slash("config fuseau", modo, options={"zone": "Mars/Olympus"})
    assert fr("Unknown time zone “{value}”. Use a name such as Europe/Paris or "
              "America/Martinique.", value="Mars/Olympus") in wrong.text

    english = await tribune.slash("config langue", modo, options={"langue": "en"})
    assert en(SAVED, setting="locale", value="en") in english.text
    refused = await tribune.slash("config moderateurs", modo,
                                  options={"role": env.guild.everyone})
    assert en("Choose a role other than @everyone for moderators.") in refused.text


async def test_members_with_the_moderator_role_moderate(tribune: Tribune) -> None:
    env, modo = tribune.env, tribune.moderator("modo")
    bureau = env.role("Bureau")
    claire = tribune.member("claire", roles=[bureau])
    assert fr(PermissionDenied.message) in (await tribune.command("export", claire)).text

    await tribune.slash("config moderateurs", modo, options={"role": bureau})
    export = await tribune.command("export", claire)
    assert export.ephemeral and exported(0) in export.text
    assert [f for f in export.message.files if (f.filename or "").endswith(".csv")]
    summary = await tribune.slash("config voir", claire)  # the role opens /config too
    assert f"<@&{bureau.id}>" in summary.text

    await tribune.slash("config moderateurs", claire)  # back to Manage Server only
    assert fr(PermissionDenied.message) in (await tribune.command("export", claire)).text


async def test_welcome_once_per_guild_even_after_a_restart(tribune: Tribune) -> None:
    env, standin = tribune.env, tribune.standin
    hello = fr("Hello!")
    await env.message_in(env.channel, hello)  # the guild the bot was in before starting
    nantes = tribune.other_guild("Collectif Nantes")
    await standin.flush()
    await env.message_in(nantes.env.channel, hello)

    assert await tribune.bot.stop() == 0
    await tribune.bot.start()
    brest = tribune.other_guild("Collectif Brest")
    await standin.flush()
    await env.message_in(brest.env.channel, hello)
    for channel in (env.channel, nantes.env.channel, brest.env.channel):
        assert len(standin.bot_messages_in(channel)) == 1, standin.messages_in(channel)
    assert standin.bot_messages_in(env.guild.channel("annonces")) == []


async def test_departures_are_noted(tribune: Tribune) -> None:
    alice: FakeMember = tribune.member("alice")
    await tribune.sign(alice, profession="Graphiste", city="Lyon")
    await tribune.standin.dispatch("GUILD_MEMBER_REMOVE", {
        "guild_id": str(tribune.env.guild.id), "user": alice.user.payload()})
    await tribune.log_contains("welcomed guild")  # the bot is still there

    def left() -> bool:
        rows = database_rows(tribune.bot)["memberships"]
        return bool(rows) and all(row["left_at"] is not None for row in rows)

    await tribune.standin.wait_until(left, describe="the departure to be recorded")

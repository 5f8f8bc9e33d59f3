"""One bot process serving a Discord guild (stand-in) and a Matrix room (Synapse):
the two collectives form one federation, and a linked member counts once."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from bot.core.services.polls import VOTED_ELSEWHERE
from tests.discord_standin import DiscordEnv, DiscordStandIn
from tests.e2e_discord.harness import BotProcess, Tribune, count, fr
from tests.e2e_discord.test_polls import choose, in_seconds, poll_number, vote_form
from tests.e2e_matrix.helpers import PASSWORD, Member
from tests.matrix_harness.nio_helpers import unique_localpart
from tests.matrix_harness.synapse import SynapseServer

CODE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}")
MATRIX_READY = "matrix: syncing as"
BOT_BACKEND = "postgresql"


def signing(name: str, city: str) -> str:
    return f'!tribune signer nom="{name}" metier=graphiste ville={city} consentement=oui'


async def wait_for_log(bot: BotProcess, text: str, within: float = 40.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while text not in bot.log_text():
        assert asyncio.get_running_loop().time() < deadline, bot.log_text()
        await asyncio.sleep(0.1)


async def test_a_federation_across_discord_and_matrix(
    discord_standin: DiscordStandIn, synapse: SynapseServer, tmp_path: Path, bot_database: str
) -> None:
    env = DiscordEnv.create(discord_standin, guild_name="Collectif Lyon",
                            channels=("general", "annonces"))
    bot = BotProcess(discord_standin, tmp_path, database_url=bot_database)
    bot_user, _token = synapse.register_user(unique_localpart("bot"), PASSWORD)
    bot.extra_config = (
        f'[matrix]\nhomeserver = "{synapse.base_url}"\nuser_id = "{bot_user}"\n'
        f'password = "{PASSWORD}"\nsync_timeout_ms = 10000\n'
    )
    discord = Tribune(env, bot)
    await bot.start()
    await wait_for_log(bot, MATRIX_READY)
    moderator_m = await Member.login(synapse, "mmod")
    bob_m = await Member.login(synapse, "bob")
    alice_m = await Member.login(synapse, "alice")
    try:
        room = await moderator_m.create_room(invite=[bot_user, bob_m.user_id, alice_m.user_id],
                                             name="Collectif Brest")
        await bob_m.join(room)
        await alice_m.join(room)
        await moderator_m.wait_member(room, bot_user)

        # The Discord guild starts the federation; the Matrix room joins with the code.
        modo_d = discord.moderator("modo")
        await discord.slash("federation creer", modo_d, options={"nom": "Union des indés"})
        issued = await discord.slash("federation code", modo_d)
        assert issued.ephemeral
        code = CODE.search(issued.text)
        assert code, issued.text
        joined = await moderator_m.command(room, f"!federation rejoindre {code[0]}",
                                           bot=bot_user)
        assert "Ce collectif a rejoint la fédération." in joined.body
        assert "Collectif Lyon" in joined.body and "Collectif Brest" in joined.body

        # One member signs on each side: the count is 2 on both.
        alice_d = discord.member("alice")
        await discord.sign(alice_d, profession="Graphiste", city="Lyon")
        signed = await bob_m.command(room, signing("Bob", "Brest"), bot=bot_user)
        assert "2 signatures" in signed.body
        assert count(2) in (await discord.command("voir", alice_d)).text
        shown = await bob_m.command(room, "!tribune", bot=bot_user)
        assert "2 signatures" in shown.body

        # Alice links her Matrix account to her Discord one, then signs on Matrix too:
        # she is one person, so the count stays 2.
        linking = await discord.slash("lier", alice_d)
        assert linking.ephemeral
        link_code = CODE.search(linking.text)
        assert link_code, linking.text
        linked = await alice_m.command(room, f"!lier {link_code[0]}", bot=bot_user)
        assert "Vos comptes sont désormais liés" in linked.body
        again = await alice_m.command(room, signing("Alice", "Lyon"), bot=bot_user)
        assert "Votre signature a été mise à jour." in again.body
        assert "2 signatures" in again.body
        assert count(2) in (await discord.command("voir", alice_d)).text
        assert fr("You have signed this tribune.") in (
            await discord.command("voir", alice_d)).text

        # One person, one ballot: Alice votes on Discord, unlinks her Matrix account
        # and tries again from it; it gets no second ballot.
        created = await discord.env.answer(await discord.env.slash(
            "scrutin", "creer", user=modo_d,
            options={"titre": "Grève", "options": "Oui;Non", "fin": in_seconds(3600)}))
        number = poll_number(created.message)
        form = await vote_form(discord, created.message, alice_d)
        voted = await choose(discord, form, f"poll:single:{number}", ["A"], alice_d)
        assert fr("Your ballot has been recorded.") in voted.text
        await alice_m.command(room, "!delier", bot=bot_user)  # still linked: replaced
        again = await alice_m.command(room, f"!vote {number} B", bot=bot_user)
        assert fr(VOTED_ELSEWHERE) in again.body, again.body
        shown = await bob_m.command(room, f"!scrutin voir {number}", bot=bot_user)
        assert re.search(r"Bulletins\W*1\b", shown.body), shown.body
    finally:
        for member in (moderator_m, bob_m, alice_m):
            await member.close()
        code = await bot.stop()
        assert code == 0, bot.log_text()
        assert not bot.problems(), bot.log_text()

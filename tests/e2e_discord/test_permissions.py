"""Every moderator-only slash command, run by a plain member, is refused and
changes nothing in the bot's database."""

from __future__ import annotations

from typing import Any

from bot.core.errors import PermissionDenied
from tests.e2e_discord.harness import Tribune, database_rows, fr

# Rows the bot may add for anyone who talks to it, or that only track its own work.
IGNORED_TABLES = {"processed_events", "bot_state", "members", "persons", "memberships"}
FEDERATION_ONLY = "Only moderators of the federation can do this."


def state(tribune: Tribune) -> dict[str, Any]:
    return {table: rows for table, rows in database_rows(tribune.bot).items()
            if table not in IGNORED_TABLES}


async def test_members_are_refused_every_moderator_command(tribune: Tribune) -> None:
    env = tribune.env
    modo, alice, bob = tribune.moderator("modo"), tribune.member("alice"), tribune.member("bob")
    role, channel = env.role("Signataires"), env.guild.channel("annonces")
    await env.message_in(env.channel, fr("Hello!"))
    await tribune.slash("federation creer", modo, options={"nom": "Fédération des indés"})
    await tribune.sign(bob, profession="Graphiste", city="Lyon")
    assistant = (await tribune.slash("config assistant", modo)).message

    commands: list[tuple[str, dict[str, Any], str]] = [
        ("tribune export", {}, PermissionDenied.message),
        ("tribune annonces", {"salon": channel}, PermissionDenied.message),
        ("tribune texte", {}, PermissionDenied.message),
        ("tribune role", {"role": role}, PermissionDenied.message),
        ("config voir", {}, PermissionDenied.message),
        ("config salon", {"flux": "tribune", "salon": channel}, PermissionDenied.message),
        ("config langue", {"langue": "en"}, PermissionDenied.message),
        ("config fuseau", {"zone": "America/Martinique"}, PermissionDenied.message),
        ("config moderateurs", {"role": role}, PermissionDenied.message),
        ("config organisateurs", {"role": role}, PermissionDenied.message),
        ("config conservation", {"jours": 30}, PermissionDenied.message),
        ("config assistant", {}, PermissionDenied.message),
        ("config journal", {}, PermissionDenied.message),
        ("federation creer", {"nom": "Autre"}, PermissionDenied.message),
        ("federation code", {}, FEDERATION_ONLY),
        ("federation rejoindre", {"code": "ABCD-EFGH"}, PermissionDenied.message),
        ("federation quitter", {}, PermissionDenied.message),
        ("federation retirer", {"numero": 1}, FEDERATION_ONLY),
        ("federation moderateur", {"membre": alice}, FEDERATION_ONLY),
        ("federation partage", {"flux": "tribune", "partager": False},
         PermissionDenied.message),
    ]
    before = state(tribune)
    for path, options, refusal in commands:
        refused = await tribune.slash(path, alice, options=options)
        assert refused.ephemeral and fr(refusal) in refused.text, (path, refused.describe())
        assert not refused.message.files and refused.modal is None, path
    for custom_id, values in (("config:setup-next", None), ("config:setup-locale", ["en"])):
        interaction = (await env.click(assistant, custom_id, user=alice) if values is None
                       else await env.select(assistant, custom_id, values, user=alice))
        refused = await env.answer(interaction)
        assert fr(PermissionDenied.message) in refused.text, custom_id
    assert state(tribune) == before

    # Every moderator-only subcommand of these groups is in the list above.
    listed = {path for path, _options, _refusal in commands}
    everyone = {"tribune voir", "tribune signer", "tribune retirer", "tribune liste",
                "federation voir"}
    for group in ("tribune", "config", "federation"):
        registered = tribune.standin.command(group)
        assert registered is not None
        names = {f"{group} {o['name']}" for o in registered["options"]}
        assert names - everyone == {p for p in listed if p.startswith(group + " ")}, group

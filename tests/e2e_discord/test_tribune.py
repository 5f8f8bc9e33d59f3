"""The tribune workflow on Discord, end to end: real discord.py in the bot process,
Discord played by the stand-in."""

from __future__ import annotations

from bot.core.errors import PermissionDenied
from bot.discord.errors import GuildOnly, MalformedInteraction, UnknownCommand, UnknownComponent
from tests.discord_standin import EPHEMERAL, AttachmentSpec
from tests.e2e_discord.harness import Tribune, count, exported, fr, seed_signatures


async def test_two_members_sign_through_the_form(tribune: Tribune) -> None:
    alice, bob = tribune.member("alice"), tribune.member("bob")
    opened = await tribune.open_sign_form(alice)
    form = opened.modal
    assert form is not None and form["custom_id"] == "tribune:sign-form"
    name_input = next(c["component"] for c in form["components"]
                      if c["component"]["custom_id"] == "name")
    assert name_input["value"] == "Alice"  # prefilled with the display name

    first = await tribune.submit_sign_form(opened, profession="Graphiste", city="Lyon")
    assert first.ephemeral
    assert fr("Thank you, your signature has been recorded.") in first.text
    assert count(1) in first.text
    second = await tribune.sign(bob, name="Bob Martin", profession="Développeur", city="Paris")
    assert count(2) in second.text

    shown = await tribune.command("voir", alice)
    assert not shown.ephemeral
    assert count(2) in shown.text
    assert "Bob Martin" in shown.text
    assert {"tribune:sign", "tribune:list"} <= set(shown.message.custom_ids())


async def test_signing_again_updates_and_prefills(tribune: Tribune) -> None:
    alice = tribune.member("alice")
    await tribune.sign(alice, name="Alice Dupont", profession="Graphiste", city="Lyon",
                       public=False)
    opened = await tribune.open_sign_form(alice)
    fields = {c["component"]["custom_id"]: c["component"] for c in opened.modal["components"]}
    assert fields["name"]["value"] == "Alice Dupont"
    assert fields["city"]["value"] == "Lyon"
    assert [o["value"] for o in fields["public"]["options"] if o.get("default")] == ["no"]
    again = await tribune.submit_sign_form(opened, profession="Illustratrice", city="Lyon")
    assert fr("Your signature has been updated.") in again.text
    assert count(1) in again.text


async def test_moderator_sets_announcements_and_exports(tribune: Tribune) -> None:
    moderator, alice = tribune.moderator("modo"), tribune.member("alice")
    announcements = tribune.env.guild.channel("annonces")
    configured = await tribune.command("annonces", moderator, options={"salon": announcements})
    assert configured.ephemeral
    assert fr("Tribune announcements will be posted in this channel.") in configured.text
    await tribune.sign(alice, profession="Graphiste", city="Lyon", collective="=SOMME(A1)")

    export = await tribune.command("export", moderator)
    assert export.callbacks[0]["data"]["flags"] & EPHEMERAL
    message = export.message
    assert message.ephemeral
    csv_files = [f for f in message.files if (f.filename or "").endswith(".csv")]
    assert len(csv_files) == 1
    content = csv_files[0].data.decode("utf-8-sig")
    assert content.splitlines()[0].startswith("name,profession,city")
    assert "Alice,Graphiste,Lyon,'=SOMME(A1)" in content
    assert exported(1) in message.text


async def test_member_is_refused_the_export_and_settings(tribune: Tribune) -> None:
    alice = tribune.member("alice")
    refused = await tribune.command("export", alice)
    assert refused.message.ephemeral
    assert fr(PermissionDenied.message) in refused.text
    assert not refused.message.files
    channel = tribune.env.guild.channel("annonces")
    refused = await tribune.command("annonces", alice, options={"salon": channel})
    assert refused.ephemeral and fr(PermissionDenied.message) in refused.text
    refused = await tribune.command("texte", alice)
    assert refused.modal is None and fr(PermissionDenied.message) in refused.text


async def test_buttons_and_forms_survive_a_restart(tribune: Tribune) -> None:
    alice, bob = tribune.member("alice"), tribune.member("bob")
    await tribune.sign(alice, profession="Graphiste", city="Lyon")
    shown = await tribune.command("voir", alice)
    opened = await tribune.open_sign_form(bob)  # bob's form stays open across the restart

    assert await tribune.bot.stop() == 0
    await tribune.bot.start()

    listed = await tribune.click(shown.message, "tribune:list", bob)
    assert listed.ephemeral
    assert fr("Signatories of the tribune") in listed.text and "Alice" in listed.text
    notice = await tribune.click(shown.message, "tribune:sign", bob)
    assert notice.ephemeral and "tribune:consent" in notice.message.custom_ids()
    signed = await tribune.submit_sign_form(opened, profession="Développeur", city="Paris")
    assert count(2) in signed.text


async def test_rate_limited_announcement_is_retried_and_posted_once(
    tribune_unstarted: Tribune,
) -> None:
    tribune = tribune_unstarted
    announcements = tribune.env.guild.channel("annonces")
    await seed_signatures(tribune, 9)
    await tribune.bot.start()
    moderator, alice = tribune.moderator("modo"), tribune.member("alice")
    await tribune.command("annonces", moderator, options={"salon": announcements})
    path = f"/channels/{announcements.id}/messages"
    tribune.standin.rate_limit("POST", path, retry_after=0.2)

    signed = await tribune.sign(alice, profession="Graphiste", city="Lyon")
    assert count(10) in signed.text
    posted = await tribune.env.message_in(announcements, fr(
        "The tribune has reached {count} signatures. Thank you to everyone who signed!", count=10))
    assert [r.status for r in tribune.standin.requests_to("POST", path)] == [429, 200]
    assert len(tribune.standin.bot_messages_in(announcements)) == 1
    assert posted.allowed_mentions == {"parse": []}
    assert "tribune:sign" in posted.custom_ids()

    # The announcement's button works like the tribune's.
    bob = tribune.member("bob")
    notice = await tribune.click(posted, "tribune:sign", bob)
    assert notice.ephemeral and "tribune:consent" in notice.message.custom_ids()


async def test_member_text_never_mentions_anyone(tribune: Tribune) -> None:
    role = tribune.env.role("Bureau", mentionable=True)
    alice = tribune.member("alice")
    name = f"@everyone @here {role.mention} <@{alice.id}>"
    signed = await tribune.sign(alice, name=name, profession="@here", city="Lyon",
                                collective=role.mention)
    shown = await tribune.command("voir", alice)
    listed = await tribune.command("liste", alice)
    for record in (signed, shown, listed):
        message = record.message
        assert message.allowed_mentions == {"parse": []}, record.describe()
        assert message.mentions == [] and message.mention_roles == []
        assert not message.data["mention_everyone"]
        assert message.content == ""
    assert "@everyone" in shown.text


async def test_unknown_buttons_and_broken_payloads_get_polite_answers(
    tribune: Tribune,
) -> None:
    env, standin = tribune.env, tribune.standin
    alice = tribune.member("alice")
    shown = await tribune.command("voir", alice)
    polite_button = fr(UnknownComponent.message)
    incomplete = fr(MalformedInteraction.message)

    unknown = await tribune.click(shown.message, "nope", alice, check=False)
    assert unknown.ephemeral and polite_button in unknown.text, unknown.describe()

    data = dict(shown.message.data)
    data["components"] = [{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "Voter", "custom_id": "archive:open:3"}]}]
    retired = await env.answer(await tribune.send(tribune.click_payload(data, "archive:open:3",
                                                                        alice)))
    assert retired.ephemeral and polite_button in retired.text, retired.describe()

    payload = tribune.click_payload(shown.message, "tribune:list", alice)
    del payload["data"]["custom_id"]
    no_custom_id = await env.answer(await tribune.send(payload))
    assert no_custom_id.ephemeral and incomplete in no_custom_id.text

    payload = tribune.slash_payload("tribune voir", alice)
    del payload["member"]
    no_member = await env.answer(await tribune.send(payload))
    assert no_member.ephemeral and incomplete in no_member.text

    payload = tribune.slash_payload("tribune voir", alice)
    del payload["data"]["options"][0]["name"]
    no_subcommand = await env.answer(await tribune.send(payload))
    assert no_subcommand.ephemeral and incomplete in no_subcommand.text

    payload = tribune.slash_payload("tribune voir", alice)
    payload["data"]["name"] = "sondage"
    payload["data"]["options"] = []
    gone = await env.answer(await tribune.send(payload))
    assert gone.ephemeral and fr(UnknownCommand.message) in gone.text

    stale_form = await env.answer(await tribune.send(
        tribune.form_payload("tribune:old-form", [], alice)))
    assert stale_form.ephemeral and polite_button in stale_form.text

    in_dm = await tribune.command("voir", alice, channel=env.dm_channel(alice))
    assert in_dm.ephemeral and fr(GuildOnly.message) in in_dm.text

    # The bot is still serving normally, and said why in its log.
    again = await tribune.command("voir", alice)
    assert fr("Tribune") in again.text
    await tribune.log_contains("UnknownComponent")
    await tribune.log_contains("that discord.py could not parse: KeyError('custom_id')")
    await tribune.log_contains("MalformedInteraction")
    assert standin.internal_errors == []


async def test_signer_role_is_given_and_taken_back(tribune: Tribune) -> None:
    env, standin = tribune.env, tribune.standin
    role = env.role("Signataires")
    moderator, alice, bob = tribune.moderator("modo"), tribune.member("alice"), \
        tribune.member("bob")
    configured = await tribune.command("role", moderator, options={"role": role})
    assert fr("Signatories will receive this role.") in configured.text

    await tribune.sign(alice, profession="Graphiste", city="Lyon")
    await env.request("PUT", f"/guilds/{env.guild.id}/members/{alice.id}/roles/{role.id}")
    assert role.id in alice.roles
    withdrawn = await tribune.command("retirer", alice)
    assert fr("Your signature has been withdrawn and its data deleted.") in withdrawn.text
    await env.request("DELETE", f"/guilds/{env.guild.id}/members/{alice.id}/roles/{role.id}")
    assert role.id not in alice.roles

    standin.fail("PUT", "/guilds/*/members/*/roles/*")
    signed = await tribune.sign(bob, profession="Développeur", city="Paris")
    assert fr("Thank you, your signature has been recorded.") in signed.text
    await tribune.log_contains(f"could not add role {role.id} for member {bob.id}")


async def test_withdraw_button_asks_for_confirmation(tribune: Tribune) -> None:
    alice = tribune.member("alice")
    await tribune.sign(alice, profession="Graphiste", city="Lyon")
    shown = await tribune.command("voir", alice)
    question = await tribune.click(shown.message, "tribune:withdraw", alice)
    assert question.ephemeral and "tribune:withdraw:confirm" in question.message.custom_ids()
    done = await tribune.click(question.message, "tribune:withdraw:confirm", alice)
    assert count(0) in done.text
    again = await tribune.click(question.message, "tribune:withdraw:confirm", alice)
    assert fr("You have not signed the tribune, so there is nothing to withdraw.") in again.text


async def test_moderator_sets_the_text_by_form_and_by_file(tribune: Tribune) -> None:
    env = tribune.env
    moderator, alice = tribune.moderator("modo"), tribune.member("alice")
    opened = await env.slash("tribune", "texte", user=moderator)
    form = await env.modal(opened)
    assert form["custom_id"] == "tribune:text-form"
    saved = await env.answer(await env.submit_modal(
        opened, {"text": "Nous, travailleuses et travailleurs **indépendants**…"}))
    assert fr("The tribune text has been updated.") in saved.text
    assert "travailleuses et travailleurs" in (await tribune.command("voir", alice)).text

    upload = AttachmentSpec("tribune.md", b"# Appel\nPour des droits communs.",
                            "text/markdown")
    saved = await env.answer(await tribune.send_with_file("tribune texte", moderator,
                                                          "fichier", upload))
    assert fr("The tribune text has been updated.") in saved.text, saved.describe()
    assert "Pour des droits communs." in (await tribune.command("voir", alice)).text


async def test_list_pages_with_buttons(tribune_unstarted: Tribune) -> None:
    tribune = tribune_unstarted
    tribune.bot.extra_config = "[tribune]\npage_size = 1\n"
    await tribune.bot.start()
    alice, bob = tribune.member("alice"), tribune.member("bob")
    await tribune.sign(alice, profession="Graphiste", city="Lyon")
    await tribune.sign(bob, profession="Développeur", city="Paris")
    first = await tribune.command("liste", alice)
    assert fr("Page {page}/{pages}", page=1, pages=2) in first.text
    assert "tribune:list:2" in first.message.custom_ids()
    second = await tribune.click(first.message, "tribune:list:2", bob)
    assert second.ephemeral and "Bob" in second.text
    assert fr("Page {page}/{pages}", page=2, pages=2) in second.text
    assert "tribune:list:1" in second.message.custom_ids()
    missing = await tribune.command("liste", alice, options={"page": 5})
    no_page = "There is no page {page}: choose a page from 1 to {pages}."
    assert fr(no_page, page=5, pages=2) in missing.text


async def test_commands_are_registered_with_english_names(tribune: Tribune) -> None:
    command = tribune.standin.command("tribune")
    assert command is not None
    subcommands = {o["name"]: o for o in command["options"]}
    assert set(subcommands) == {"voir", "signer", "retirer", "liste", "export", "annonces",
                                "texte", "role"}
    assert subcommands["voir"]["name_localizations"]["en-US"] == "show"
    assert subcommands["annonces"]["options"][0]["name_localizations"]["en-GB"] == "channel"
    english = await tribune.command("voir", tribune.member("jane", locale="en-US"),
                                    locale="en-US")
    assert fr("Tribune") in english.text  # replies follow the collective's language (French)


async def test_sharded_bot_with_commands_in_a_test_guild(tribune_unstarted: Tribune) -> None:
    tribune = tribune_unstarted
    guild = tribune.env.guild
    tribune.bot.extra_config = f"shard_ids = [0]\nshard_count = 1\ntest_guild_id = {guild.id}\n"
    await tribune.bot.start()
    assert tribune.standin.sessions[next(iter(tribune.standin.sessions))].shard == [0, 1]
    assert "tribune" in [c["name"] for c in tribune.standin.commands[guild.id]]
    signed = await tribune.sign(tribune.member("alice"), profession="Graphiste", city="Lyon")
    assert count(1) in signed.text

"""Mutual aid on Discord, end to end: a member declares skills, another posts a
matching request through the form (public post, discussion thread) and changes
it with the "Edit" button (the post and its thread follow), the first is told by
direct message and offers help, an exchange of two hours is recorded and
confirmed with the button of a direct message, balances show +2 and -2 and the
request is closed. Bad input is refused with a clear message and nothing is
written."""

from __future__ import annotations

from typing import Any

from tests.discord_standin import FakeMember, InteractionRecord, RecordedRequest, StoredMessage
from tests.e2e_discord.harness import Tribune, database_rows, fr

AID_TABLES = ("aid_posts", "skill_profiles", "exchanges", "ledger_entries", "aid_notifications")
REFRESH_TIMEOUT = 6.0


async def run(scene: Tribune, path: str, user: FakeMember, **kwargs: Any) -> InteractionRecord:
    """``/<path>`` and its answer."""
    return await scene.env.answer(await scene.env.slash(*path.split(), user=user, **kwargs))


async def post_request(scene: Tribune, user: FakeMember, kind: str = "advice",
                       **values: str) -> InteractionRecord:
    """``/entraide demander``, the form filled in and submitted; the answer to it."""
    opened = await scene.env.slash("entraide", "demander", user=user, options={"type": kind})
    await scene.env.modal(opened)
    return await scene.env.answer(await scene.env.submit_modal(opened, values))


def aid_rows(scene: Tribune) -> dict[str, list[dict[str, Any]]]:
    rows = database_rows(scene.bot)
    return {table: rows[table] for table in AID_TABLES}


async def settled(scene: Tribune) -> None:
    """Wait for discord.py's ready event (about two seconds after connecting): a bot
    stopped before it logs an error from discord.py's own delayed task."""
    await scene.log_contains("connected to Discord as")


def thread_renames(scene: Tribune) -> None:
    """Serve ``PATCH /channels/{id}`` for the guild's threads (a rename)."""
    threads = scene.env.guild.threads

    async def edit_channel(request: RecordedRequest, channel_id: str) -> tuple[int, Any]:
        thread = threads.get(int(channel_id))
        if thread is None:
            return 404, {"message": "Unknown Channel", "code": 10003}
        thread.name = str(request.body.get("name") or thread.name)
        return 200, thread.payload()

    scene.standin.add_route("PATCH", "/channels/{channel_id}", edit_channel)


def balance_line(hours: str) -> str:
    return fr("Balance: {hours}", hours=fr("{hours} h", hours=hours))


async def test_skills_request_help_exchange_and_balances(tribune: Tribune) -> None:
    scene = tribune
    guild = scene.env.guild.id
    ana, ben = scene.member("ana"), scene.member("ben")

    declared = await run(scene, "entraide profil", ana, options={"competences": "marketing"})
    assert declared.ephemeral, declared.describe()
    assert "marketing" in declared.text
    assert fr("You are told of matching requests.") in declared.text

    # Ben asks for help through the form.
    opened = await scene.env.slash("entraide", "demander", user=ben, options={"type": "advice"})
    form = await scene.env.modal(opened)
    assert form["custom_id"] == "aid:post-form:request.advice"
    fields = [c["component"]["custom_id"] for c in form["components"]]
    assert fields == ["skills", "description", "where", "hours", "tags"]
    created = await scene.env.answer(await scene.env.submit_modal(opened, {
        "skills": "marketing", "description": "Relire ma page de vente avant le lancement.",
        "where": "Lyon", "hours": "2", "tags": "lancement",
    }))
    public = created.message
    assert not public.ephemeral, created.describe()
    assert f"#1 · {fr('Request')} · Ben" in public.text
    assert "Relire ma page de vente" in public.text and "lancement" in public.text
    assert public.custom_ids() == ["aid:help:1", "aid:edit:1"]
    said = await scene.env.followup(created)
    assert said.ephemeral
    assert fr("Posted. Members whose skills match are told privately.") in said.text

    # A discussion thread is opened on the post.
    thread = await scene.standin.wait_until(
        lambda: scene.env.guild.threads.get(public.id), describe="the post's thread")
    assert thread.name == "#1 · marketing"

    # Ben changes his post with the "Edit" button: the form opens filled in. Ana may not.
    refused = await scene.click(public, "aid:edit:1", ana)
    assert refused.ephemeral and fr("Only the author of this post or a moderator can "
                                    "change it.") in refused.text
    opened = await scene.env.click(public, "aid:edit:1", user=ben)
    form = await scene.env.modal(opened)
    assert form["custom_id"] == "aid:edit-form:1"
    assert {c["component"]["custom_id"]: c["component"].get("value")
            for c in form["components"]} == {
        "skills": "marketing", "description": "Relire ma page de vente avant le lancement.",
        "where": "Lyon", "hours": "2", "tags": "lancement"}
    thread_renames(scene)
    edited = await scene.env.answer(await scene.env.submit_modal(opened, {
        "skills": "marketing, étude de marché", "tags": "",
        "description": "Relire ma page de vente et mon devis avant le lancement."}))
    assert edited.ephemeral and fr("The post has been updated.") in edited.text
    await scene.standin.wait_until(lambda: "et mon devis" in public.text,
                                   timeout=REFRESH_TIMEOUT,
                                   describe=lambda: f"the post edited: {public!r}")
    assert "étude de marché" in public.text and fr("Tags") not in public.text
    assert public.custom_ids() == ["aid:help:1", "aid:edit:1"]
    await scene.standin.wait_until(lambda: thread.name == "#1 · marketing, étude de marché",
                                   describe=lambda: f"the thread renamed: {thread.name}")

    # Ana is told privately, with the button; she offers help from there.
    matched = await scene.env.dm(ana, fr("A request matches your skills"))
    assert "#1" in matched.text
    assert matched.custom_ids() == [f"aid:help:1.{guild}"]
    offered = await scene.click(matched, f"aid:help:1.{guild}", ana)
    assert offered.ephemeral, offered.describe()
    assert fr("The author has been told, with how to reach you.") in offered.text
    told = await scene.env.dm(ben, "#1")
    assert fr("{name} can help with your request. Reply to them directly ({platform}: {user}).",
              name="Ana", platform="discord", user=str(ana.id)) in told.text
    assert f"<@{ana.id}>" in told.text
    await scene.env.message_in(thread, fr("{name} offers to help.", name="Ana"))

    # Ben cannot offer help on his own post.
    own = await scene.click(public, "aid:help:1", ben)
    assert own.ephemeral and fr("This is your own post.") in own.text

    # Ana records two hours given; Ben confirms with the button of his direct message.
    recorded = await run(scene, "entraide echange", ana,
                         options={"membre": ben, "heures": "2", "sens": "gave", "annonce": 1})
    assert recorded.ephemeral, recorded.describe()
    assert fr("waiting for confirmation") in recorded.text
    assert "Ana → Ben" in recorded.text
    asked = await scene.env.dm(ben, fr("An exchange with you was recorded. It counts once you "
                                       "confirm it."))
    assert asked.custom_ids() == [f"aid:confirm:1.{guild}", f"aid:decline:1.{guild}"]
    confirmed = await scene.click(asked, f"aid:confirm:1.{guild}", ben)
    assert confirmed.response_type == 7, confirmed.describe()  # the message is updated
    assert fr("Status: {status}.", status=fr("confirmed")) in confirmed.text
    assert confirmed.message.custom_ids() == []
    await scene.env.dm(ana, fr("Status: {status}.", status=fr("confirmed")))

    assert balance_line("2") in (await run(scene, "entraide solde", ana)).text
    assert balance_line("-2") in (await run(scene, "entraide solde", ben)).text

    # The request is fulfilled: closed when shown, and its public post loses its button.
    shown = await run(scene, "entraide voir", ana, options={"numero": 1})
    assert fr("Closed.") in shown.text and shown.message.custom_ids() == []
    await scene.standin.wait_until(lambda: public.custom_ids() == [],
                                   timeout=REFRESH_TIMEOUT,
                                   describe=lambda: f"the post refreshed: {public!r}")
    assert fr("Closed.") in public.text

    found = await run(scene, "entraide chercher", ana, options={"competence": "marketing"})
    assert fr("No open post matches.") in found.text
    choices = await scene.env.choices(await scene.env.autocomplete(
        "entraide chercher", user=ana, focused="competence", value="march"))
    assert {"name": "étude de marché", "value": "market-research"} in choices
    await settled(scene)


async def test_bad_input_is_refused_and_nothing_written(tribune: Tribune) -> None:
    scene = tribune
    ana, ben = scene.member("ana"), scene.member("ben")
    await run(scene, "entraide profil", ben, options={"competences": "comptabilité"})
    await run(scene, "entraide profil", ana, options={"notifications": False})
    before = aid_rows(scene)

    unknown = await run(scene, "entraide profil", ana, options={"competences": "markting"})
    assert unknown.ephemeral
    assert fr("Unknown skill “{word}”. Did you mean “{suggestion}”? See {command} for the list.",
              word="markting", suggestion="marketing",
              command="/entraide competences") in unknown.text

    refusals = {
        "0": fr("The number of hours must be more than zero."),
        "-3": fr("The number of hours must be more than zero."),
        "25": fr("One exchange is at most {max} hours: record longer help as several "
                 "exchanges.", max=24),
    }
    for hours, expected in refusals.items():
        refused = await run(scene, "entraide echange", ana,
                            options={"membre": ben, "heures": hours, "sens": "gave"})
        assert refused.ephemeral and expected in refused.text, (hours, refused.describe())
    alone = await run(scene, "entraide echange", ana,
                      options={"membre": ana, "heures": "2", "sens": "gave"})
    assert fr("You cannot record an exchange with yourself.") in alone.text

    # Over-long texts: Discord's form stops them, and the bot refuses them if sent anyway.
    opened = await scene.env.slash("entraide", "demander", user=ana, options={"type": "advice"})
    form = await scene.env.modal(opened)
    limits = {c["component"]["custom_id"]: c["component"].get("max_length")
              for c in form["components"]}
    assert limits["description"] == 1500 and limits["tags"] == 300
    values = {"skills": "marketing", "description": "x" * 1501, "where": "", "hours": "",
              "tags": ""}
    rows = [{"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
            for key, value in values.items()]
    long = await scene.env.answer(await scene.send(
        scene.form_payload("aid:post-form:request.advice", rows, ana)))
    assert long.ephemeral
    assert fr("The {field} is too long: {limit} characters at most (you sent {length}).",
              field=fr("description"), limit=1500, length=1501) in long.text
    typo = await post_request(scene, ana, skills="markting", description="Un coup de main.")
    assert typo.ephemeral and "« marketing »" in typo.text

    assert aid_rows(scene) == before

    # Confirming one's own exchange: only the other person can.
    recorded = await run(scene, "entraide echange", ana,
                         options={"membre": ben, "heures": "1,5", "sens": "gave"})
    assert fr("waiting for confirmation") in recorded.text
    pending = aid_rows(scene)
    mine = await run(scene, "entraide confirmer", ana, options={"numero": 1})
    assert mine.ephemeral
    assert fr("Only the other person of this exchange can confirm it.") in mine.text
    asked: StoredMessage = await scene.env.dm(ben, fr("An exchange with you was recorded. It "
                                                      "counts once you confirm it."))
    guild = scene.env.guild.id
    clicked = await scene.click(asked, f"aid:confirm:1.{guild}", ana)
    assert fr("Only the other person of this exchange can confirm it.") in clicked.text
    assert aid_rows(scene) == pending
    assert [row["status"] for row in pending["exchanges"]] == ["pending"]
    assert pending["ledger_entries"] == []
    await settled(scene)

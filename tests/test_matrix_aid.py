"""Mutual aid on the Matrix adapter without a server: the post's discussion thread,
commands from a direct room, and the post shown changed and closed."""

from __future__ import annotations

from nio import MatrixRoom

from bot.core.app import Core
from bot.core.render.message import Message
from bot.matrix import _aid
from bot.matrix.adapter import MatrixAdapter, _place
from bot.textcmd import build_registry
from tests.test_matrix_meetups import BOT, ROOM, Events, Recorder, collective_room

DIRECT = "!dm-ana:hs"


def test_commands_about_posts_and_exchanges() -> None:
    registry = build_registry(prefix="!")
    parse = _aid.parse_command
    assert parse(registry, "entraide aider 3") == _aid.AidCommand("help", 3)
    assert parse(registry, "aid help #3") == _aid.AidCommand("help", 3)
    assert parse(registry, "entraide voir 4") == _aid.AidCommand("show", 4)
    assert parse(registry, "entraide clôturer 5") == _aid.AidCommand("close", 5)
    assert parse(registry, "entraide modifier 5 description=x") == _aid.AidCommand("edit", 5)
    assert parse(registry, "aid edit #5") == _aid.AidCommand("edit", 5)
    assert parse(registry, "entraide confirmer 6") == _aid.AidCommand("confirm", 6)
    assert parse(registry, "entraide refuser 6") == _aid.AidCommand("decline", 6)
    assert parse(registry, "entraide echange heures=2 avec=@b:hs annonce=7") == \
        _aid.AidCommand("exchange", 7)
    assert parse(registry, "entraide echange heures=2 avec=@b:hs") == \
        _aid.AidCommand("exchange", None)
    assert parse(registry, 'entraide demander competences=marketing description="x"') == \
        _aid.AidCommand("request")
    assert parse(registry, "entraide aider") == _aid.AidCommand("help", None)
    for odd in ("²", "٣", "9" * 5000):  # digits int() refuses or needs not read
        assert parse(registry, f"entraide voir {odd}") == _aid.AidCommand("show", None)
    assert parse(registry, "entraide") == _aid.AidCommand("aid")
    assert parse(registry, "entraide solde") == _aid.AidCommand("balance")
    assert parse(registry, "rencontre voir 3") is None
    assert parse(registry, "entraide bidule 3") is None
    assert parse(registry, "") is None


def test_threads_and_post_numbers() -> None:
    assert _aid.post_number(Message(title="#12 · Demande · Ben")) == 12
    assert _aid.post_number(Message(title="Entraide")) is None
    assert _aid.thread_root("$post", {"m.in_reply_to": {"event_id": "$cmd"}}) == "$post"
    assert _aid.thread_root("$post", {"rel_type": "m.thread", "event_id": "$root",
                                      "m.in_reply_to": {"event_id": "$cmd"}}) == "$root"
    assert _aid.in_thread("$root") == {"rel_type": "m.thread", "event_id": "$root",
                                       "is_falling_back": True,
                                       "m.in_reply_to": {"event_id": "$root"}}


def direct_room() -> MatrixRoom:
    room = MatrixRoom(DIRECT, BOT)
    room.add_member(BOT, "Bot", None)
    room.add_member("@ana:hs", "Ana", None)
    return room


async def collective_and_direct_room(
        core: Core) -> tuple[MatrixAdapter, MatrixRoom, Recorder, Events, Events]:
    """A collective room of Ana and Ben, and Ana's direct room with the bot."""
    adapter = MatrixAdapter(core)
    room = collective_room("@ana:hs", "@ben:hs")
    recorder = Recorder(adapter, room)
    direct = direct_room()
    recorder.rooms[DIRECT] = direct
    await adapter.state.save_direct_room(BOT, "@ana:hs", DIRECT)
    in_direct = Events(adapter, direct, recorder)
    in_direct.count = 100  # event ids apart from the collective room's
    return adapter, room, recorder, Events(adapter, room, recorder), in_direct


async def test_a_post_and_its_thread(core: Core) -> None:
    adapter, room, recorder, events, in_direct = await collective_and_direct_room(core)

    await events.say("@ana:hs", "!entraide profil competences=marketing")
    await events.say("@ben:hs", '!entraide demander competences=marketing ville=Lyon '
                                'description="Relire ma page de vente"')
    post_room, post = recorder.sent[-1]
    post_id = f"$sent{len(recorder.sent)}"
    assert post_room == ROOM and post["body"].startswith("#1 · Demande · Ben")
    # Shown as everyone sees it, with the command to offer help.
    assert "!entraide aider 1" in post["body"]
    assert post["m.relates_to"] == {"m.in_reply_to": {"event_id": "$e2"}}
    assert await adapter.state.aid_threads(1) == {ROOM: post_id}
    [(user, match)] = recorder.private
    assert user == "@ana:hs" and "!entraide aider 1" in match.plain_text()

    # Ana offers help from her direct room: it counts in the collective room.
    await in_direct.say("@ana:hs", "!entraide aider 1")
    said = [(r, c) for r, c in recorder.sent if r == DIRECT]
    assert said and "L’auteur a été prévenu" in said[-1][1]["body"], said
    [(_room, intro)] = [(r, c) for r, c in recorder.sent
                        if c.get("m.relates_to", {}).get("rel_type") == "m.thread"]
    assert _room == ROOM and intro["body"] == "Ana propose son aide."
    assert intro["m.relates_to"]["event_id"] == post_id
    assert intro["m.mentions"] == {}
    assert recorder.private[-1][0] == "@ben:hs"  # the author is told

    # Ana records the time given; Ben confirms from his direct room.
    await events.say("@ana:hs", "!entraide echange heures=2 avec=@ben:hs sens=donne annonce=1")
    assert "en attente de confirmation" in recorder.sent[-1][1]["body"]
    ben_direct = MatrixRoom("!dm-ben:hs", BOT)
    ben_direct.add_member(BOT, "Bot", None)
    ben_direct.add_member("@ben:hs", "Ben", None)
    recorder.rooms[ben_direct.room_id] = ben_direct
    await adapter.state.save_direct_room(BOT, "@ben:hs", ben_direct.room_id)
    in_ben_direct = Events(adapter, ben_direct, recorder)
    in_ben_direct.count = 200
    before = len(recorder.sent)
    await in_ben_direct.say("@ben:hs", "!entraide confirmer 1")
    after = recorder.sent[before:]
    assert "Statut : confirmé." in after[0][1]["body"] and after[0][0] == ben_direct.room_id
    [edit] = recorder.edits()
    assert edit["m.relates_to"]["event_id"] == post_id
    assert "Close." in edit["m.new_content"]["body"].splitlines()
    assert "!entraide aider" not in edit["m.new_content"]["body"]
    assert after[-1][0] == ROOM and after[-1][1]["body"] == "Cette annonce est close."
    assert after[-1][1]["m.relates_to"]["event_id"] == post_id
    # The exchange counts in the collective room, not in a collective of the direct room.
    shown = await core.aid.show(adapter._system_actor(), _place(room), 1)
    assert shown.status == "fulfilled"

    # Shown once: later checks leave it alone.
    sent = len(recorder.sent)
    await adapter._check_aid(now=True)
    assert len(recorder.sent) == sent


async def test_a_post_closed_elsewhere_is_shown_closed_after_a_sync(core: Core) -> None:
    adapter = MatrixAdapter(core)
    room = collective_room("@mod:hs", "@ben:hs")
    recorder = Recorder(adapter, room)
    events = Events(adapter, room, recorder)
    await events.say("@ben:hs", '!entraide proposer competences=marketing '
                                'description="Je relis vos pages"')
    post_id = f"$sent{len(recorder.sent)}"
    assert "!entraide aider" not in recorder.sent[-1][1]["body"]  # offers take no help
    await adapter._check_aid()  # the first look, after a sync: the post is open
    await core.aid.expire(1, reminder=False)
    await adapter._check_aid()  # too soon after the last look: nothing yet
    assert recorder.edits() == []
    adapter._aid_checked -= 60
    await adapter._check_aid()
    [edit] = recorder.edits()
    assert edit["m.relates_to"]["event_id"] == post_id
    assert recorder.sent[-1][1]["body"] == "Cette annonce a expiré."
    assert adapter._aid_watched == set()



async def test_a_changed_post_is_shown_changed(core: Core) -> None:
    adapter, room, recorder, events, in_direct = await collective_and_direct_room(core)
    await events.say("@ana:hs", '!entraide demander competences=marketing ville=Lyon '
                                'description="Relire ma page de vente"')
    post_id = f"$sent{len(recorder.sent)}"
    assert "!entraide modifier" not in recorder.sent[-1][1]["body"]  # shown to everyone

    # Someone else may not change it: nothing is edited.
    await events.say("@ben:hs", '!entraide modifier 1 description="Pris"')
    assert "Seuls l’auteur de cette annonce" in recorder.sent[-1][1]["body"]
    assert recorder.edits() == []

    # The author changes it from her direct room: the post's message follows.
    await in_direct.say("@ana:hs", '!entraide modifier 1 description="Relire ma page '
                                   'de vente et mon devis" ville=distance')
    reply_room, reply = recorder.sent[-2]
    assert reply_room == DIRECT and "et mon devis" in reply["body"]
    [edit] = recorder.edits()
    assert recorder.sent[-1] == (ROOM, edit)
    assert edit["m.relates_to"] == {"rel_type": "m.replace", "event_id": post_id}
    shown = edit["m.new_content"]["body"]
    assert "Relire ma page de vente et mon devis" in shown and "à distance" in shown
    assert "!entraide aider 1" in shown and "!entraide modifier" not in shown
    assert (await core.aid.show(adapter._system_actor(), _place(room), 1)).remote


async def test_the_post_of_an_erased_member_is_redacted(core: Core) -> None:
    adapter = MatrixAdapter(core)
    room = collective_room("@ben:hs")
    recorder = Recorder(adapter, room)
    redacted: list[tuple[str, str]] = []

    async def room_redact(room_id: str, event_id: str) -> object:
        redacted.append((room_id, event_id))
        return object()

    adapter.client.room_redact = room_redact  # type: ignore[union-attr]
    events = Events(adapter, room, recorder)
    await events.say("@ben:hs", '!entraide demander competences=marketing '
                                'description="Relire ma page de vente"')
    post_id = f"$sent{len(recorder.sent)}"
    ben = adapter._actor(room, "@ben:hs", await core.profile(_place(room)))
    await core.privacy.forget(ben, _place(room), confirm=True)
    sent = len(recorder.sent)
    await adapter._check_aid(now=True)
    assert redacted == [(ROOM, post_id)]
    assert len(recorder.sent) == sent  # no edit, no line in the thread
    assert adapter._aid_watched == set()

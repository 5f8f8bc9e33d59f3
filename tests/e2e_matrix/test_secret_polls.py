"""Secret polls on Matrix, against a real Synapse: no native poll (every member of a
room reads every poll response sent there), ballots cast with ``!vote`` in the direct
room with the bot, native responses that refer to a secret poll anyway not counted,
and nothing in the bot's log or database that says who voted when. Numbers members
type get a clear answer, however odd."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from nio import Event, RoomCreateResponse, RoomMessageNotice

from tests import db_peek
from tests.e2e_matrix.helpers import CODE, BotProcess, Member, reply_target
from tests.e2e_matrix.test_polls import CLOSES, POLL, content, event_type, respond, send
from tests.matrix_harness.synapse import SynapseServer

START_TYPES = ("org.matrix.msc3381.poll.start", "m.poll.start")
VOTE_WORDS = re.compile(r"vote|ballot|poll|scrutin|bulletin", re.IGNORECASE)


async def collective(synapse: SynapseServer, bot: BotProcess, *names: str) -> tuple[str, list]:
    """A room made by a moderator (the first member), joined by the others and the bot;
    the bot may redact members' events there (power level 50)."""
    members = [await Member.login(synapse, name) for name in names]
    mod, others = members[0], members[1:]
    room = await mod.create_room(invite=[bot.user_id, *(m.user_id for m in others)],
                                 power_levels={bot.user_id: 50})
    for member in others:
        await member.join(room)
    await mod.wait_member(room, bot.user_id)
    return room, members


async def open_direct(member: Member, bot: BotProcess) -> str:
    """The member opens a direct room with the bot, as a client does."""
    opened = await member.client.room_create(is_direct=True, invite=[bot.user_id])
    assert isinstance(opened, RoomCreateResponse), opened
    await member.wait_member(opened.room_id, bot.user_id)
    return opened.room_id


def redacted(member: Member, room: str, event_id: str, bot: BotProcess) -> bool:
    for r, e in member.events:
        if r != room or e.sender != bot.user_id or event_type(e) != "m.room.redaction":
            continue
        if e.source.get("redacts") == event_id or content(e).get("redacts") == event_id:
            return True
    return False


async def told_privately(member: Member, direct: str, number: int, seen: int) -> list[Event]:
    """The private notices saying poll ``number`` is secret, once more than ``seen``."""

    def notices() -> list[Event]:
        return [e for r, e in member.events
                if r == direct and isinstance(e, RoomMessageNotice)
                and f"Le scrutin {number} est secret" in e.body]

    await member.until(lambda: len(notices()) > seen)
    return notices()


async def test_secret_poll_is_voted_in_private_only(
    synapse: SynapseServer, bot: BotProcess
) -> None:
    room, members = await collective(synapse, bot, "mod", "bob", "carl")
    mod, bob, carl = members
    try:
        created = await mod.command(
            room, f'!scrutin creer titre=Bureau options="Anna;Basile" secret=oui {CLOSES}',
            bot=bot.user_id)
        secret = int(POLL.search(created.body)[1])
        assert "Ce scrutin est secret : votez en privé" in created.body, created.body
        assert f"!vote {secret} B" in created.body
        public_poll = await mod.command(
            room, f'!scrutin creer titre=Local options="Nord;Sud" secret=non {CLOSES}',
            bot=bot.user_id)
        public = int(POLL.search(public_poll.body)[1])
        assert "Ce scrutin est secret" not in public_poll.body

        # The public poll's start follows its message; the secret poll, sent before,
        # has none: every start event in the room is the public poll's.
        [(_, start)] = await mod.wait(
            lambda r, e: r == room and event_type(e) in START_TYPES)
        starts = [e for r, e in mod.events if r == room and event_type(e) in START_TYPES]
        assert [e.event_id for e in starts] == [start.event_id]
        question = content(start)["org.matrix.msc3381.poll.start"]["question"]
        assert question["org.matrix.msc1767.text"].startswith(f"Scrutin {public} ")

        # Bob votes in private, and answers the public poll natively: both count.
        direct = await open_direct(bob, bot)
        private_vote = await bob.say(direct, f"!vote {secret} A")
        [reply] = await bob.replies(direct, private_vote, sender=bot.user_id)
        assert "Votre bulletin est enregistré." in reply.body, reply.body
        public_answer = await respond(bob, room, start.event_id, ["B"])
        shown = await mod.command(room, f"!scrutin voir {public}", bot=bot.user_id)
        assert "Bulletins: 1" in shown.body.splitlines(), shown.body

        # Carl answers the secret poll's message with a hand-made poll response: not
        # counted, removed from the room, and he is told privately how to vote.
        crafted = await respond(carl, room, created.event_id, ["B"], stable=True)
        carl_direct = await carl.join_direct()
        [notice] = await told_privately(carl, carl_direct, secret, 0)
        assert f"!vote {secret} B" in notice.body, notice.body
        await mod.until(lambda: redacted(mod, room, crafted, bot))
        shown = await mod.command(room, f"!scrutin voir {secret}", bot=bot.user_id)
        assert "Bulletins: 1" in shown.body.splitlines(), shown.body

        # A native start of the secret poll from an earlier version of the bot (its
        # record written as that version did): a response to it is not counted either.
        old_start = await send(mod, room, "org.matrix.msc3381.poll.start", {
            "org.matrix.msc3381.poll.start": {
                "question": {"org.matrix.msc1767.text": f"Scrutin {secret} : Bureau"},
                "kind": "org.matrix.msc3381.poll.undisclosed", "max_selections": 1,
                "answers": [{"id": "A", "org.matrix.msc1767.text": "A. Anna"},
                            {"id": "B", "org.matrix.msc1767.text": "B. Basile"}]},
            "org.matrix.msc1767.text": "Bureau", "body": "Bureau"})
        db_peek.execute(
            bot.db_url, "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?)",
            f"matrix.poll-start:{old_start}",
            json.dumps({"poll": secret, "room": room, "method": "single", "max": 1}),
            datetime.now(UTC))
        old_answer = await respond(carl, room, old_start, ["A"])
        await told_privately(carl, carl_direct, secret, 1)
        await mod.until(lambda: redacted(mod, room, old_answer, bot))
        shown = await mod.command(room, f"!scrutin voir {secret}", bot=bot.user_id)
        assert "Bulletins: 1" in shown.body.splitlines(), shown.body
        # Nothing was said in the room about either answer.
        assert not [e for _, e in mod.events if reply_target(e) in (crafted, old_answer)]

        # Closing counts Bob's private ballot only.
        closed = await mod.command(room, f"!scrutin clore {secret}", bot=bot.user_id)
        assert "Gagnant : A. Anna" in closed.body, closed.body

        # Neither the log nor the database says who voted when.
        voters = [bob.user_id, carl.user_id]
        for line in bot.log().splitlines():
            if any(voter in line for voter in voters):
                assert not VOTE_WORDS.search(line), line
        events = [private_vote, public_answer, crafted, old_answer]
        assert bot.holds(*events) == [], "an event id of a ballot is stored"
        seen = db_peek.fetch(bot.db_url, "SELECT seen_at FROM processed_events")
        assert seen
        for (moment,) in seen:
            moment = db_peek.instant(moment)
            assert (moment.minute, moment.second, moment.microsecond) == (0, 0, 0), moment
    finally:
        for member in members:
            await member.close()


async def test_odd_numbers_get_a_clear_answer(synapse: SynapseServer, bot: BotProcess) -> None:
    """``!vote ² A`` once got no answer at all; a number too large for the database
    made the bot fail while looking for the poll of a direct-room ballot."""
    room, members = await collective(synapse, bot, "mod", "dan")
    _mod, dan = members
    try:
        direct = await open_direct(dan, bot)
        huge = "99999999999999999999999"
        for where, line in [
            (room, "!vote ² A"), (room, f"!vote {huge} A"), (room, "!vote #١٢ A"),
            (direct, "!vote ² A"), (direct, f"!vote {huge} A"),
            (room, "!rencontre viens ²"), (room, f"!rencontre viens {huge}"),
            (direct, f"!entraide voir {huge}"), (direct, "!entraide confirmer ²"),
        ]:
            reply = await dan.command(where, line, bot=bot.user_id)
            assert not CODE.search(reply.body), (line, reply.body)  # no error reference
            assert "Un problème est survenu" not in reply.body, (line, reply.body)
        assert "Traceback" not in bot.log()
    finally:
        for member in members:
            await member.close()


async def test_final_ballots_are_cast_once(synapse: SynapseServer, bot: BotProcess) -> None:
    """``modifiable=non``: a ballot cannot be changed, nor cast twice, and the poll
    says so; results wait for the close, for moderators too."""
    room, members = await collective(synapse, bot, "mod", "dina")
    mod, dina = members
    try:
        created = await mod.command(
            room, f'!scrutin creer titre=Trésorerie options="Oui;Non" modifiable=non {CLOSES}',
            bot=bot.user_id)
        number = int(POLL.search(created.body)[1])
        assert "secret, définitif" in created.body, created.body
        direct = await open_direct(dina, bot)
        first = await dina.say(direct, f"!vote {number} A")
        [reply] = await dina.replies(direct, first, sender=bot.user_id)
        assert "Votre bulletin est enregistré." in reply.body
        assert "Les bulletins de ce scrutin sont définitifs" in reply.body, reply.body
        again = await dina.say(direct, f"!vote {number} B")
        [refused] = await dina.replies(direct, again, sender=bot.user_id)
        assert "ses bulletins sont définitifs : ils ne peuvent pas être modifiés" in refused.body
        view = await dina.command(room, f"!scrutin voir {number}", bot=bot.user_id)
        assert "Vous avez voté. Les bulletins de ce scrutin sont définitifs." in view.body
        early = await mod.command(room, f"!scrutin resultats {number}", bot=bot.user_id)
        assert "seront affichés à sa clôture" in early.body, early.body
        closed = await mod.command(room, f"!scrutin clore {number}", bot=bot.user_id)
        assert "Gagnant : A. Oui" in closed.body, closed.body
    finally:
        for member in members:
            await member.close()

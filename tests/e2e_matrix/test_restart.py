"""A restarted bot replays no old command, catches up on missed ones, keeps its device."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e_matrix.helpers import PASSWORD, BotProcess, Member, reply_target
from tests.matrix_harness.nio_helpers import unique_localpart
from tests.matrix_harness.synapse import SynapseServer

# This module's bot runs on PostgreSQL when a server answers (see tests/conftest.py).
BOT_BACKEND = "postgresql"


def device_of(bot: BotProcess) -> str:
    session = json.loads((bot.workdir / "data" / "matrix-store" / "session.json").read_text())
    return session["device_id"]


def count_replies(member: Member, room: str, bot: BotProcess) -> dict[str | None, int]:
    """How many messages the bot sent in reply to each event of ``room`` (None: not a
    reply, such as the welcome message)."""
    replies: dict[str | None, int] = {}
    for event in member.messages(room, sender=bot.user_id):
        target = reply_target(event)
        replies[target] = replies.get(target, 0) + 1
    return replies


async def test_restart_replays_nothing(synapse: SynapseServer, own_bot: BotProcess) -> None:
    bot = own_bot
    # Sent before the bot ever ran: history, never executed.
    gina = await Member.login(synapse, "gina")
    try:
        room = await gina.create_room(invite=[])
        ancient = await gina.say(room, "!tribune")

        bot.start()
        device = device_of(bot)
        await gina.client.room_invite(room, bot.user_id)
        await gina.wait_member(room, bot.user_id)
        before_first = bot.saved_token()

        first = await gina.say(
            room, '!tribune signer nom="Gina Rossi" metier=autrice ville=Brest consentement=oui'
        )
        [signed] = await gina.replies(room, first, sender=bot.user_id)
        assert "1 signature" in signed.body.splitlines()

        assert bot.stop() == 0
        assert "matrix: stopped" in bot.log()
        # Sent while the bot is down: answered once it is back.
        missed = await gina.say(room, "!tribune")

        bot.start()
        assert device_of(bot) == device, "the bot changed device on restart"
        [caught_up] = await gina.replies(room, missed, sender=bot.user_id)
        assert "1 signature" in caught_up.body.splitlines()

        fresh = await gina.say(room, "!tribune liste")
        [listing] = await gina.replies(room, fresh, sender=bot.user_id)
        assert "1 signature · 0 publique" in listing.body.splitlines()

        # Power levels and creators are known again after the restart: Gina created the room.
        export = await gina.say(room, "!tribune export")
        [note] = await gina.replies(room, export, sender=bot.user_id)
        assert "modérateurs" not in note.body, note.body
        await gina.until(lambda: len(gina.invites - {room}) > 0)

        # Let any wrongly replayed reply arrive, then count replies per command.
        await gina.sync(timeout_ms=1500)
        # The welcome message is the one message that answers nothing.
        assert count_replies(gina, room, bot) == {
            None: 1, first: 1, missed: 1, fresh: 1, export: 1
        }
        assert ancient not in count_replies(gina, room, bot)

        # A sync replayed from an older token (as after a crash before the token was
        # saved) brings every command back: handled events are recognised and skipped.
        assert bot.stop() == 0
        bot.set_saved_token(before_first)
        bot.start()
        latest = await gina.say(room, "!aide")
        await gina.replies(room, latest, sender=bot.user_id)
        await gina.sync(timeout_ms=1500)
        assert count_replies(gina, room, bot) == {
            None: 1, first: 1, missed: 1, fresh: 1, export: 1, latest: 1
        }
        skipped = bot.log(since_start=True)
        assert "a command already handled was skipped" in skipped
        assert first not in skipped  # the log keeps no event id (it names its sender)

        devices = synapse.request(
            "GET", f"/_synapse/admin/v2/users/{bot.user_id}/devices",
            access_token=synapse.register_user(unique_localpart("admin"), "pw", admin=True)[1],
        )["devices"]
        assert device in {d["device_id"] for d in devices}
        # The registration's device and the bot's one: no new device per restart.
        assert len(devices) == 2, devices
    finally:
        await gina.close()


def test_wrong_password_stops_with_a_clear_error(synapse: SynapseServer, tmp_path: Path) -> None:
    bot = BotProcess(synapse, tmp_path / "bot")
    bot.config.write_text(bot.config.read_text().replace(PASSWORD, "not the password"))
    with pytest.raises(AssertionError, match="exited at start"):
        bot.start(within=30)
    assert bot.stop() == 1
    assert f"login of {bot.user_id}" in bot.log()
    assert "Invalid username or password" in bot.log() or "M_FORBIDDEN" in bot.log()

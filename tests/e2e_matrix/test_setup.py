"""A collective's first steps on Matrix: welcome, setup assistant, moderator threshold."""

from __future__ import annotations

from nio import RoomMessageNotice

from tests.e2e_matrix.helpers import BotProcess, Member, reply_target
from tests.matrix_harness.synapse import SynapseServer

# This module's bot runs on PostgreSQL when a server answers (see tests/conftest.py).
BOT_BACKEND = "postgresql"

DENIED_FR = "Seuls les modérateurs peuvent faire cela."
DENIED_EN = "Only moderators can do this."


def welcomes(member: Member, room: str, bot: BotProcess) -> list[str]:
    return [
        event.body for event in member.messages(room, sender=bot.user_id)
        if reply_target(event) is None and "Bonjour" in event.body
    ]


async def test_welcome_once_even_after_a_replayed_join(
    synapse: SynapseServer, bot: BotProcess
) -> None:
    hana = await Member.login(synapse, "hana")
    try:
        room = await hana.create_room(invite=[])
        before_invite = bot.saved_token()
        await hana.client.room_invite(room, bot.user_id)
        [(_, welcome)] = await hana.wait(
            lambda r, e: r == room and isinstance(e, RoomMessageNotice) and reply_target(e) is None
        )
        assert "Bonjour !" in welcome.body
        assert "!config assistant" in welcome.body
        assert "<strong>Bonjour !</strong>" in welcome.formatted_body

        # Restarted on a sync token from before the invite, the bot sees its own join
        # again: the collective was welcomed already, so nothing is posted.
        assert bot.stop() == 0
        bot.set_saved_token(before_invite)
        bot.start()
        await hana.command(room, "!aide", bot=bot.user_id)
        await hana.sync(timeout_ms=1000)
        assert len(welcomes(hana, room, bot)) == 1
        assert bot.log().count(f"matrix: welcomed {room}") == 1
        assert f"matrix: {room} was welcomed before" in bot.log(since_start=True)

        # The bot's own direct rooms are not collectives: no welcome there.
        await hana.command(room, "!mes-donnees", bot=bot.user_id)
        direct = await hana.join_direct()
        await hana.wait(lambda r, e: r == direct and isinstance(e, RoomMessageNotice))
        assert not welcomes(hana, direct, bot)
    finally:
        await hana.close()


async def test_setup_assistant_walk(synapse: SynapseServer, bot: BotProcess) -> None:
    ines = await Member.login(synapse, "ines")
    jules = await Member.login(synapse, "jules")
    try:
        room = await ines.create_room(invite=[bot.user_id, jules.user_id])
        await jules.join(room)
        await ines.wait_member(room, bot.user_id)

        refused = await jules.command(room, "!config assistant", bot=bot.user_id)
        assert DENIED_FR in refused.body

        first = await ines.command(room, "!config assistant", bot=bot.user_id)
        assert "Configuration 1/6 : Langue" in first.body
        saved = await ines.command(room, "!config langue en", bot=bot.user_id)
        assert "locale = en" in saved.body

        titles = ["Time zone", "Channels", "Moderators", "Organisers", "Federation"]
        for index, title in enumerate(titles, start=2):
            step = await ines.command(room, "!config assistant suivant", bot=bot.user_id)
            assert f"Setup {index}/6: {title}" in step.body
            assert "When this step is done, send !config setup next." in step.body

        done = await ines.command(room, "!config assistant suivant", bot=bot.user_id)
        assert "Setup finished" in done.body
        assert "Language: en" in done.body
        assert "Time zone: Europe/Paris" in done.body
        assert "Federation: none" in done.body
        assert "- tribune: not set · shared" in done.body.splitlines()

        # The room now speaks English to everyone, refusals included.
        refused = await jules.command(room, "!config assistant", bot=bot.user_id)
        assert DENIED_EN in refused.body
    finally:
        await ines.close()
        await jules.close()


async def test_moderator_threshold_applies_at_once(
    synapse: SynapseServer, bot: BotProcess
) -> None:
    kim = await Member.login(synapse, "kim")
    leo = await Member.login(synapse, "leo")
    try:
        room = await kim.create_room(
            invite=[bot.user_id, leo.user_id], power_levels={leo.user_id: 50}
        )
        await leo.join(room)
        await kim.wait_member(room, bot.user_id)

        # Power level 50 reaches the default threshold.
        allowed = await leo.command(room, "!config", bot=bot.user_id)
        assert "Configuration" in allowed.body and DENIED_FR not in allowed.body

        saved = await kim.command(room, "!config moderateurs 75", bot=bot.user_id)
        assert "moderator_level = 75" in saved.body
        refused = await leo.command(room, "!config", bot=bot.user_id)
        assert DENIED_FR in refused.body
        summary = await kim.command(room, "!config", bot=bot.user_id)
        assert "niveau de pouvoir 75 ou plus" in summary.body

        await kim.command(room, "!config moderateurs 50", bot=bot.user_id)
        allowed = await leo.command(room, "!config", bot=bot.user_id)
        assert DENIED_FR not in allowed.body
    finally:
        await kim.close()
        await leo.close()

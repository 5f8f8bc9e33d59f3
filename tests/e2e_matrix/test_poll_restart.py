"""A majority-judgment poll on Matrix that closes while the bot is down: the bot
closes it on time when it starts again, and posts the result with its chart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from nio import Event, RoomMessageImage, RoomMessageNotice

from tests.e2e_matrix.helpers import BotProcess, Member
from tests.matrix_harness.synapse import SynapseServer


@pytest.fixture
def own_bot(synapse: SynapseServer, tmp_path: Path, bot_database: str) -> Iterator[BotProcess]:
    process = BotProcess(synapse, tmp_path / "bot", database_url=bot_database)
    process.start()
    try:
        yield process
    finally:
        assert process.stop() == 0, process.log()


async def test_poll_closes_on_time_across_a_restart(synapse: SynapseServer,
                                                    own_bot: BotProcess) -> None:
    bot = own_bot
    mod = await Member.login(synapse, "mod")
    ana = await Member.login(synapse, "ana")
    try:
        room = await mod.create_room(invite=[bot.user_id, ana.user_id])
        await ana.join(room)
        await mod.wait_member(room, bot.user_id)
        configured = await mod.command(room, "!config salon revendications ici", bot=bot.user_id)
        assert "Enregistré" in configured.body
        opened = await mod.command(
            room, '!scrutin creer titre="Priorité" options="Retraite;Chômage" '
                  'methode=jugement fin="dans 20 secondes"', bot=bot.user_id)
        assert "Scrutin 1 : Priorité" in opened.body
        voted = await ana.command(room, "!vote 1 A=passable B=tres-bien", bot=bot.user_id)
        assert "message privé" in voted.body  # the ballot is confirmed privately
        started = time.monotonic()
        assert bot.stop() == 0  # the bot is down when the poll should close
        await asyncio.sleep(max(0.0, 21 - (time.monotonic() - started)))
        bot.start()

        def result(r: str, e: Event) -> bool:
            return (r == room and e.sender == bot.user_id
                    and isinstance(e, RoomMessageNotice)
                    and "Résultat du scrutin 1" in e.body)

        [(_, announced)] = await mod.wait(result, within=40)
        assert "Gagnant : B. Chômage" in announced.body
        assert "Très bien" in announced.body
        images = await mod.wait(lambda r, e: r == room and isinstance(e, RoomMessageImage)
                                and e.sender == bot.user_id, within=20)
        assert images, "the result chart was posted"
    finally:
        await mod.close()
        await ana.close()

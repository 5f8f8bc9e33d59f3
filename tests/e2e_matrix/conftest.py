"""One bot process shared by the scenarios of a module; members are created per test.

The ``synapse`` fixture comes from ``tests.matrix_harness.fixtures`` (loaded by the
top-level conftest), so the whole run shares one homeserver.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import bot_database_for, drop_bot_database
from tests.e2e_matrix.helpers import BotProcess
from tests.matrix_harness.synapse import SynapseServer


@pytest.fixture(scope="module")
def bot(synapse: SynapseServer, tmp_path_factory: pytest.TempPathFactory,
        bot_backend: str, request: pytest.FixtureRequest) -> Iterator[BotProcess]:
    database_url = bot_database_for(request, bot_backend)
    try:
        process = BotProcess(synapse, tmp_path_factory.mktemp("bot"), database_url=database_url)
        process.start()
        try:
            yield process
        finally:
            code = process.stop()
            log = process.log()
            assert code == 0, f"the bot exited with {code}:\n{log}"
            assert "Traceback" not in log, log
    finally:
        drop_bot_database(database_url)


@pytest.fixture
def own_bot(synapse: SynapseServer, tmp_path: Path, bot_database: str) -> Iterator[BotProcess]:
    """A bot process of the test's own, not started (to change its config or account first)."""
    process = BotProcess(synapse, tmp_path / "bot", database_url=bot_database)
    try:
        yield process
    finally:
        process.stop()

"""Pytest fixtures for the Synapse harness.

Load with ``pytest_plugins = ["tests.matrix_harness.fixtures"]`` in a conftest.
"""

from __future__ import annotations

import atexit
import importlib.util
from collections.abc import Iterator

import pytest

from tests.matrix_harness.synapse import SynapseServer


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapseServer]:
    """One real Synapse homeserver shared by the whole test session."""
    if importlib.util.find_spec("synapse") is None:
        pytest.fail(
            "matrix-synapse is not installed, but the Matrix end-to-end tests require it. "
            "Install the test extras: pip install -e '.[test]'",
            pytrace=False,
        )
    server = SynapseServer(tmp_path_factory.mktemp("synapse"))
    atexit.register(server.stop)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        atexit.unregister(server.stop)

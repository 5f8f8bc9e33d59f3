"""Test harness running a real Synapse homeserver for end-to-end Matrix tests."""

from tests.matrix_harness.synapse import SynapseError, SynapseServer

__all__ = ["SynapseError", "SynapseServer"]

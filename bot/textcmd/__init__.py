"""Text commands shared by the Matrix and console adapters."""

from bot.textcmd.commands import build_registry
from bot.textcmd.registry import Command, Invocation, Registry

__all__ = ["Command", "Invocation", "Registry", "build_registry"]

"""Console adapter: the Matrix command syntax on stdin, replies on stdout."""

from bot.console.adapter import ConsoleAdapter

__all__ = ["ConsoleAdapter"]

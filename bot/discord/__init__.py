"""Discord adapter (discord.py): slash commands, buttons and forms over the core."""

from bot.discord.adapter import DiscordAdapter

__all__ = ["DiscordAdapter"]

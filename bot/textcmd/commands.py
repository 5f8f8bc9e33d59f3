"""The full set of text commands."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.i18n import N_
from bot.core.render.message import Message
from bot.textcmd import admin, aid, demands, faq, meetups, polls, tribune
from bot.textcmd.registry import Command, Invocation, Registry


def build_registry(prefix: str = "!") -> Registry:
    registry = Registry(prefix)

    async def show_help(inv: Invocation) -> Sequence[Message]:
        if inv.args:
            command = registry.root(inv.args[0])
            if command is not None:
                return [registry.help_for(command)]
        return [registry.help_for()]

    registry.add(
        Command("aide", "help", N_("list the commands, or explain one"),
                usage_fr="[commande]", usage_en="[command]", handler=show_help)
    )
    registry.add(tribune.command())
    registry.add(demands.command())
    registry.add(meetups.command())
    registry.add(aid.command())
    registry.add(faq.command())
    for command in polls.commands():
        registry.add(command)
    for command in admin.commands():
        registry.add(command)
    return registry

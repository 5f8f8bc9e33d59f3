"""Platform-neutral ``Message`` → Discord embed, buttons and files.

Everything goes into an embed (never into ``content``), and every send passes
``AllowedMentions.none()``: text typed by members (``@everyone``, role or user
mentions) is shown but never pings anyone. Text that does not fit Discord's
limits is shortened with an ellipsis rather than refused.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import discord

from bot.core.render.message import Action, Message, Tone, Visibility
from bot.discord.views import ActionButton

# Discord limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELD_COUNT_LIMIT = 25
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
BUTTON_LABEL_LIMIT = 80
BUTTONS_PER_ROW = 5
BUTTON_LIMIT = 25
ELLIPSIS = "…"
EMPTY = "\u200b"

COLOURS: dict[Tone, discord.Colour] = {
    Tone.INFO: discord.Colour(0x5865F2),
    Tone.SUCCESS: discord.Colour(0x2D7D46),
    Tone.WARNING: discord.Colour(0xE8A317),
    Tone.ERROR: discord.Colour(0xD83C3E),
}
STYLES: dict[str, discord.ButtonStyle] = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}


# Discord timestamp styles (https://discord.com/developers/docs/reference#message-formatting)
TIMESTAMP_STYLES = frozenset("tTdDfFR")


def timestamp(moment: datetime, style: str = "f") -> str:
    """``<t:UNIX:STYLE>``: Discord shows the instant in each viewer's own time zone and
    language (``F`` long date and time, ``f`` short, ``t`` time only, ``R`` relative)."""
    if style not in TIMESTAMP_STYLES:
        raise ValueError(f"unknown Discord timestamp style {style!r}")
    if moment.tzinfo is None:
        raise ValueError("a Discord timestamp needs an aware datetime")
    return f"<t:{int(moment.timestamp())}:{style}>"


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ELLIPSIS))].rstrip() + ELLIPSIS


def embed(message: Message) -> discord.Embed | None:
    """The embed for a message, or None when it has no text at all.

    Within Discord's 6000-character total, the title, footer and description
    come first; fields that no longer fit are shortened, then dropped.
    """
    title = shorten(message.title, TITLE_LIMIT)
    footer = shorten(message.footer, FOOTER_LIMIT)
    budget = EMBED_TOTAL_LIMIT - len(title) - len(footer)
    description = shorten("\n".join(message.lines).strip("\n"), min(DESCRIPTION_LIMIT, budget))
    budget -= len(description)
    fields = []
    for item in message.fields[:FIELD_COUNT_LIMIT]:
        name = shorten(item.name, FIELD_NAME_LIMIT) or EMPTY
        room = min(FIELD_VALUE_LIMIT, budget - len(name))
        if room < min(len(item.value), 2 * len(ELLIPSIS)) or room < 1:
            break
        value = shorten(item.value, room) or EMPTY
        fields.append((name, value, item.inline))
        budget -= len(name) + len(value)
    if not (title or description or fields or footer):
        return None
    result = discord.Embed(
        title=title or None,
        description=description or None,
        colour=COLOURS.get(message.tone, COLOURS[Tone.INFO]),
    )
    for name, value, inline in fields:
        result.add_field(name=name, value=value, inline=inline)
    if footer:
        result.set_footer(text=footer)
    return result


def button(action: Action) -> ActionButton:
    return ActionButton(
        discord.ui.Button(
            custom_id=action.custom_id,
            label=shorten(action.label, BUTTON_LABEL_LIMIT),
            style=STYLES.get(action.style, discord.ButtonStyle.secondary),
        )
    )


def view(actions: tuple[Action, ...]) -> discord.ui.View | None:
    """Buttons for the message's actions; they keep working after a restart (see views.py)."""
    if not actions:
        return None
    result = discord.ui.View(timeout=None)
    for index, action in enumerate(actions[:BUTTON_LIMIT]):
        item = button(action)
        item.row = index // BUTTONS_PER_ROW
        result.add_item(item)
    return result


def files(message: Message) -> list[discord.File]:
    return [
        discord.File(io.BytesIO(attachment.content), filename=attachment.filename)
        for attachment in message.attachments
    ]


def is_ephemeral(message: Message) -> bool:
    return message.visibility in (Visibility.EPHEMERAL, Visibility.PRIVATE)


@dataclass
class Rendered:
    """What ``send_message`` / ``followup.send`` / ``channel.send`` take."""

    embed: discord.Embed | None
    view: discord.ui.View | None
    files: list[discord.File] = field(default_factory=list)
    ephemeral: bool = False

    def kwargs(self, *, interaction: bool = True) -> dict[str, Any]:
        """Keyword arguments for an interaction reply (``interaction``) or a channel post."""
        result: dict[str, Any] = {"allowed_mentions": discord.AllowedMentions.none()}
        if self.embed is not None:
            result["embed"] = self.embed
        if self.view is not None:
            result["view"] = self.view
        if self.files:
            result["files"] = self.files
        if interaction:
            result["ephemeral"] = self.ephemeral
        return result


def render(message: Message, *, ephemeral: bool | None = None) -> Rendered:
    """Draw a message; ``ephemeral`` overrides the message's own visibility."""
    return Rendered(
        embed=embed(message),
        view=view(message.actions),
        files=files(message),
        ephemeral=is_ephemeral(message) if ephemeral is None else ephemeral,
    )


async def send(
    interaction: discord.Interaction, message: Message, *, ephemeral: bool | None = None
) -> None:
    """Answer an interaction with ``message`` (a follow-up once it was answered)."""
    kwargs = render(message, ephemeral=ephemeral).kwargs()
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


__all__ = ["Rendered", "embed", "files", "is_ephemeral", "render", "send", "shorten",
           "timestamp", "view"]

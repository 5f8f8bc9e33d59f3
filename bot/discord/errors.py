"""The one place where a failed interaction becomes a reply.

Slash commands (the command tree's ``on_error``), buttons, forms and payloads
discord.py could not even parse all end here, in this order:

1. a ``DomainError`` (from a service, or one of the adapter's own below) is
   shown to the member as the core renders it; adapter-level ones (unknown
   button, incomplete payload) are logged as warnings;
2. discord.py's own refusals (unknown or outdated command, an option value it
   could not convert, a check) are logged as warnings and answered politely;
3. anything else is logged with its traceback and an error reference, and the
   member gets the generic message with that reference.

The answer is always ephemeral, as a follow-up when the interaction was
already answered, in the collective's language.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.http import Route

from bot.core.errors import DomainError, InvalidInput, PermissionDenied
from bot.core.i18n import N_, normalize_locale, use_locale
from bot.core.render import errors as render_errors
from bot.core.render.message import Message
from bot.core.types import Place, Platform
from bot.discord.render import render, send
from bot.errors import error_reference

if TYPE_CHECKING:
    from bot.core.app import Core

log = logging.getLogger(__name__)


class AdapterError(DomainError):
    """A problem with the interaction itself rather than with what the member asked."""

    log_level = logging.WARNING


class GuildOnly(DomainError):
    message = N_("This command works in a server, not in direct messages.")


class UnknownComponent(AdapterError):
    message = N_(
        "This button or form is no longer available. Run the command again to get a new one."
    )


class UnknownCommand(AdapterError):
    message = N_(
        "This command is not available any more, or has changed. "
        "Type / to see the current commands."
    )


class MalformedInteraction(AdapterError):
    message = N_("Discord sent an incomplete request. Please try again.")


def classify(error: BaseException) -> tuple[DomainError | None, int]:
    """The domain error to show for ``error`` (None: unexpected) and the log level."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, AdapterError):
        return error, error.log_level
    if isinstance(error, DomainError):
        return error, logging.DEBUG
    if isinstance(error, app_commands.NoPrivateMessage):
        return GuildOnly(), logging.DEBUG
    if isinstance(error, (app_commands.CommandNotFound, app_commands.CommandSignatureMismatch)):
        return UnknownCommand(), logging.WARNING
    if isinstance(error, app_commands.TransformerError):
        return InvalidInput(), logging.WARNING
    if isinstance(error, app_commands.CheckFailure):
        return PermissionDenied(), logging.WARNING
    return None, logging.ERROR


async def locale_of(core: Core, guild_id: int | None, fallback: Any) -> str:
    """The collective's language, else the member's client language."""
    if guild_id is not None:
        try:
            return await core.locale_for(Place(Platform.DISCORD, str(guild_id), ""))
        except Exception:
            log.warning("could not read the locale of guild %s", guild_id, exc_info=True)
    return normalize_locale(str(fallback) if fallback else None)


def _cause(error: BaseException, shown: DomainError) -> BaseException | None:
    """What made the interaction fail, when it is not the shown error itself."""
    if shown is error:
        return shown.__cause__
    if isinstance(error, app_commands.CommandInvokeError):
        return error.original.__cause__
    return error


def reply_for(error: BaseException, where: str) -> Message:
    """Log ``error`` as it deserves and render the member's answer (call within a locale)."""
    shown, level = classify(error)
    if shown is None:
        reference = error_reference()
        log.error("unexpected error [%s] in %s", reference, where, exc_info=error)
        return render_errors.unexpected(reference)
    if level >= logging.WARNING:
        cause = _cause(error, shown)
        trace = cause if cause is not None and not isinstance(
            cause, app_commands.AppCommandError) else None
        log.log(level, "%s in %s%s", type(shown).__name__, where,
                f": {cause!r}" if cause is not None else "", exc_info=trace)
    return render_errors.error(shown)


def describe(interaction: discord.Interaction) -> str:
    data = interaction.data or {}
    what = data.get("custom_id") or data.get("name") or "?"
    # No user: the log must not tie a member to what they did (a vote, say).
    return f"interaction {interaction.id} ({interaction.type.name} {what!r}, " \
           f"guild {interaction.guild_id})"


async def report(core: Core, interaction: discord.Interaction, error: BaseException) -> None:
    """Answer a failed interaction (never raises)."""
    where = describe(interaction)
    try:
        with use_locale(await locale_of(core, interaction.guild_id, interaction.locale)):
            message = reply_for(error, where)
        if not isinstance(interaction.user, discord.abc.User) \
                and not interaction.response.is_done():
            # discord.py cannot read its own reply back without a user: answer raw.
            await raw_reply(interaction.client.http, interaction.id, interaction.token, message)
        else:
            await send(interaction, message, ephemeral=True)
    except discord.HTTPException as exc:
        log.warning("could not answer %s: %s", where, exc)
    except Exception:
        log.exception("could not answer %s", where)


async def raw_reply(http: discord.http.HTTPClient, interaction_id: Any, token: Any,
                    message: Message) -> None:
    """An ephemeral answer sent without discord.py's interaction objects."""
    embed = render(message).embed
    body = {
        "type": 4,  # CHANNEL_MESSAGE_WITH_SOURCE
        "data": {
            "embeds": [embed.to_dict()] if embed else [],
            "flags": 64,  # ephemeral
            "allowed_mentions": {"parse": []},
        },
    }
    route = Route("POST", "/interactions/{interaction_id}/{interaction_token}/callback",
                  interaction_id=interaction_id, interaction_token=token)
    await http.request(route, json=body)


async def report_raw(core: Core, http: discord.http.HTTPClient, data: Any,
                     error: BaseException) -> None:
    """Answer an INTERACTION_CREATE payload that discord.py could not parse (never raises)."""
    if not isinstance(data, dict):
        return
    where = (f"INTERACTION_CREATE {data.get('id')!r} (type {data.get('type')!r}) "
             "that discord.py could not parse")
    try:
        guild_id = int(data["guild_id"]) if str(data.get("guild_id", "")).isdigit() else None
        with use_locale(await locale_of(core, guild_id, data.get("locale"))):
            problem = MalformedInteraction()
            problem.__cause__ = error
            message = reply_for(problem, where)
        if data.get("id") and data.get("token"):
            await raw_reply(http, data["id"], data["token"], message)
    except discord.HTTPException as exc:
        log.warning("could not answer %s: %s", where, exc)
    except Exception:
        log.exception("could not answer %s", where)


__all__ = [
    "AdapterError",
    "GuildOnly",
    "MalformedInteraction",
    "UnknownCommand",
    "UnknownComponent",
    "classify",
    "report",
    "report_raw",
]

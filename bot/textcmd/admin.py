"""Text commands for federations, linked accounts, configuration, audit and privacy."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.errors import InvalidInput
from bot.core.i18n import N_
from bot.core.numbers import InvalidNumber, parse_whole
from bot.core.render import admin as render
from bot.core.render.message import Message
from bot.core.services.configuration import MAX_POWER_LEVEL, MAX_RETENTION_DAYS, POWER_LEVEL
from bot.core.services.federation import COLLECTIVE_NUMBER, COLLECTIVES_MOST
from bot.core.types import Actor
from bot.core.workflows import parse_workflow
from bot.textcmd.registry import Command, Invocation, page_number
from bot.textcmd.tribune import parse_bool

OFF_WORDS = {"off", "aucun", "aucune", "non", "no", "none"}
HERE_WORDS = {"ici", "here"}
USER_ID_LIMIT = 255


def _one(inv: Invocation, usage: str) -> str:
    if len(inv.args) != 1:
        raise InvalidInput(N_("Usage: {usage}"), usage=f"{inv.prefix}{usage}")
    return inv.args[0]


def _level(word: str) -> int | None:
    if word.casefold() in OFF_WORDS:
        return None
    return parse_whole(word, field=POWER_LEVEL, low=0, high=MAX_POWER_LEVEL)


# -- federation -------------------------------------------------------------------

async def federation_status(inv: Invocation) -> Sequence[Message]:
    return [render.federation(await inv.core.federation.status(inv.actor, inv.place))]


async def federation_create(inv: Invocation) -> Sequence[Message]:
    name = inv.raw_args.strip().strip('"“”«» ')
    info = await inv.core.federation.create(inv.actor, inv.place, name)
    return [render.federation_changed(info, "create")]


async def federation_code(inv: Invocation) -> Sequence[Message]:
    return [render.federation_code(await inv.core.federation.issue_code(inv.actor, inv.place))]


async def federation_join(inv: Invocation) -> Sequence[Message]:
    code = _one(inv, "federation join CODE")
    info = await inv.core.federation.join(inv.actor, inv.place, code)
    return [render.federation_changed(info, "join")]


async def federation_leave(inv: Invocation) -> Sequence[Message]:
    return [render.federation_changed(
        await inv.core.federation.leave(inv.actor, inv.place), "leave")]


async def federation_remove(inv: Invocation) -> Sequence[Message]:
    word = _one(inv, "federation remove NUMBER")
    try:
        number = parse_whole(word.removeprefix("#"), field=COLLECTIVE_NUMBER, low=1,
                             high=COLLECTIVES_MOST)
    except InvalidNumber:
        raise InvalidInput(N_("Give the collective's number from the list of {command}."),
                           command=f"{inv.prefix}federation") from None
    info = await inv.core.federation.remove(inv.actor, inv.place, number)
    return [render.federation_changed(info, "remove")]


async def federation_moderator(inv: Invocation) -> Sequence[Message]:
    user = _one(inv, "federation moderator USER")
    if len(user) > USER_ID_LIMIT:  # no platform has longer ids (nor has the database room)
        raise InvalidInput(N_("Usage: {usage}"), usage=f"{inv.prefix}federation moderator USER")
    target = Actor(inv.actor.platform, user, user, False)
    info = await inv.core.federation.add_moderator(inv.actor, inv.place, target)
    return [render.federation_changed(info, "moderator")]


async def federation_share(inv: Invocation) -> Sequence[Message]:
    if len(inv.args) != 2:
        raise InvalidInput(N_("Usage: {usage}"),
                           usage=f"{inv.prefix}federation share WORKFLOW yes|no")
    workflow = parse_workflow(inv.args[0])
    shared = parse_bool("share", inv.args[1])
    return [render.scope_changed(
        await inv.core.federation.set_scope(inv.actor, inv.place, workflow, shared))]


# -- linked accounts ----------------------------------------------------------------

async def link(inv: Invocation) -> Sequence[Message]:
    if not inv.args:
        return [render.identity_code(await inv.core.identity.issue(inv.actor, inv.place))]
    code = _one(inv, "link CODE")
    return [render.linked(await inv.core.identity.redeem(inv.actor, inv.place, code))]


async def unlink(inv: Invocation) -> Sequence[Message]:
    return [render.unlinked(await inv.core.identity.unlink(inv.actor, inv.place))]


async def accounts(inv: Invocation) -> Sequence[Message]:
    return [render.identities(await inv.core.identity.identities(inv.actor, inv.place))]


# -- configuration --------------------------------------------------------------------

async def config_summary(inv: Invocation) -> Sequence[Message]:
    return [render.summary(await inv.core.config.summary(inv.actor, inv.place))]


async def config_channel(inv: Invocation) -> Sequence[Message]:
    if len(inv.args) != 2:
        raise InvalidInput(N_("Usage: {usage}"),
                           usage=f"{inv.prefix}config channel WORKFLOW here|off")
    workflow = parse_workflow(inv.args[0])
    where = inv.args[1].casefold()
    if where not in HERE_WORDS | OFF_WORDS:
        raise InvalidInput(
            N_("Say where: {here} for this channel, or {off} to turn announcements off."),
            here="here", off="off",
        )
    channel = inv.place.channel_id if where in HERE_WORDS else None
    return [render.changed(
        await inv.core.config.set_channel(inv.actor, inv.place, workflow, channel))]


async def config_language(inv: Invocation) -> Sequence[Message]:
    locale = _one(inv, "config language fr|en")
    return [render.changed(await inv.core.config.set_locale(inv.actor, inv.place, locale))]


async def config_timezone(inv: Invocation) -> Sequence[Message]:
    zone = _one(inv, "config timezone Europe/Paris")
    return [render.changed(await inv.core.config.set_timezone(inv.actor, inv.place, zone))]


async def config_moderators(inv: Invocation) -> Sequence[Message]:
    level = _level(_one(inv, "config moderators LEVEL"))
    return [render.changed(
        await inv.core.config.set_moderator_level(inv.actor, inv.place, level))]


async def config_organisers(inv: Invocation) -> Sequence[Message]:
    level = _level(_one(inv, "config organisers LEVEL|off"))
    return [render.changed(
        await inv.core.config.set_organiser_level(inv.actor, inv.place, level))]


async def config_retention(inv: Invocation) -> Sequence[Message]:
    word = _one(inv, "config retention DAYS|off")
    days = None
    if word.casefold() not in OFF_WORDS:
        try:
            days = parse_whole(word, field=N_("The number of days"), low=1,
                               high=MAX_RETENTION_DAYS)
        except InvalidNumber:
            raise InvalidInput(N_("Give a number of days from 1 to {max}, or off."),
                               max=MAX_RETENTION_DAYS) from None
    return [render.changed(await inv.core.config.set_retention(inv.actor, inv.place, days))]


async def config_setup(inv: Invocation) -> Sequence[Message]:
    word = inv.args[0].casefold() if inv.args else ""
    advance = word in {"suivant", "next", "ok"}
    restart = word in {"recommencer", "restart"}
    if word and not (advance or restart):
        raise InvalidInput(N_("Usage: {usage}"),
                           usage=f"{inv.prefix}config setup [next|restart]")
    step = await inv.core.config.assistant(inv.actor, inv.place, advance=advance,
                                           restart=restart)
    return [render.assistant(step)]


async def config_log(inv: Invocation) -> Sequence[Message]:
    page = page_number(inv.args)
    return [render.audit_log(await inv.core.audit.read(inv.actor, inv.place, page))]


# -- privacy -----------------------------------------------------------------------------

async def my_data(inv: Invocation) -> Sequence[Message]:
    return [render.data_export(await inv.core.privacy.export(inv.actor, inv.place))]


async def forget_me(inv: Invocation) -> Sequence[Message]:
    confirm = bool(inv.args) and inv.args[0].casefold() in {"confirmer", "confirm"}
    return [render.forgotten(
        await inv.core.privacy.forget(inv.actor, inv.place, confirm=confirm))]


def commands() -> list[Command]:
    federation = Command(
        "federation", "federation", N_("the federation this collective belongs to"),
        handler=federation_status, aliases=("fédération", "federer"),
    )
    federation.children = [
        Command("creer", "create", N_("create a federation with this collective"),
                usage_fr="NOM", usage_en="NAME", handler=federation_create, moderator=True,
                aliases=("créer",)),
        Command("code", "code", N_("a one-time code for another collective to join"),
                handler=federation_code, moderator=True),
        Command("rejoindre", "join", N_("join a federation with its code"),
                usage_fr="CODE", usage_en="CODE", handler=federation_join, moderator=True),
        Command("quitter", "leave", N_("leave the federation"), handler=federation_leave,
                moderator=True),
        Command("retirer", "remove", N_("remove a collective from the federation"),
                usage_fr="NUMÉRO", usage_en="NUMBER", handler=federation_remove,
                moderator=True),
        Command("moderateur", "moderator", N_("make someone a federation moderator"),
                usage_fr="UTILISATEUR", usage_en="USER", handler=federation_moderator,
                moderator=True, aliases=("modérateur",)),
        Command("partage", "share", N_("share a workflow with the federation, or not"),
                usage_fr="FLUX oui|non", usage_en="WORKFLOW yes|no", handler=federation_share,
                moderator=True, aliases=("partager",)),
    ]
    config = Command("config", "config", N_("this collective's configuration"),
                     handler=config_summary, moderator=True, aliases=("configuration",))
    config.children = [
        Command("salon", "channel", N_("where a workflow posts"),
                usage_fr="FLUX ici|off", usage_en="WORKFLOW here|off", handler=config_channel,
                moderator=True),
        Command("langue", "language", N_("the bot's language here"), usage_fr="fr|en",
                usage_en="fr|en", handler=config_language, moderator=True),
        Command("fuseau", "timezone", N_("the time zone for dates"),
                usage_fr="Europe/Paris", usage_en="Europe/Paris", handler=config_timezone,
                moderator=True),
        Command("moderateurs", "moderators", N_("power level of moderators"),
                usage_fr="NIVEAU", usage_en="LEVEL", handler=config_moderators, moderator=True,
                aliases=("modérateurs",)),
        Command("organisateurs", "organisers", N_("who may create meetups and polls"),
                usage_fr="NIVEAU|off", usage_en="LEVEL|off", handler=config_organisers,
                moderator=True, aliases=("organizers",)),
        Command("conservation", "retention", N_("days to keep data of departed members"),
                usage_fr="JOURS|off", usage_en="DAYS|off", handler=config_retention,
                moderator=True),
        Command("assistant", "setup", N_("step-by-step setup"),
                usage_fr="[suivant|recommencer]", usage_en="[next|restart]",
                handler=config_setup, moderator=True),
        Command("journal", "log", N_("the moderation log"), usage_fr="[page]",
                usage_en="[page]", handler=config_log, moderator=True),
    ]
    return [
        federation,
        config,
        Command("lier", "link", N_("link your Discord and Matrix accounts"),
                usage_fr="[CODE]", usage_en="[CODE]", handler=link),
        Command("delier", "unlink", N_("unlink this account"), handler=unlink,
                aliases=("délier",)),
        Command("comptes", "accounts", N_("your linked accounts"), handler=accounts),
        Command("mes-donnees", "my-data", N_("everything the bot holds about you, privately"),
                handler=my_data, aliases=("mes-données",)),
        Command("oublie-moi", "forget-me", N_("erase everything about you"),
                usage_fr="[confirmer]", usage_en="[confirm]", handler=forget_me),
    ]

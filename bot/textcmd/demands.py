"""``!revendication`` text commands."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.errors import InvalidInput, MissingFields
from bot.core.i18n import N_, _
from bot.core.render import demands as render
from bot.core.render.errors import error as render_error
from bot.core.render.message import Message, Visibility
from bot.core.services.demands import DEMAND_NUMBER, Draft, parse_status, parse_theme
from bot.textcmd.registry import Command, Invocation, number_arg, page_number
from bot.textcmd.tribune import parse_bool

DRAFT_KEYS = {
    "title": ("titre", "title"),
    "body": ("texte", "text", "body", "description"),
    "theme": ("theme", "thème"),
    "force": ("force", "forcer"),
}


def _numbers(inv: Invocation, count: int, usage: str) -> list[int]:
    if len(inv.args) < count:
        raise InvalidInput(N_("Usage: {usage}"), usage=f"{inv.prefix}{usage}")
    return [number_arg(inv, usage, field=DEMAND_NUMBER, index=index) for index in range(count)]


async def propose(inv: Invocation) -> Sequence[Message]:
    values: dict[str, str] = {}
    for key, value in inv.options.items():
        field = next((f for f, keys in DRAFT_KEYS.items() if key in keys), None)
        if field is None:
            raise InvalidInput(N_("Unknown field “{key}”. Fields are: {fields}."),
                               key=key[:40], fields="titre, texte, theme, force")
        values[field] = value
    if inv.args:
        raise InvalidInput(N_("Write each answer as field=value, for example {example}."),
                           example='titre="…"')
    force = parse_bool("force", values["force"]) if "force" in values else False
    draft = Draft(values.get("title"), values.get("body"),
                  parse_theme(values["theme"]) if values.get("theme") else None)
    try:
        result = await inv.core.demands.propose(inv.actor, inv.place, draft, force=force)
    except MissingFields as exc:
        return [render_error(exc), Message(
            lines=(_("Send the command again with every field, for example:"),
                   f'{inv.prefix}revendication proposer titre="…" texte="…" theme=retraite'),
            visibility=Visibility.EPHEMERAL)]
    return [render.proposed(result)]


async def show(inv: Invocation) -> Sequence[Message]:
    (number,) = _numbers(inv, 1, "revendication voir NUMÉRO")
    return [render.demand(await inv.core.demands.show(inv.actor, inv.place, number))]


async def support(inv: Invocation) -> Sequence[Message]:
    (number,) = _numbers(inv, 1, "revendication soutenir NUMÉRO")
    return [render.supported(await inv.core.demands.support(inv.actor, inv.place, number))]


async def unsupport(inv: Invocation) -> Sequence[Message]:
    (number,) = _numbers(inv, 1, "revendication retirer-soutien NUMÉRO")
    return [render.supported(
        await inv.core.demands.support(inv.actor, inv.place, number, remove=True))]


async def listing(inv: Invocation) -> Sequence[Message]:
    theme = status = None
    for key, value in inv.options.items():
        if key in ("theme", "thème"):
            theme = parse_theme(value)
        elif key in ("statut", "status"):
            status = parse_status(value)
        else:
            raise InvalidInput(N_("Unknown field “{key}”. Fields are: {fields}."),
                               key=key[:40], fields="theme, statut")
    page = page_number(inv.args)
    return [render.listing(await inv.core.demands.listing(
        inv.actor, inv.place, theme=theme, status=status, page=page))]


async def charter(inv: Invocation) -> Sequence[Message]:
    return [render.charter(await inv.core.demands.charter(inv.actor, inv.place))]


async def merge(inv: Invocation) -> Sequence[Message]:
    source, target = _numbers(inv, 2, "revendication fusionner SOURCE CIBLE")
    return [render.decided(await inv.core.demands.merge(inv.actor, inv.place, source, target))]


async def reject(inv: Invocation) -> Sequence[Message]:
    (number,) = _numbers(inv, 1, 'revendication rejeter NUMÉRO raison="…"')
    reason = inv.options.get("raison") or inv.options.get("reason") or " ".join(inv.args[1:])
    return [render.decided(await inv.core.demands.reject(inv.actor, inv.place, number, reason))]


async def retain(inv: Invocation) -> Sequence[Message]:
    (number,) = _numbers(inv, 1, "revendication retenir NUMÉRO")
    return [render.decided(await inv.core.demands.retain(inv.actor, inv.place, number))]


def command() -> Command:
    group = Command("revendication", "demand", N_("demands: propose, support, list"),
                    handler=listing, aliases=("revendications", "demands"))
    group.children = [
        Command("proposer", "propose", N_("propose a demand"),
                usage_fr='titre="…" texte="…" theme=… [force=oui]',
                usage_en='title="…" text="…" theme=… [force=yes]', handler=propose),
        Command("voir", "show", N_("show a demand"), usage_fr="NUMÉRO", usage_en="NUMBER",
                handler=show),
        Command("soutenir", "support", N_("support a demand"), usage_fr="NUMÉRO",
                usage_en="NUMBER", handler=support),
        Command("retirer-soutien", "unsupport", N_("withdraw your support"),
                usage_fr="NUMÉRO", usage_en="NUMBER", handler=unsupport),
        Command("liste", "list", N_("demands by support, filtered by theme or status"),
                usage_fr="[theme=…] [statut=…] [page]", usage_en="[theme=…] [status=…] [page]",
                handler=listing),
        Command("cahier", "charter", N_("the charter: demands adopted by vote"),
                handler=charter),
        Command("fusionner", "merge", N_("merge a duplicate into another demand"),
                usage_fr="SOURCE CIBLE", usage_en="SOURCE TARGET", handler=merge,
                moderator=True),
        Command("rejeter", "reject", N_("reject a demand, with a public reason"),
                usage_fr='NUMÉRO raison="…"', usage_en='NUMBER reason="…"', handler=reject,
                moderator=True),
        Command("retenir", "retain", N_("mark a demand as retained"), usage_fr="NUMÉRO",
                usage_en="NUMBER", handler=retain, moderator=True),
    ]
    return group


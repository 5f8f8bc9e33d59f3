"""``!entraide`` text commands: posts, skills, and the time bank."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.errors import InvalidInput
from bot.core.i18n import N_
from bot.core.render import aid as render
from bot.core.render.message import Message
from bot.core.services.aid import EXCHANGE_NUMBER, POST_NUMBER, PostDraft
from bot.core.types import Actor
from bot.textcmd.registry import Command, Handler, Invocation, number_arg, record_number
from bot.textcmd.tribune import parse_bool

POST_KEYS = {
    "category": ("type", "genre", "kind"),
    "skills": ("competences", "compétences", "competence", "skills", "skill"),
    "tags": ("tags", "mots"),
    "description": ("description", "texte", "text"),
    "city": ("ville", "lieu", "city", "where"),
    "hours": ("heures", "duree", "hours"),
}


def _values(inv: Invocation, keys: dict[str, tuple[str, ...]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in inv.options.items():
        field = next((f for f, names in keys.items() if key in names), None)
        if field is None:
            raise InvalidInput(N_("Unknown field “{key}”. Fields are: {fields}."), key=key[:40],
                               fields=", ".join(names[0] for names in keys.values()))
        values[field] = value
    return values


EXCHANGE_USAGE = "entraide echange heures=2 avec=UTILISATEUR sens=donne|recu [annonce=N]"


def _number(inv: Invocation, usage: str, field: str = POST_NUMBER) -> int:
    return number_arg(inv, usage, field=field)


def _poster(kind: str) -> Handler:
    async def handler(inv: Invocation) -> Sequence[Message]:
        values = _values(inv, POST_KEYS)
        created = await inv.core.aid.post(inv.actor, inv.place, PostDraft(kind=kind, **values))
        await inv.core.outbox.notify(created.notices)
        return [render.post(created.post)]
    return handler


async def search(inv: Invocation) -> Sequence[Message]:
    values = _values(inv, {"skill": POST_KEYS["skills"], "city": POST_KEYS["city"],
                           "kind": ("type", "sorte")})
    kind = None
    if values.get("kind"):
        kind = {"demande": "request", "demandes": "request", "request": "request",
                "offre": "offer", "offres": "offer", "offer": "offer"}.get(
            values["kind"].casefold())
        if kind is None:
            raise InvalidInput(N_("A post is a request or an offer."))
    return [render.listing(await inv.core.aid.search(
        inv.actor, inv.place, skill=values.get("skill"), city=values.get("city"), kind=kind))]


async def show(inv: Invocation) -> Sequence[Message]:
    return [render.post(await inv.core.aid.show(inv.actor, inv.place,
                                                _number(inv, "entraide voir NUMÉRO")))]


async def can_help(inv: Invocation) -> Sequence[Message]:
    offer = await inv.core.aid.can_help(inv.actor, inv.place,
                                        _number(inv, "entraide aider NUMÉRO"))
    await inv.core.outbox.notify(offer.notices)
    return [render.help_sent(offer.post)]


async def edit(inv: Invocation) -> Sequence[Message]:
    number = _number(inv, "entraide modifier NUMÉRO champ=valeur…")
    values = _values(inv, POST_KEYS)
    return [render.post(await inv.core.aid.edit_post(inv.actor, inv.place, number,
                                                     PostDraft(**values)))]


async def close(inv: Invocation) -> Sequence[Message]:
    return [render.post(await inv.core.aid.close(inv.actor, inv.place,
                                                 _number(inv, "entraide cloturer NUMÉRO")))]


async def profile(inv: Invocation) -> Sequence[Message]:
    values = _values(inv, {"skills": POST_KEYS["skills"], "city": POST_KEYS["city"],
                           "notify": ("notifications", "notify", "alertes")})
    if not values:
        return [render.profile(await inv.core.aid.profile(inv.actor, inv.place))]
    notify = parse_bool("notifications", values["notify"]) if "notify" in values else None
    return [render.profile(await inv.core.aid.set_profile(
        inv.actor, inv.place, skills=values.get("skills"), city=values.get("city"),
        notify=notify))]


async def skills(inv: Invocation) -> Sequence[Message]:
    return [render.skills_list()]


async def record(inv: Invocation) -> Sequence[Message]:
    values = _values(inv, {"hours": ("heures", "hours"), "with": ("avec", "with"),
                           "direction": ("sens", "direction"), "post": ("annonce", "post"),
                           "category": ("type", "kind"), "note": ("note", "commentaire")})
    if not values.get("with") or not values.get("hours"):
        raise InvalidInput(N_("Usage: {usage}"), usage=f"{inv.prefix}{EXCHANGE_USAGE}")
    direction = values.get("direction", "donne").casefold()
    if direction not in ("donne", "donné", "gave", "given", "recu", "reçu", "received"):
        raise InvalidInput(N_("Say whether you gave or received the help: sens=donne or "
                              "sens=recu."))
    post = None
    if values.get("post"):
        post = record_number(values["post"], field=POST_NUMBER,
                             usage=f"{inv.prefix}{EXCHANGE_USAGE}")
    other = Actor(inv.actor.platform, values["with"], values["with"])
    result = await inv.core.aid.record(
        inv.actor, inv.place, other=other, hours=values["hours"],
        gave=direction in ("donne", "donné", "gave", "given"), post=post,
        category=values.get("category"), note=values.get("note"))
    await inv.core.outbox.notify(result.notices)
    return [render.exchange(result.exchange)]


def _answer(accept: bool) -> Handler:
    async def handler(inv: Invocation) -> Sequence[Message]:
        usage = "entraide confirmer NUMÉRO" if accept else "entraide refuser NUMÉRO"
        number = _number(inv, usage, EXCHANGE_NUMBER)
        result = await inv.core.aid.confirm(inv.actor, inv.place, number, accept=accept)
        await inv.core.outbox.notify(result.notices)
        return [render.exchange(result.exchange)]
    return handler


async def balance(inv: Invocation) -> Sequence[Message]:
    return [render.balance(await inv.core.aid.balance(inv.actor, inv.place))]


async def flagged(inv: Invocation) -> Sequence[Message]:
    return [render.flagged(await inv.core.aid.flagged(inv.actor, inv.place))]


def command() -> Command:
    usage_fr = ('type=coaching|echange|conseil competences=… description="…" '
                "[ville=…|distance] [heures=N] [tags=…]")
    usage_en = ('kind=coaching|exchange|advice skills=… description="…" '
                "[city=…|remote] [hours=N] [tags=…]")
    group = Command("entraide", "aid", N_("mutual aid: requests, offers, time bank"),
                    handler=search, aliases=("mutual-aid",))
    group.children = [
        Command("demander", "request", N_("ask for help"), usage_fr=usage_fr,
                usage_en=usage_en, handler=_poster("request")),
        Command("proposer", "offer", N_("offer help"), usage_fr=usage_fr, usage_en=usage_en,
                handler=_poster("offer")),
        Command("chercher", "search", N_("open posts by skill, city or type"),
                usage_fr="[competence=…] [ville=…] [type=demande|offre]",
                usage_en="[skill=…] [city=…] [type=request|offer]", handler=search),
        Command("voir", "show", N_("show a post"), usage_fr="NUMÉRO", usage_en="NUMBER",
                handler=show),
        Command("aider", "help", N_("tell the author you can help"), usage_fr="NUMÉRO",
                usage_en="NUMBER", handler=can_help),
        Command("modifier", "edit", N_("change a post (its author or a moderator)"),
                usage_fr="NUMÉRO [competences=…] [description=\"…\"] [ville=…|distance] "
                         "[heures=N|-] [tags=…|-] [type=…]",
                usage_en="NUMBER [skills=…] [description=\"…\"] [city=…|remote] "
                         "[hours=N|-] [tags=…|-] [kind=…]", handler=edit),
        Command("cloturer", "close", N_("close a post as fulfilled"), usage_fr="NUMÉRO",
                usage_en="NUMBER", handler=close, aliases=("clôturer",)),
        Command("profil", "profile", N_("your skills and notifications"),
                usage_fr="[competences=…] [ville=…] [notifications=oui|non]",
                usage_en="[skills=…] [city=…] [notify=yes|no]", handler=profile),
        Command("competences", "skills", N_("the list of skills"), handler=skills),
        Command("echange", "exchange", N_("record time given or received"),
                usage_fr="heures=2 avec=UTILISATEUR sens=donne|recu [annonce=N] [note=…]",
                usage_en="hours=2 with=USER direction=gave|received [post=N] [note=…]",
                handler=record, aliases=("échange",)),
        Command("confirmer", "confirm", N_("confirm an exchange recorded by the other side"),
                usage_fr="NUMÉRO", usage_en="NUMBER", handler=_answer(True)),
        Command("refuser", "decline", N_("decline an exchange"), usage_fr="NUMÉRO",
                usage_en="NUMBER", handler=_answer(False)),
        Command("solde", "balance", N_("your time-bank balance and history"), handler=balance),
        Command("alertes", "flags", N_("balances beyond the limit"), handler=flagged,
                moderator=True),
    ]
    return group

"""``!scrutin`` and ``!vote`` text commands."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core import voting
from bot.core.errors import InvalidInput
from bot.core.i18n import N_
from bot.core.numbers import parse_whole
from bot.core.render import polls as render
from bot.core.render.message import Message
from bot.core.services.polls import (
    BALLOT_MESSAGES,
    EXAMPLES,
    MAX_OPTIONS,
    PollDraft,
    parse_ballot,
)
from bot.textcmd.registry import Command, Invocation, number_arg, record_number
from bot.textcmd.tribune import parse_bool

MAX_LEVEL = 100  # Matrix power levels
ROLE_LIMIT = 64  # the longest role id a poll keeps
CREATE_KEYS = {
    "title": ("titre", "title"),
    "method": ("methode", "method"),
    "options": ("options", "choix"),
    "proposals": ("revendications", "demands"),
    "closes": ("fin", "cloture", "closes", "end"),
    "opens": ("debut", "ouverture", "opens", "start"),
    "quorum": ("quorum",),
    "eligible": ("eligibles", "votants", "eligible", "voters"),
    "secret": ("secret",),
    "results": ("resultats", "results"),
    "receipts": ("recus", "receipts"),
    "changeable": ("modifiable", "changeable"),
    "max": ("max",),
}


POLL_NUMBER = N_("The poll number")
MAX_CHOICES = MAX_OPTIONS  # no ballot ticks more choices than a poll has options


def _number(inv: Invocation, usage: str) -> int:
    return number_arg(inv, usage, field=POLL_NUMBER)


def _draft(inv: Invocation) -> PollDraft:
    values: dict[str, str] = {}
    for key, value in inv.options.items():
        field = next((f for f, keys in CREATE_KEYS.items() if key in keys), None)
        if field is None:
            raise InvalidInput(N_("Unknown field “{key}”. Fields are: {fields}."), key=key[:40],
                               fields=", ".join(keys[0] for keys in CREATE_KEYS.values()))
        values[field] = value
    proposals = []
    for word in values.get("proposals", "").replace(";", ",").split(","):
        word = word.strip().lstrip("#")
        if not word:
            continue
        proposals.append(record_number(word, field=N_("The demand number")))
    eligibility, role = "everyone", None
    eligible = values.get("eligible", "tous").strip()
    if eligible.casefold() in ("signataires", "signatories"):
        eligibility = "signatories"
    elif eligible.casefold().startswith(("role:", "rôle:", "niveau:", "level:")):
        eligibility = "role"
        kind, _sep, value = eligible.partition(":")
        value = value.strip()
        if kind.casefold() in ("niveau", "level"):
            level = parse_whole(value, field=N_("The power level"), low=0, high=MAX_LEVEL)
            role = f"level:{level}"
        elif not value or len(value) > ROLE_LIMIT:
            raise InvalidInput(N_("Eligibility is everyone, signatories or a role."))
        else:
            role = value
    elif eligible.casefold() not in ("tous", "everyone", "all"):
        raise InvalidInput(N_("Eligibility is everyone, signatories or a role."))
    results = values.get("results", "fin").casefold()
    if results not in ("fin", "end", "direct", "live"):
        raise InvalidInput(N_("Results are shown at the end (fin) or live (direct)."))
    maximum = values.get("max")
    max_choices = None if maximum is None else parse_whole(
        maximum, field=N_("The maximum number of choices"), low=1, high=MAX_CHOICES)
    return PollDraft(
        title=values.get("title"),
        method=values.get("method", "unique"),
        options=tuple(part.strip() for part in values.get("options", "").split(";")
                      if part.strip()),
        proposals=tuple(proposals),
        opens=values.get("opens"),
        closes=values.get("closes"),
        quorum=values.get("quorum"),
        eligibility=eligibility,
        role=role,
        secret=parse_bool("secret", values["secret"]) if "secret" in values else True,
        live_results=results in ("direct", "live"),
        receipts=parse_bool("recus", values["receipts"]) if "receipts" in values else False,
        max_choices=max_choices,
        final=(not parse_bool("modifiable", values["changeable"])
               if "changeable" in values else False),
    )


async def create(inv: Invocation) -> Sequence[Message]:
    if inv.args:
        raise InvalidInput(N_("Write each answer as field=value, for example {example}."),
                           example='titre="…"')
    info = await inv.core.polls.create(inv.actor, inv.place, _draft(inv))
    return [render.poll(info)]


async def listing(inv: Invocation) -> Sequence[Message]:
    return [render.listing(await inv.core.polls.listing(inv.actor, inv.place))]


async def show(inv: Invocation) -> Sequence[Message]:
    number = _number(inv, "scrutin voir NUMÉRO")
    return [render.poll(await inv.core.polls.show(inv.actor, inv.place, number))]


async def results(inv: Invocation) -> Sequence[Message]:
    number = _number(inv, "scrutin resultats NUMÉRO")
    return [render.results(await inv.core.polls.results(inv.actor, inv.place, number))]


async def close(inv: Invocation) -> Sequence[Message]:
    number = _number(inv, "scrutin clore NUMÉRO")
    result, announcements = await inv.core.polls.close(number, actor=inv.actor, place=inv.place)
    await inv.core.outbox.deliver(announcements)
    return [render.results(result)]


async def export(inv: Invocation) -> Sequence[Message]:
    number = _number(inv, "scrutin export NUMÉRO")
    return [render.exported(await inv.core.polls.export(inv.actor, inv.place, number))]


async def vote(inv: Invocation) -> Sequence[Message]:
    number = _number(inv, "vote NUMÉRO CHOIX")
    info = await inv.core.polls.show(inv.actor, inv.place, number)
    text = inv.raw_args.split(None, 1)[1] if len(inv.raw_args.split(None, 1)) > 1 else ""
    if not text.strip():
        raise InvalidInput(N_("Usage: {usage}"),
                           usage=EXAMPLES[info.method].replace("N", str(number)))
    try:
        ballot = parse_ballot(info.method, text)
    except voting.BallotError as exc:
        raise InvalidInput(BALLOT_MESSAGES[exc.reason], value=str(exc.value)[:40],
                           examples=EXAMPLES[info.method].replace("N", str(number))) from None
    return [render.voted(await inv.core.polls.vote(inv.actor, inv.place, number, ballot))]


def commands() -> list[Command]:
    group = Command("scrutin", "poll", N_("polls: list, create, results"), handler=listing,
                    aliases=("scrutins", "polls"))
    group.children = [
        Command("creer", "create", N_("open a poll"),
                usage_fr='titre="…" options="A;B;C" | revendications=1,2 fin="jeudi 18h" '
                         "[methode=unique|approbation|schulze|irv|jugement] [debut=…] "
                         "[quorum=10|25%] [eligibles=tous|signataires|role:ID|niveau:N] "
                         "[secret=oui|non] [resultats=fin|direct] [recus=oui] [modifiable=non] "
                         "[max=N]",
                usage_en='title="…" options="A;B;C" | demands=1,2 closes="thursday 6pm" '
                         "[method=single|approval|schulze|irv|mj] [opens=…] [quorum=10|25%] "
                         "[voters=everyone|signatories|role:ID|level:N] [secret=yes|no] "
                         "[results=end|live] [receipts=yes] [changeable=no] [max=N]",
                handler=create, aliases=("créer",)),
        Command("voir", "show", N_("show a poll"), usage_fr="NUMÉRO", usage_en="NUMBER",
                handler=show),
        Command("resultats", "results", N_("results, or the live count when allowed"),
                usage_fr="NUMÉRO", usage_en="NUMBER", handler=results,
                aliases=("résultats",)),
        Command("clore", "close", N_("close a poll now"), usage_fr="NUMÉRO",
                usage_en="NUMBER", handler=close, moderator=True),
        Command("export", "export", N_("anonymised ballots, for a recount"),
                usage_fr="NUMÉRO", usage_en="NUMBER", handler=export, moderator=True),
    ]
    return [
        group,
        Command("vote", "vote", N_("vote in a poll (again to change your ballot)"),
                usage_fr="NUMÉRO B | A,C | B>A>C | A=bien B=passable | blanc",
                usage_en="NUMBER B | A,C | B>A>C | A=bien B=passable | blank",
                handler=vote, aliases=("voter",)),
    ]

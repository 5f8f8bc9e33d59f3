"""``!rencontre`` text commands."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.errors import InvalidInput
from bot.core.i18n import N_
from bot.core.render import meetups as render
from bot.core.render.message import Message
from bot.core.services.meetups import MEETUP_NUMBER, MeetupDraft, parse_capacity, parse_reminders
from bot.textcmd.registry import Command, Handler, Invocation, number_arg

KEYS = {
    "title": ("titre", "title"),
    "where": ("lieu", "ville", "where", "city"),
    "link": ("lien", "link"),
    "address": ("adresse", "address"),
    "starts": ("debut", "date", "starts", "start", "quand", "when"),
    "ends": ("fin", "ends", "end"),
    "capacity": ("capacite", "places", "capacity"),
    "deadline": ("limite", "inscriptions", "deadline"),
    "description": ("description", "texte", "text"),
    "recurrence": ("recurrence", "repetition", "repeat"),
    "reminders": ("rappels", "reminders"),
}


def _number(inv: Invocation, usage: str) -> int:
    return number_arg(inv, usage, field=MEETUP_NUMBER)


def _draft(inv: Invocation) -> MeetupDraft:
    values: dict[str, str] = {}
    for key, value in inv.options.items():
        field = next((f for f, keys in KEYS.items() if key in keys), None)
        if field is None:
            raise InvalidInput(N_("Unknown field “{key}”. Fields are: {fields}."), key=key[:40],
                               fields=", ".join(keys[0] for keys in KEYS.values()))
        values[field] = value
    capacity = None
    if values.get("capacity"):
        capacity = parse_capacity(values["capacity"])
    reminders = None
    if values.get("reminders"):
        reminders = parse_reminders(values["reminders"])
    return MeetupDraft(
        title=values.get("title"), where=values.get("where"), link=values.get("link"),
        address=values.get("address"), starts=values.get("starts"), ends=values.get("ends"),
        capacity=capacity, deadline=values.get("deadline"),
        description=values.get("description"), recurrence=values.get("recurrence"),
        reminders=reminders,
    )


async def listing(inv: Invocation) -> Sequence[Message]:
    city = inv.options.get("ville") or inv.options.get("city") or (
        " ".join(inv.args) if inv.args else None)
    return [render.listing(await inv.core.meetups.upcoming(inv.actor, inv.place, city))]


async def create(inv: Invocation) -> Sequence[Message]:
    created = await inv.core.meetups.create(inv.actor, inv.place, _draft(inv))
    await inv.core.outbox.deliver(created.announcements)
    return [render.meetup(created.meetup)]


async def edit(inv: Invocation) -> Sequence[Message]:
    number = _number(inv, "rencontre modifier NUMÉRO champ=valeur")
    changed = await inv.core.meetups.edit(inv.actor, inv.place, number, _draft(inv))
    await inv.core.outbox.notify(changed.notices)
    return [render.meetup(changed.meetup)]


async def cancel(inv: Invocation) -> Sequence[Message]:
    number = _number(inv, "rencontre annuler NUMÉRO")
    changed = await inv.core.meetups.cancel(inv.actor, inv.place, number)
    await inv.core.outbox.notify(changed.notices)
    return [render.meetup(changed.meetup)]


async def show(inv: Invocation) -> Sequence[Message]:
    number = _number(inv, "rencontre voir NUMÉRO")
    return [render.meetup(await inv.core.meetups.show(inv.actor, inv.place, number))]


def _answer(answer: str, usage: str) -> Handler:
    async def handler(inv: Invocation) -> Sequence[Message]:
        number = _number(inv, usage)
        result = await inv.core.meetups.rsvp(inv.actor, inv.place, number, answer)
        await inv.core.outbox.notify(result.notices)
        return [render.answered(result)]
    return handler


async def calendar(inv: Invocation) -> Sequence[Message]:
    number = _number(inv, "rencontre calendrier NUMÉRO")
    return [render.calendar(await inv.core.meetups.calendar(inv.actor, inv.place, number))]


async def attendees(inv: Invocation) -> Sequence[Message]:
    number = _number(inv, "rencontre inscrits NUMÉRO")
    return [render.attendees(await inv.core.meetups.attendees(inv.actor, inv.place, number))]


def command() -> Command:
    group = Command("rencontre", "meetup", N_("meetups: upcoming, RSVP, calendar"),
                    handler=listing, aliases=("rencontres", "meetups"))
    group.children = [
        Command("liste", "list", N_("upcoming meetups, by city if given"),
                usage_fr="[ville]", usage_en="[city]", handler=listing),
        Command("creer", "create", N_("create a meetup"),
                usage_fr='titre="…" lieu=Lyon|"en ligne" debut="jeudi 19h30" [fin=…] '
                         "[lien=…] [adresse=…] [capacite=N] [limite=…] [description=…] "
                         "[recurrence=hebdomadaire|mensuelle] [rappels=1440,60]",
                usage_en='title="…" where=Lyon|online starts="thursday 7:30pm" [ends=…] '
                         "[link=…] [address=…] [capacity=N] [deadline=…] [description=…] "
                         "[repeat=weekly|monthly] [reminders=1440,60]",
                handler=create, aliases=("créer",)),
        Command("voir", "show", N_("show a meetup"), usage_fr="NUMÉRO", usage_en="NUMBER",
                handler=show),
        Command("viens", "going", N_("say you are coming"), usage_fr="NUMÉRO",
                usage_en="NUMBER", handler=_answer("going", "rencontre viens NUMÉRO"),
                aliases=("inscrire",)),
        Command("peut-etre", "maybe", N_("say you may come"), usage_fr="NUMÉRO",
                usage_en="NUMBER", handler=_answer("maybe", "rencontre peut-etre NUMÉRO"),
                aliases=("peut-être",)),
        Command("non", "no", N_("say you are not coming (frees your place)"),
                usage_fr="NUMÉRO", usage_en="NUMBER",
                handler=_answer("no", "rencontre non NUMÉRO"), aliases=("desinscrire",)),
        Command("calendrier", "calendar", N_("the meetup as an .ics file"),
                usage_fr="NUMÉRO", usage_en="NUMBER", handler=calendar, aliases=("ics",)),
        Command("inscrits", "attendees", N_("registrations as CSV (organiser)"),
                usage_fr="NUMÉRO", usage_en="NUMBER", handler=attendees),
        Command("modifier", "edit", N_("change a meetup (organiser)"),
                usage_fr="NUMÉRO champ=valeur…", usage_en="NUMBER field=value…", handler=edit),
        Command("annuler", "cancel", N_("cancel a meetup (organiser)"), usage_fr="NUMÉRO",
                usage_en="NUMBER", handler=cancel),
    ]
    return group

"""Messages of meetups."""

from __future__ import annotations

from typing import Any

from bot.core.dates import format_when
from bot.core.i18n import _, ngettext, translate
from bot.core.render.md import escape
from bot.core.render.message import Action, Attachment, Field, Message, Tone, Visibility
from bot.core.services.meetups import Calendar, MeetupInfo, RsvpResult


def _where(info: MeetupInfo) -> str:
    if info.online:
        return _("online") + (f" · {info.link}" if info.link else "")
    parts = [escape(part) for part in (info.address, info.city) if part]
    return ", ".join(parts)


def actions(info: MeetupInfo) -> tuple[Action, ...]:
    if info.status != "scheduled":
        return ()
    return (
        Action(f"meetup:going:{info.id}", _("I'm coming"),
               command=translate("!meetup going {number}", number=info.id), style="success"),
        Action(f"meetup:maybe:{info.id}", _("Maybe"),
               command=translate("!meetup maybe {number}", number=info.id), style="secondary"),
        Action(f"meetup:no:{info.id}", _("Not coming any more"),
               command=translate("!meetup no {number}", number=info.id), style="danger"),
        Action(f"meetup:ics:{info.id}", _("Calendar (.ics)"),
               command=translate("!meetup calendar {number}", number=info.id),
               style="secondary"),
    )


def counts_line(info: MeetupInfo) -> str:
    parts = [ngettext("{count} coming", "{count} coming", info.going).format(count=info.going)]
    if info.maybe:
        parts.append(ngettext("{count} maybe", "{count} maybe", info.maybe).format(
            count=info.maybe))
    if info.capacity is not None:
        parts.append(ngettext("{count} place left", "{count} places left",
                              info.places_left or 0).format(count=info.places_left or 0))
    if info.waitlist:
        parts.append(ngettext("{count} on the waitlist", "{count} on the waitlist",
                              info.waitlist).format(count=info.waitlist))
    return " · ".join(parts)


def meetup(info: MeetupInfo) -> Message:
    lines = []
    if info.status == "cancelled":
        lines.append("**" + _("Cancelled.") + "**")
    if info.description:
        lines.append(escape(info.description))
    lines.append(counts_line(info))
    if info.your_status == "going":
        lines.append(_("You are coming."))
    elif info.your_status == "waitlist":
        lines.append(translate("You are number {position} on the waitlist.",
                               position=info.your_position))
    fields = [
        Field(_("When"), format_when(info.starts_at, info.timezone)),
        Field(_("Where"), _where(info) or "-"),
    ]
    if info.rsvp_deadline:
        fields.append(Field(_("Registrations until"),
                            format_when(info.rsvp_deadline, info.timezone)))
    return Message(title=f"#{info.id} · {escape(info.title)}", lines=tuple(lines),
                   fields=tuple(fields), actions=actions(info))


def announcement(item: Any) -> Message:
    base = meetup(item.meetup)
    return Message(title=_("New meetup") + " · " + base.title, lines=base.lines,
                   fields=base.fields, actions=base.actions)


def answered(result: RsvpResult) -> Message:
    info = result.meetup
    texts = {
        "going": _("See you there! Your place is booked."),
        "maybe": _("Noted as maybe."),
        "no": _("Noted: you are not coming."),
    }
    line = texts.get(result.status) or translate(
        "The meetup is full: you are number {position} on the waitlist. You will be told "
        "privately if a place frees up.", position=result.position)
    return Message(title=f"#{info.id} · {escape(info.title)}",
                   lines=(line, counts_line(info)), tone=Tone.SUCCESS,
                   visibility=Visibility.EPHEMERAL)


def listing(items: tuple[MeetupInfo, ...]) -> Message:
    if not items:
        return Message(title=_("Upcoming meetups"), lines=(_("No meetup planned."),))
    lines = tuple(
        f"- #{i.id} · **{escape(i.title)}** · {format_when(i.starts_at, i.timezone)} · "
        f"{_where(i)} · {counts_line(i)}"
        for i in items
    )
    return Message(title=_("Upcoming meetups"), lines=lines)


def promoted(info: MeetupInfo) -> Message:
    return Message(title=f"#{info.id} · {escape(info.title)}", lines=(
        _("Good news: a place has freed up and it is yours. You are now coming."),
        format_when(info.starts_at, info.timezone)), tone=Tone.SUCCESS)


def reminder(info: MeetupInfo) -> Message:
    return Message(title=_("Reminder") + f" · {escape(info.title)}", lines=(
        translate("The meetup starts {when}.", when=format_when(info.starts_at, info.timezone)),
        _where(info)), actions=actions(info)[2:3])


def changed(info: MeetupInfo) -> Message:
    base = meetup(info)
    return Message(title=_("Meetup changed") + " · " + base.title,
                   lines=(_("The organiser changed this meetup; here it is now."), *base.lines),
                   fields=base.fields)


def cancelled(info: MeetupInfo) -> Message:
    return Message(title=_("Meetup cancelled") + f" · {escape(info.title)}",
                   lines=(translate("The meetup planned {when} is cancelled.",
                                    when=format_when(info.starts_at, info.timezone)),),
                   tone=Tone.WARNING)


def calendar(item: Calendar) -> Message:
    return Message(lines=(_("The meetup for your calendar."),),
                   attachments=(Attachment(item.filename, item.content, "text/calendar"),),
                   visibility=Visibility.EPHEMERAL)


def attendees(item: Calendar) -> Message:
    return Message(lines=(_("The list of registrations, for you only."),),
                   attachments=(Attachment(item.filename, item.content, "text/csv"),),
                   visibility=Visibility.PRIVATE)

"""Messages of mutual aid and the time bank."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from bot.core.dates import format_when
from bot.core.i18n import _, localize, translate
from bot.core.render.md import escape
from bot.core.render.message import Action, Field, Message, Tone, Visibility
from bot.core.services.aid import CATEGORIES, Balance, ExchangeInfo, PostInfo, Profile
from bot.core.skills import SKILLS, skill_label


def _hours(value: Decimal | float) -> str:
    text = f"{Decimal(str(value)).normalize():f}"
    return translate("{hours} h", hours=text)


def _skills(keys: tuple[str, ...]) -> str:
    return ", ".join(skill_label(key) for key in keys)


def post(info: PostInfo, *, edit: bool | None = None) -> Message:
    """A post; an open one offers "I can help" to others on requests, and "Edit" to
    its author (or to everyone with ``edit=True``: the service checks who may)."""
    kind = _("Request") if info.kind == "request" else _("Offer")
    fields = [
        Field(_("Skills"), _skills(info.skills)),
        Field(_("Kind"), localize(CATEGORIES[info.category]), inline=True),
        Field(_("Where"), _("remote") if info.remote else escape(info.city or ""), inline=True),
    ]
    if info.hours:
        fields.append(Field(_("Expected time"), _hours(info.hours), inline=True))
    if info.tags:
        fields.append(Field(_("Tags"), escape(info.tags)))
    actions: list[Action] = []
    if info.status == "open" and info.kind == "request" and not info.mine:
        actions.append(Action(f"aid:help:{info.id}", _("I can help"),
                              command=translate("!aid help {number}", number=info.id),
                              style="success"))
    if info.status == "open" and (info.mine if edit is None else edit):
        actions.append(Action(f"aid:edit:{info.id}", _("Edit"),
                              command=translate("!aid edit {number}", number=info.id),
                              style="secondary"))
    lines = [escape(info.description)]
    if info.status != "open":
        lines.insert(0, "**" + _("Closed.") + "**")
    return Message(title=f"#{info.id} · {kind} · {escape(info.author)}", lines=tuple(lines),
                   fields=tuple(fields), actions=tuple(actions),
                   footer=translate("Open until {when}",
                                    when=format_when(info.expires_at, info.timezone))
                   if info.status == "open" else "")


def listing(items: tuple[PostInfo, ...]) -> Message:
    if not items:
        return Message(title=_("Mutual aid"), lines=(_("No open post matches."),))
    lines = tuple(
        f"- #{i.id} · {_('Request') if i.kind == 'request' else _('Offer')} · "
        f"{_skills(i.skills)} · {_('remote') if i.remote else escape(i.city or '')} · "
        f"{escape(i.description[:80])}"
        for i in items)
    return Message(title=_("Mutual aid"), lines=lines)


def profile(item: Profile) -> Message:
    return Message(title=_("Your skills"), lines=(
        _skills(item.skills) or _("No skill declared yet."),
        _("You are told of matching requests.") if item.notify
        else _("You are not told of matching requests."),
    ), visibility=Visibility.EPHEMERAL)


def skills_list() -> Message:
    return Message(title=_("Skills"), lines=(", ".join(skill_label(k) for k in SKILLS),))


def match(info: PostInfo) -> Message:
    # Sent to someone who may help, never to the author: "I can help" always shows.
    base = post(dataclasses.replace(info, mine=False))
    return Message(title=_("A request matches your skills") + " · " + base.title,
                   lines=base.lines, fields=base.fields, actions=base.actions,
                   footer=_("To stop these messages: !aid profile notify=no"))


def help_offered(data: dict[str, Any]) -> Message:
    info: PostInfo = data["post"]
    return Message(title=f"#{info.id}", lines=(
        translate("{name} can help with your request. Reply to them directly "
                  "({platform}: {user}).", name=escape(data["helper"]),
                  platform=data["platform"], user=escape(data["user_id"])),), tone=Tone.SUCCESS)


def help_sent(info: PostInfo) -> Message:
    return Message(lines=(_("The author has been told, with how to reach you."),),
                   tone=Tone.SUCCESS, visibility=Visibility.EPHEMERAL)


def exchange(info: ExchangeInfo) -> Message:
    status = {"pending": _("waiting for confirmation"), "confirmed": _("confirmed"),
              "declined": _("declined")}[info.status]
    lines = [translate("{giver} → {receiver}: {hours}", giver=escape(info.giver),
                       receiver=escape(info.receiver), hours=_hours(info.hours)),
             translate("Status: {status}.", status=status)]
    actions = ()
    if info.yours_to_confirm:
        actions = (
            Action(f"aid:confirm:{info.id}", _("Confirm"),
                   command=translate("!aid confirm {number}", number=info.id), style="success"),
            Action(f"aid:decline:{info.id}", _("Decline"),
                   command=translate("!aid decline {number}", number=info.id), style="danger"),
        )
    return Message(title=translate("Exchange {number}", number=info.id), lines=tuple(lines),
                   actions=actions, visibility=Visibility.EPHEMERAL)


def to_confirm(info: ExchangeInfo) -> Message:
    base = exchange(info)
    return Message(title=base.title, lines=(
        _("An exchange with you was recorded. It counts once you confirm it."), *base.lines),
        actions=base.actions)


def balance(item: Balance) -> Message:
    lines = [translate("Balance: {hours}", hours=_hours(item.hours)),
             translate("Given: {given} · received: {received}", given=_hours(item.given),
                       received=_hours(item.received))]
    if item.pending:
        lines.append(_("Waiting for confirmation:"))
        lines += [f"- #{e.id} · {escape(e.giver)} → {escape(e.receiver)} · {_hours(e.hours)}"
                  for e in item.pending]
    if item.history:
        lines.append(_("History:"))
        lines += [f"- #{e.id} · {escape(e.giver)} → {escape(e.receiver)} · {_hours(e.hours)}"
                  for e in item.history]
    return Message(title=_("Your time bank"), lines=tuple(lines),
                   visibility=Visibility.EPHEMERAL)


def flagged(items: tuple[tuple[str, Decimal], ...]) -> Message:
    lines = tuple(f"- {escape(name)} · {_hours(total)}" for name, total in items) or (
        _("No balance is beyond the limit."),)
    return Message(title=_("Balances beyond the limit"), lines=lines,
                   visibility=Visibility.EPHEMERAL)


def expiring(info: PostInfo) -> Message:
    return Message(title=f"#{info.id}", lines=(translate(
        "Your post closes {when}. Post it again if you still need it.",
        when=format_when(info.expires_at, info.timezone)),))


def expired(info: PostInfo) -> Message:
    return Message(title=f"#{info.id}", lines=(_("Your post has expired and is now closed."),))


def digest(item: Any) -> Message:
    lines = []
    if item.requests:
        lines.append("**" + _("Open requests") + "**")
        lines += [f"- #{i.id} · {_skills(i.skills)} · {escape(i.description[:80])}"
                  for i in item.requests]
    if item.offers:
        lines.append("**" + _("New offers") + "**")
        lines += [f"- #{i.id} · {_skills(i.skills)} · {escape(i.description[:80])}"
                  for i in item.offers]
    return Message(title=_("Mutual aid this week"), lines=tuple(lines))

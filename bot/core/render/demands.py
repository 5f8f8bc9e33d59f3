"""Messages of the demands workflow."""

from __future__ import annotations

from bot.core.i18n import _, localize, ngettext, translate
from bot.core.render.md import escape
from bot.core.render.message import Action, Field, Message, Tone, Visibility
from bot.core.services.demands import (
    STATUSES,
    THEMES,
    Adopted,
    DemandInfo,
    DemandPage,
    ProposeResult,
)

BODY_PREVIEW = 300


def support_action(info: DemandInfo) -> Action:
    if info.supported_by_you:
        return Action(f"demand:unsupport:{info.id}", _("Remove my support"),
                      command=translate("!demand unsupport {number}", number=info.id),
                      style="secondary")
    return Action(f"demand:support:{info.id}", _("Support"),
                  command=translate("!demand support {number}", number=info.id),
                  style="success")


def supports_line(count: int) -> str:
    return ngettext("{count} support", "{count} supports", count).format(count=count)


def demand(info: DemandInfo, *, full: bool = True) -> Message:
    body = info.body if full or len(info.body) <= BODY_PREVIEW else \
        info.body[:BODY_PREVIEW].rstrip() + "…"
    fields = [
        Field(_("Theme"), localize(THEMES[info.theme]), inline=True),
        Field(_("Status"), localize(STATUSES[info.status]), inline=True),
        Field(_("Supports"), str(info.supports), inline=True),
    ]
    if info.reason:
        fields.append(Field(_("Reason"), escape(info.reason)))
    if info.merged_into:
        fields.append(Field(_("Merged into"), f"#{info.merged_into}"))
    live = info.status in ("open", "retained")
    return Message(
        title=f"#{info.id} · {escape(info.title)}",
        lines=(escape(body),),
        fields=tuple(fields),
        actions=(support_action(info),) if live else (),
    )


def proposed(result: ProposeResult) -> Message:
    if result.created is not None:
        base = demand(result.created)
        return Message(
            title=base.title,
            lines=(_("Your demand has been recorded, with your support."), *base.lines),
            fields=base.fields, actions=base.actions, tone=Tone.SUCCESS,
        )
    lines = [_("Similar demands are already open. Support one of them rather than "
               "splitting the support:")]
    for item in result.similar:
        lines.append(f"- #{item.demand.id} · **{escape(item.demand.title)}** · "
                     f"{supports_line(item.demand.supports)}")
    lines.append(_("To propose yours anyway, send the same command with force=oui."))
    return Message(
        title=_("Similar demands"),
        lines=tuple(lines),
        actions=tuple(support_action(item.demand) for item in result.similar),
        visibility=Visibility.EPHEMERAL,
    )


def supported(info: DemandInfo) -> Message:
    line = (_("Your support is counted.") if info.supported_by_you
            else _("Your support has been removed."))
    return Message(lines=(f"#{info.id} · {escape(info.title)}", line,
                          supports_line(info.supports)),
                   tone=Tone.SUCCESS, visibility=Visibility.EPHEMERAL)


def listing(page: DemandPage) -> Message:
    if not page.items:
        return Message(title=_("Demands"), lines=(_("No demand matches."),))
    lines = tuple(
        f"- #{item.id} · **{escape(item.title)}** · {localize(THEMES[item.theme])} · "
        f"{localize(STATUSES[item.status])} · {supports_line(item.supports)}"
        for item in page.items
    )
    footer = translate("Page {page}/{pages}", page=page.page, pages=page.pages)
    return Message(title=_("Demands"), lines=lines, footer=footer)


def charter(items: tuple[Adopted, ...]) -> Message:
    if not items:
        return Message(title=_("Charter of demands"),
                       lines=(_("No demand has been adopted by a vote yet."),))
    lines = []
    for item in items:
        info = item.demand
        when = info.decided_at.strftime("%d/%m/%Y") if info.decided_at else ""
        poll = translate(" (poll {number})", number=item.poll_id) if item.poll_id else ""
        lines.append(f"- #{info.id} · **{escape(info.title)}** · "
                     f"{localize(THEMES[info.theme])} · {when}{poll}")
    return Message(title=_("Charter of demands"), lines=tuple(lines))


def decided(info: DemandInfo) -> Message:
    base = demand(info)
    return Message(title=base.title, lines=base.lines, fields=base.fields, tone=Tone.SUCCESS)

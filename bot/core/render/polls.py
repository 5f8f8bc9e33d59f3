"""Messages of polls: the poll, a confirmed ballot, results."""

from __future__ import annotations

from typing import Any

from bot.core import charts
from bot.core.dates import format_when
from bot.core.i18n import N_, _, localize, ngettext, translate
from bot.core.render.md import escape
from bot.core.render.message import Action, Attachment, Field, Message, Tone, Visibility
from bot.core.services.polls import EXAMPLES, METHODS, PollExport, PollInfo, PollResult, VoteResult

GRADES = {
    "excellent": N_("Excellent"), "tres_bien": N_("Very good"), "bien": N_("Good"),
    "assez_bien": N_("Fairly good"), "passable": N_("Passable"),
    "insuffisant": N_("Insufficient"), "a_rejeter": N_("Reject"),
}


def grade_label(grade: str) -> str:
    """A majority-judgment grade in the current language."""
    return localize(GRADES[grade]) if grade in GRADES else grade


def _label(info: PollInfo, key: str) -> str:
    for option in info.options:
        if option.key == key:
            return f"{key}. {escape(option.label)}"
    return key


def poll(info: PollInfo) -> Message:
    options = [f"**{o.key}.** {escape(o.label)}" for o in info.options]
    lines = [*options, ""]
    when = format_when(info.closes_at, info.timezone)
    if info.status == "scheduled":
        lines.append(translate("Opens {when}.", when=format_when(info.opens_at, info.timezone)))
    if info.status in ("open", "scheduled"):
        lines.append(translate("Closes {when}.", when=when))
        lines.append(translate("To vote: {example}",
                               example=EXAMPLES[info.method].replace("N", str(info.id))))
    else:
        lines.append(translate("Closed {when}.", when=when))
    fields = [
        Field(_("Method"), localize(METHODS[info.method]), inline=True),
        Field(_("Ballot"), _ballot_kind(info), inline=True),
        Field(_("Ballots"), str(info.ballots), inline=True),
    ]
    actions = []
    if info.status == "open":
        actions.append(Action(f"poll:vote:{info.id}", _("Vote"),
                              command=EXAMPLES[info.method].replace("N", str(info.id))))
    if info.voted:
        lines.append(_("You have voted. Ballots in this poll are final.") if info.final
                     else _("You have voted; you may change your ballot until closing."))
    return Message(title=translate("Poll {number}: {title}", number=info.id,
                                   title=escape(info.title)),
                   lines=tuple(lines), fields=tuple(fields), actions=tuple(actions))


def listing(polls: tuple[PollInfo, ...]) -> Message:
    if not polls:
        return Message(title=_("Polls"), lines=(_("No poll yet."),))
    lines = tuple(
        f"- #{p.id} · **{escape(p.title)}** · {localize(METHODS[p.method])} · "
        + (translate("closes {when}", when=format_when(p.closes_at, p.timezone))
           if p.status != "closed" else _("closed"))
        for p in polls
    )
    return Message(title=_("Polls"), lines=lines)


def voted(result: VoteResult) -> Message:
    lines = [_("Your ballot has been replaced: only the latest counts.") if result.replaced
             else _("Your ballot has been recorded.")]
    if result.poll.final:
        lines.append(_("Ballots in this poll are final: yours is stored with nothing that "
                       "leads back to you, and it cannot be changed."))
    if result.receipt:
        lines.append(translate(
            "Your receipt: **{receipt}**. It will appear next to your ballot in the published "
            "list, so you can check it was counted. Keep it to yourself.",
            receipt=result.receipt))
    return Message(title=translate("Poll {number}: {title}", number=result.poll.id,
                                   title=escape(result.poll.title)),
                   lines=tuple(lines), tone=Tone.SUCCESS, visibility=Visibility.PRIVATE)


def _figure(info: PollInfo, value: str) -> str:
    if info.method == "majority_judgment":
        return grade_label(value)
    if info.method == "schulze":
        return ngettext("{count} win", "{count} wins", int(value)).format(count=value)
    return ngettext("{count} vote", "{count} votes", int(value)).format(count=value)


def results(result: PollResult) -> Message:
    info = result.poll
    lines: list[str] = []
    if not result.ballots:
        lines.append(_("No ballot was cast."))
    elif not result.quorum_reached:
        lines.append(_("The quorum was not reached: the poll decides nothing."))
    if result.winners and result.ballots:
        names = ", ".join(_label(info, key) for key in result.winners)
        head = (_("Winner: {names}") if len(result.winners) == 1
                else _("Tie between: {names}"))
        lines.append("**" + head.format(names=names) + "**")
    for place, group in enumerate(result.ranking, start=1):
        for key in group:
            lines.append(f"{place}. {_label(info, key)} · "
                         f"{_figure(info, result.figures.get(key, '0'))}")
    fields = [
        Field(_("Ballots"), str(result.ballots), inline=True),
        Field(_("Blank"), str(result.blank), inline=True),
    ]
    if result.turnout is not None:
        fields.append(Field(_("Turnout"), f"{result.turnout:.0%}", inline=True))
    if len(result.by_collective) > 1:
        fields.append(Field(_("By collective"), ", ".join(
            f"{escape(name)} ({count})" for name, count in result.by_collective)))
    title = (_("Result of poll {number}: {title}") if result.final
             else _("Provisional count of poll {number}: {title}"))
    attachments = (chart(result),) if result.ballots else ()
    return Message(title=title.format(number=info.id, title=escape(info.title)),
                   lines=tuple(lines), fields=tuple(fields), attachments=attachments,
                   tone=Tone.SUCCESS if result.final else Tone.INFO)


def chart(result: PollResult) -> Attachment:
    """A PNG of the figures: bars, or grade profiles for majority judgment."""
    info = result.poll
    labels = [f"{o.key}. {o.label}" for o in info.options]
    keys = [o.key for o in info.options]
    if info.method == "majority_judgment" and "profiles" in result.detail:
        png = charts.grades(info.title, labels,
                            [result.detail["profiles"][key] for key in keys],
                            [grade_label(grade) for grade in charts.GRADE_ORDER])
    else:
        unit = _("wins") if info.method == "schulze" else _("votes")
        png = charts.bars(info.title, labels,
                          [float(result.figures.get(key, "0")) for key in keys], unit)
    return Attachment(f"scrutin-{info.id}.png", png, "image/png")


def result_announcement(item: Any) -> Message:
    return results(item.result)


def exported(export: PollExport) -> Message:
    return Message(
        title=_("Poll export"),
        lines=(ngettext("{count} anonymised ballot.", "{count} anonymised ballots.",
                        export.ballots).format(count=export.ballots),
               _("Anyone can recount it with: python -m bot recount FILE")),
        attachments=(Attachment(export.filename, export.content, "application/json"),),
        visibility=Visibility.PRIVATE,
    )


def _ballot_kind(info: PollInfo) -> str:
    kind = _("secret") if info.secret else _("public")
    return _("{kind}, final").format(kind=kind) if info.final else kind

"""Messages of the rights FAQ (``!droits``)."""

from __future__ import annotations

from typing import Any

from bot.core.i18n import N_, _, localize, ngettext, translate
from bot.core.render.md import escape
from bot.core.render.message import Action, Field, Message, Tone, Visibility
from bot.core.services.faq import (
    EntryInfo,
    EntryLine,
    FeedbackResult,
    ImportResult,
    QueueItem,
    QueuePage,
    SearchResult,
    StaleEntry,
    StatsReport,
)

QUESTION_PREVIEW = 200
REASONS = {"no_match": N_("no good answer"), "unhelpful": N_("marked not useful")}


def _date(value: Any) -> str:
    return value.strftime("%d/%m/%Y")


def feedback_actions(slug: str) -> tuple[Action, ...]:
    return (
        Action(f"faq:useful:{slug}", _("Useful"),
               command=translate("!rights useful {id}", id=slug), style="success"),
        Action(f"faq:useless:{slug}", _("Not useful"),
               command=translate("!rights useless {id}", id=slug), style="secondary"),
    )


def _sources(info: EntryInfo) -> str:
    return "\n".join(f"- [{escape(s.name)}]({s.url})" for s in info.sources)


def entry(info: EntryInfo, *, lead: tuple[str, ...] = (),
          alternatives: tuple[EntryLine, ...] = ()) -> Message:
    """An entry: its answer (the corpus's own Markdown), sources and review date."""
    fields = [Field(_("Sources"), _sources(info))]
    if alternatives:
        fields.append(Field(_("Other answers"), "\n".join(
            f"- **{escape(a.title)}** · "
            + translate("!rights show {id}", id=a.slug) for a in alternatives)))
    if info.status != "active":
        fields.append(Field(_("Status"), _("retired")))
    footer = translate("Entry {id} · reviewed on {date}", id=info.slug,
                       date=_date(info.reviewed_on))
    return Message(
        title=escape(info.title),
        lines=(*lead, info.answer),
        fields=tuple(fields),
        actions=feedback_actions(info.slug) if info.status == "active" else (),
        footer=footer,
    )


def answer(result: SearchResult) -> Message:
    if result.empty:
        return intro(result.suggestion)
    lead: list[str] = []
    if result.suggestion:
        lead.append(translate("Did you mean “{suggestion}”? Answers for it:",
                              suggestion=escape(result.suggestion)))
    if result.best is None:
        lines = [*lead, _("No entry answers this question yet.")]
        if result.queued:
            lines.append(_("It has been passed on, without your name, to the moderators so "
                           "they can add an answer."))
        return Message(title=_("Rights FAQ"), lines=tuple(lines), tone=Tone.WARNING)
    if not result.confident:
        lead.append(_("This is the closest entry, but it may not answer your question."))
        if result.queued:
            lead.append(_("Your question has been passed on, without your name, to the "
                          "moderators."))
    message = entry(result.best, lead=tuple(lead), alternatives=result.alternatives)
    if not result.confident:
        return Message(title=message.title, lines=message.lines, fields=message.fields,
                       actions=message.actions, footer=message.footer, tone=Tone.WARNING)
    return message


def intro(suggestion: str | None = None) -> Message:
    lines = [
        _("Ask your question after the command, in French or English, for example:"),
        "- " + translate("!rights {question}", question="congé maternité indépendante"),
        "- " + translate("!rights {question}", question="how do I get sick pay as a freelancer?"),
        _("Topics: statuses, social contributions, VAT and CFE, health, parenthood, "
          "accidents, retirement, training, unemployment, platforms, housing and credit."),
    ]
    return Message(title=_("Rights FAQ"), lines=tuple(lines))


def passive(result: SearchResult) -> Message:
    """A discreet suggestion under a member's message that looks like a rights question."""
    assert result.best is not None
    info = result.best
    return Message(
        lines=(translate("This may help: **{title}**", title=escape(info.title)),),
        actions=(Action(f"faq:show:{info.slug}", _("Read the answer"),
                        command=translate("!rights show {id}", id=info.slug),
                        style="secondary"),),
    )


def passive_changed(enabled: bool) -> Message:
    if enabled:
        line = _("Passive help is on in this channel: a message that looks like a rights "
                 "question gets one suggestion, at most once per member per hour.")
    else:
        line = _("Passive help is off in this channel.")
    return Message(lines=(line,), tone=Tone.SUCCESS)


def feedback(result: FeedbackResult) -> Message:
    lines = [_("Thank you, your opinion is recorded.")]
    if result.queued:
        lines.append(_("Your question has been passed on, without your name, to the "
                       "moderators so they can improve the answer."))
    lines.append(translate("{title}: useful {useful}, not useful {useless}",
                           title=escape(result.entry.title), useful=result.useful_count,
                           useless=result.useless_count))
    return Message(lines=tuple(lines), tone=Tone.SUCCESS, visibility=Visibility.EPHEMERAL)


def changed(info: EntryInfo, what: str) -> Message:
    """After a moderator's change: what happened, then the entry as it now reads."""
    base = entry(info)
    lines = (what, *base.lines)
    fields = list(base.fields)
    if info.aliases:
        fields.append(Field(_("Aliases"), ", ".join(f"“{escape(a)}”" for a in info.aliases)))
    if info.questions:
        fields.append(Field(_("Questions"), "\n".join(f"- {escape(q)}" for q in info.questions)))
    return Message(title=base.title, lines=lines, fields=tuple(fields), footer=base.footer,
                   tone=Tone.SUCCESS)


def aliases(info: EntryInfo) -> Message:
    if not info.aliases:
        lines = (_("This entry has no alias yet."),)
    else:
        lines = tuple(f"- “{escape(a)}”" for a in info.aliases)
    return Message(title=translate("Aliases of {id}", id=info.slug), lines=lines,
                   visibility=Visibility.EPHEMERAL)


def _queue_line(item: QueueItem) -> str:
    text = item.text if len(item.text) <= QUESTION_PREVIEW else \
        item.text[:QUESTION_PREVIEW].rstrip() + "…"
    times = ngettext("asked {count} time", "asked {count} times", item.count).format(
        count=item.count)
    reason = localize(REASONS.get(item.reason, item.reason))
    line = f"- **#{item.id}** “{escape(text)}” · {times} · {reason}"
    if item.entry is not None:
        line += f" ({item.entry.slug})"
    return line


def queue(page: QueuePage) -> Message:
    if not page.items:
        return Message(title=_("Unanswered questions"),
                       lines=(_("No question is waiting."),), visibility=Visibility.EPHEMERAL)
    lines = [_queue_line(item) for item in page.items]
    lines.append(_("Turn one into an alias of an entry with {example}, or close it with "
                   "{dismiss}.").format(example="`!droits alias ID question=N`",
                                        dismiss="`!droits classer N`"))
    footer = translate("Page {page}/{pages}", page=page.page, pages=page.pages)
    return Message(title=_("Unanswered questions"), lines=tuple(lines), footer=footer,
                   visibility=Visibility.EPHEMERAL)


def dismissed(item: QueueItem) -> Message:
    return Message(lines=(translate("Question #{number} is closed.", number=item.id),),
                   tone=Tone.SUCCESS, visibility=Visibility.EPHEMERAL)


def stale(entries: tuple[StaleEntry, ...], age_days: int) -> Message:
    title = _("Entries to review")
    if not entries:
        return Message(title=title, lines=(
            translate("Every entry was reviewed in the last {days} days.", days=age_days),),
            visibility=Visibility.EPHEMERAL)
    lines = [f"- **{escape(e.title)}** ({e.slug}) · "
             + translate("reviewed on {date}", date=_date(e.reviewed_on)) for e in entries]
    lines.append(_("Once checked, mark an entry reviewed with {example}.").format(
        example="`!droits modifier ID revu=oui`"))
    return Message(title=title, lines=tuple(lines), visibility=Visibility.EPHEMERAL)


def review_reminder(item: Any) -> Message:
    """The monthly reminder posted in the FAQ channel of each collective."""
    base = stale(item.entries, item.age_days)
    return Message(title=_("Rights FAQ: entries to review"), lines=(
        ngettext("{count} entry was last reviewed more than {days} days ago:",
                 "{count} entries were last reviewed more than {days} days ago:",
                 len(item.entries)).format(count=len(item.entries), days=item.age_days),
        *base.lines))


def imported(result: ImportResult) -> Message:
    lines = [translate(
        "Corpus imported: {created} new, {updated} updated, {unchanged} unchanged, "
        "{retired} retired.", created=result.created, updated=result.updated,
        unchanged=result.unchanged, retired=result.retired)]
    if result.kept:
        lines.append(ngettext(
            "{count} entry changed by moderators was kept as it is.",
            "{count} entries changed by moderators were kept as they are.",
            result.kept).format(count=result.kept))
    if result.problems:
        lines.append(_("Files not imported:"))
        lines += [f"- {escape(p)}" for p in result.problems[:20]]
    tone = Tone.WARNING if result.problems else Tone.SUCCESS
    return Message(lines=tuple(lines), tone=tone, visibility=Visibility.EPHEMERAL)


def stats(report: StatsReport) -> Message:
    lines = [f"- **{escape(e.title)}** ({e.slug}) · "
             + translate("answers: {hits}, opened: {views}, useful: {useful}, "
                         "not useful: {useless}", hits=e.hits, views=e.views,
                         useful=e.useful, useless=e.useless)
             for e in report.entries]
    fields = (
        Field(_("Entries"), translate("{active} active, {retired} retired",
                                      active=report.active, retired=report.retired),
              inline=True),
        Field(_("Unanswered questions"), translate(
            "waiting: {open}, times asked: {asks}", open=report.open_questions,
            asks=report.unanswered_asks), inline=True),
    )
    return Message(title=_("Rights FAQ: use"), lines=tuple(lines) or (_("No use yet."),),
                   fields=fields, visibility=Visibility.EPHEMERAL)

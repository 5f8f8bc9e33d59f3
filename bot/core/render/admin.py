"""Messages of federation, identity, configuration, audit and privacy commands."""

from __future__ import annotations

from datetime import datetime

from bot.core.i18n import N_, _, localize, translate
from bot.core.render import my_data
from bot.core.render.md import escape
from bot.core.render.message import Attachment, Field, Message, Tone, Visibility
from bot.core.services.audit import AuditPage
from bot.core.services.configuration import AssistantStep, Changed, Summary
from bot.core.services.federation import CodeInfo, FederationInfo, ScopeChange
from bot.core.services.identity import Identities, IdentityCode
from bot.core.services.privacy import DataExport, ForgetResult
from bot.core.workflows import WORKFLOWS

PLATFORMS = {"discord": "Discord", "matrix": "Matrix", "console": "console"}


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def federation(info: FederationInfo) -> Message:
    if not info.shared:
        return Message(
            title=_("Federation"),
            lines=(
                _("This collective does not belong to a federation yet."),
                _("Create one with !federation create NAME, or join one with "
                  "!federation join CODE (a code given by a federation moderator)."),
            ),
        )
    lines = []
    for item in info.collectives:
        mark = " ← " + _("here") if item.here else ""
        local = ""
        if item.local_workflows:
            local = " · " + translate(
                "kept local: {workflows}",
                workflows=", ".join(localize(WORKFLOWS[w]) for w in item.local_workflows),
            )
        lines.append(
            f"{item.number}. {escape(item.name)} ({PLATFORMS.get(item.platform, item.platform)})"
            f"{local}{mark}"
        )
    footer = _("You moderate this federation.") if info.you_moderate else ""
    return Message(title=translate("Federation {name}", name=escape(info.name)),
                   lines=tuple(lines), footer=footer)


def federation_changed(info: FederationInfo, action: str) -> Message:
    heads = {
        "create": _("The federation has been created. Invite other collectives with "
                    "!federation code."),
        "join": _("This collective has joined the federation."),
        "leave": _("This collective has left the federation."),
        "remove": _("The collective has been removed from the federation."),
        "moderator": _("The federation has a new moderator."),
    }
    base = federation(info)
    return Message(title=base.title, lines=(heads[action], *base.lines), tone=Tone.SUCCESS)


def federation_code(info: CodeInfo) -> Message:
    return Message(
        title=_("Federation code"),
        lines=(
            translate("Code for joining {name}: **{code}**", name=escape(info.federation),
                      code=info.code),
            translate(
                "Give it to a moderator of the other collective. It works once, until {when}. "
                "They send: !federation join {code}",
                when=_when(info.expires_at), code=info.code,
            ),
        ),
        visibility=Visibility.PRIVATE,
    )


def scope_changed(change: ScopeChange) -> Message:
    label = localize(WORKFLOWS[change.workflow])
    line = (
        translate("The {workflow} workflow is shared with the federation.", workflow=label)
        if change.shared else
        translate("The {workflow} workflow is kept in this collective.", workflow=label)
    )
    return Message(title=_("Federation"), lines=(line,), tone=Tone.SUCCESS,
                   visibility=Visibility.EPHEMERAL)


def identity_code(info: IdentityCode) -> Message:
    return Message(
        title=_("Link your accounts"),
        lines=(
            translate("Your code: **{code}**", code=info.code),
            translate(
                "From your account on the other platform, send !link {code} within "
                "{minutes} minutes. The code works once.",
                code=info.code, minutes=info.minutes,
            ),
        ),
        visibility=Visibility.PRIVATE,
    )


def identities(items: Identities, head: str = "") -> Message:
    lines = [head] if head else []
    for item in items.items:
        current = " ← " + _("this account") if item.current else ""
        lines.append(f"- {PLATFORMS.get(item.platform, item.platform)}: "
                     f"{escape(item.display_name or item.user_id)}{current}")
    if len(items.items) < 2:
        lines.append(_("This account is not linked to another one. Send !link to get a code."))
    return Message(title=_("Your linked accounts"), lines=tuple(lines),
                   visibility=Visibility.EPHEMERAL)


def linked(items: Identities) -> Message:
    return identities(items, _("Your accounts are now linked: you count as one person."))


def unlinked(items: Identities) -> Message:
    return identities(items, _("This account is no longer linked."))


def _channel(value: str | None) -> str:
    return f"#{escape(value)}" if value else _("not set")


def summary(item: Summary) -> Message:
    profile = item.profile
    fields = [
        Field(_("Language"), profile.locale, inline=True),
        Field(_("Time zone"), profile.timezone, inline=True),
        Field(_("Federation"), escape(item.federation) if item.federation else _("none"),
              inline=True),
    ]
    if item.platform == "discord":
        fields.append(Field(_("Moderators"), f"<@&{profile.moderator_role_id}>"
                            if profile.moderator_role_id else _("Manage Server permission")))
        fields.append(Field(_("Organisers"), f"<@&{profile.organiser_role_id}>"
                            if profile.organiser_role_id else _("moderators only")))
    else:
        fields.append(Field(_("Moderators"), translate(
            "power level {level} or more", level=profile.moderator_power_level
        ) if profile.moderator_power_level is not None else _("default power level")))
        fields.append(Field(_("Organisers"), translate(
            "power level {level} or more", level=profile.organiser_power_level
        ) if profile.organiser_power_level is not None else _("moderators only")))
    lines = [
        f"- {localize(WORKFLOWS[w.workflow])}: {_channel(w.channel_id)} · "
        + (_("shared") if w.shared else _("local"))
        for w in item.workflows
    ]
    retention = (translate("{days} days", days=item.retention_days)
                 if item.retention_days else _("kept until erased"))
    fields.append(Field(_("Data of departed members"), retention))
    return Message(title=translate("Configuration of {name}", name=escape(item.name)),
                   lines=tuple(lines), fields=tuple(fields), visibility=Visibility.EPHEMERAL)


def changed(item: Changed) -> Message:
    value = item.value if item.value is not None else _("off")
    return Message(
        lines=(translate("Saved: {setting} = {value}.", setting=item.setting,
                         value=escape(value)),),
        tone=Tone.SUCCESS, visibility=Visibility.EPHEMERAL,
    )


ASSISTANT_TEXT = {
    "locale": (
        N_("Language"),
        N_("Which language should the bot speak here? Send !config language fr or "
        "!config language en."),
    ),
    "timezone": (
        N_("Time zone"),
        N_("Meetups and poll deadlines use this time zone. Send !config timezone Europe/Paris "
        "(or another zone name)."),
    ),
    "channels": (
        N_("Channels"),
        N_("Where should each workflow post? In the right channel, send !config channel "
        "tribune here (likewise demands, meetups, aid, faq)."),
    ),
    "moderators": (
        N_("Moderators"),
        N_("Who moderates the bot here? On Discord choose a role with /config moderators; on "
        "Matrix send !config moderators 50 (a power level)."),
    ),
    "organisers": (
        N_("Organisers"),
        N_("Who else may create meetups and polls? Send !config organisers 0 for everyone, a "
        "higher power level or a role, or off for moderators only."),
    ),
    "federation": (
        N_("Federation"),
        N_("Join the union's federation with !federation join CODE, or create one with "
        "!federation create NAME. You can also do it later."),
    ),
}


def assistant(step: AssistantStep) -> Message:
    if step.finished:
        base = summary(step.summary)
        return Message(
            title=_("Setup finished"),
            lines=(_("The bot is set up. Here is the configuration; change any of it with "
                     "!config."), *base.lines),
            fields=base.fields, tone=Tone.SUCCESS, visibility=Visibility.EPHEMERAL,
        )
    title, text = ASSISTANT_TEXT[step.key]
    return Message(
        title=translate("Setup {index}/{total}: {title}", index=step.index, total=step.total,
                        title=_(title)),
        lines=(_(text), _("When this step is done, send !config setup next.")),
        visibility=Visibility.EPHEMERAL,
    )


def welcome() -> Message:
    return Message(
        title=_("Hello!"),
        lines=(
            _("I am the bot of the federation of independent workers' collectives: tribune, "
              "demands and polls, meetups, mutual aid and rights FAQ."),
            _("Moderators: start with !config setup to choose the language, channels and "
              "roles. Everyone: !help lists the commands."),
        ),
    )


def audit_log(page: AuditPage) -> Message:
    if not page.items:
        return Message(title=_("Moderation log"), lines=(_("Nothing recorded yet."),),
                       visibility=Visibility.EPHEMERAL)
    lines = tuple(
        f"- {_when(item.at)} · {escape(item.actor)} · {item.action}"
        + (f" · {escape(item.detail)}" if item.detail else "")
        for item in page.items
    )
    footer = translate("Page {page}/{pages}", page=page.page, pages=page.pages)
    return Message(title=_("Moderation log"), lines=lines, footer=footer,
                   visibility=Visibility.EPHEMERAL)


def data_export(export: DataExport) -> Message:
    """The member's data: a document to read, in the collective's language, and the
    same data as JSON for programs."""
    readable, machine = my_data.filenames()
    return Message(
        title=_("Your data"),
        lines=(_("Everything the bot holds about you is in the attached files: a document "
                 "to read, and the same data as JSON for computer programs."),),
        attachments=(
            Attachment(readable, my_data.document(export).encode("utf-8"),
                       "text/markdown"),
            Attachment(machine, export.content, "application/json"),
        ),
        visibility=Visibility.PRIVATE,
    )


def forgotten(result: ForgetResult) -> Message:
    return Message(
        title=_("Erased"),
        lines=(_("Everything the bot held about you has been erased. Goodbye, and thank you."),),
        tone=Tone.SUCCESS, visibility=Visibility.EPHEMERAL,
    )

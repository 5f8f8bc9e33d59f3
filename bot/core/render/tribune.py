"""Messages of the tribune workflow."""

from __future__ import annotations

from bot.core.i18n import _, ngettext, translate
from bot.core.render.md import escape
from bot.core.render.message import Action, Attachment, Field, Message, Tone, Visibility
from bot.core.services.tribune import (
    Announcement,
    Export,
    SettingResult,
    SignatoryPage,
    SignatureInfo,
    SignResult,
    TribuneView,
    WithdrawResult,
)

SIGN_ACTION = "tribune:sign"
WITHDRAW_ACTION = "tribune:withdraw"
LIST_ACTION = "tribune:list"


def consent_notice() -> str:
    return _(
        "By signing, you agree that we store the name, profession, city and (if given) "
        "collective you enter, with your account identifier on this platform, to count "
        "signatures and, only if you choose a public listing, to show your name among the "
        "signatories. Moderators of the federation can export the list to check signatures; "
        "an anonymous signature is never published. You can withdraw at any time: your "
        "signature data is then deleted."
    )


def count_line(count: int) -> str:
    return ngettext("{count} signature", "{count} signatures", count).format(count=count)


def _who(info: SignatureInfo) -> str:
    parts = [f"**{escape(info.name)}**", escape(info.profession), escape(info.city)]
    if info.collective:
        parts.append(escape(info.collective))
    return " · ".join(parts)


def sign_actions(signed: bool) -> tuple[Action, ...]:
    actions = [
        Action(SIGN_ACTION, _("Update my signature") if signed else _("Sign"),
               command=_("!tribune sign"), style="success"),
        Action(LIST_ACTION, _("Signatories"), command=_("!tribune list"), style="secondary"),
    ]
    if signed:
        actions.append(
            Action(WITHDRAW_ACTION, _("Withdraw"), command=_("!tribune withdraw"),
                   style="danger")
        )
    return tuple(actions)


def tribune(view: TribuneView) -> Message:
    text = view.text or _(
        "The tribune text has not been published yet. Moderators can set it with "
        "!tribune text or in the configuration file."
    )
    lines = [text, "", f"**{count_line(view.count)}**"]
    fields = []
    if view.latest:
        fields.append(
            Field(_("Latest public signatories"), "\n".join(_who(i) for i in view.latest))
        )
    if view.own is not None:
        lines.append(_("You have signed this tribune."))
    return Message(
        title=_("Tribune"),
        lines=tuple(lines),
        fields=tuple(fields),
        actions=sign_actions(view.own is not None),
    )


def signed(result: SignResult) -> Message:
    info = result.signature
    listing = _("public") if info.public else _("anonymous")
    head = (
        _("Your signature has been updated.") if result.updated
        else _("Thank you, your signature has been recorded.")
    )
    return Message(
        title=_("Tribune"),
        lines=(
            head,
            translate("Listing: {listing}.", listing=listing),
            count_line(result.count),
        ),
        fields=(
            Field(_("Name"), escape(info.name), inline=True),
            Field(_("Profession"), escape(info.profession), inline=True),
            Field(_("City"), escape(info.city), inline=True),
        ),
        tone=Tone.SUCCESS,
        visibility=Visibility.EPHEMERAL,
    )


def withdrawn(result: WithdrawResult) -> Message:
    return Message(
        title=_("Tribune"),
        lines=(
            _("Your signature has been withdrawn and its data deleted."),
            count_line(result.count),
        ),
        tone=Tone.SUCCESS,
        visibility=Visibility.EPHEMERAL,
    )


def signatories(page: SignatoryPage) -> Message:
    lines = [
        count_line(page.total)
        + " · "
        + ngettext("{count} public", "{count} public", page.public_total).format(
            count=page.public_total
        )
    ]
    if page.items:
        lines += [f"- {_who(i)}" for i in page.items]
    else:
        lines.append(_("No public signatory yet."))
    fields = []
    if page.by_city:
        fields.append(Field(_("By city"), ", ".join(f"{escape(c)} ({n})" for c, n in page.by_city)))
    if page.by_profession:
        fields.append(
            Field(
                _("By profession"),
                ", ".join(f"{escape(p)} ({n})" for p, n in page.by_profession),
            )
        )
    footer = translate("Page {page}/{pages}", page=page.page, pages=page.pages)
    if page.page < page.pages:
        footer += " · " + translate("next: !tribune list {page}", page=page.page + 1)
    return Message(
        title=_("Signatories of the tribune"),
        lines=tuple(lines),
        fields=tuple(fields),
        footer=footer,
    )


def exported(export: Export) -> Message:
    return Message(
        title=_("Tribune export"),
        lines=(
            ngettext("{count} signature exported.", "{count} signatures exported.",
                     export.rows).format(count=export.rows),
            _("This file holds personal data: keep it private."),
        ),
        attachments=(Attachment(export.filename, export.content, "text/csv"),),
        visibility=Visibility.PRIVATE,
    )


def setting_changed(result: SettingResult) -> Message:
    labels = {
        "text": _("The tribune text has been updated."),
        "announcement_channel": _("Tribune announcements will be posted in this channel."),
        "signer_role": _("Signatories will receive this role."),
    }
    cleared = {
        "text": _("The tribune text now comes from the configuration file."),
        "announcement_channel": _("Tribune announcements are turned off."),
        "signer_role": _("No role is given on signing any more."),
    }
    line = labels[result.setting] if result.value is not None else cleared[result.setting]
    return Message(
        title=_("Tribune"), lines=(line,), tone=Tone.SUCCESS, visibility=Visibility.EPHEMERAL
    )


def announcement(item: Announcement) -> Message:
    return Message(
        title=_("Tribune"),
        lines=(
            translate(
                "The tribune has reached {count} signatures. Thank you to everyone who signed!",
                count=item.count,
            ),
        ),
        actions=(Action(SIGN_ACTION, _("Sign"), command=_("!tribune sign"), style="success"),),
        tone=Tone.SUCCESS,
    )

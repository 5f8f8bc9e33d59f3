"""``/tribune``: read, sign and withdraw from the union's tribune; moderators
export signatures and configure announcements, the text and the signer role.

Buttons (``tribune:sign``, ``tribune:consent``, ``tribune:withdraw``,
``tribune:list[:page]``) and forms (``tribune:sign-form``, ``tribune:text-form``)
are routed by ``custom_id``, so they work on messages sent before a restart.
"""

from __future__ import annotations

import dataclasses
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import InvalidInput, PermissionDenied
from bot.core.i18n import N_, _, translate
from bot.core.numbers import PAGE_MAX, parse_whole
from bot.core.render import tribune as render
from bot.core.render.message import Action, Message, Visibility
from bot.core.services.tribune import FIELD_LIMITS, TEXT_LIMIT, SignatureForm
from bot.discord.adapter import DiscordBot
from bot.discord.context import Call
from bot.discord.translator import text
from bot.discord.views import (
    ChannelOption,
    FormValues,
    choice_field,
    custom_id,
    first,
    form,
    text_field,
)
from cogs._numbers import Page

log = logging.getLogger(__name__)

CONSENT_ACTION = "tribune:consent"
SIGN_FORM = "tribune:sign-form"
TEXT_FORM = "tribune:text-form"
TEXT_FIELD = "text"
FILE_LIMIT_BYTES = TEXT_LIMIT * 4
MODAL_TEXT_LIMIT = 4000
YES, NO = "yes", "no"


class Tribune(commands.Cog):
    group = app_commands.Group(
        name=text("tribune"),
        description=text("tribune.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    def __init__(self, bot: DiscordBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        router = self.bot.router
        router.add_action(render.SIGN_ACTION, self.consent_notice)
        router.add_action(CONSENT_ACTION, self.open_sign_form)
        router.add_action(render.WITHDRAW_ACTION, self.withdraw_button)
        router.add_action(render.LIST_ACTION, self.list_button)
        router.add_form(SIGN_FORM, self.submit_signature)
        router.add_form(TEXT_FORM, self.submit_text)

    async def cog_unload(self) -> None:
        self.bot.router.remove("tribune:")

    # -- member commands -----------------------------------------------------------------

    @group.command(name=text("tribune.show"), description=text("tribune.show.description"))
    async def show(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            view = await call.core.tribune.show(call.actor, call.place)
            await call.reply(render.tribune(view))

    @group.command(name=text("tribune.sign"), description=text("tribune.sign.description"))
    async def sign(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            await self.consent_notice(call, None)

    @group.command(name=text("tribune.withdraw"), description=text("tribune.withdraw.description"))
    async def withdraw(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            await self.do_withdraw(call)

    @group.command(name=text("tribune.list"), description=text("tribune.list.description"))
    @app_commands.rename(page=text("tribune.list.page"))
    @app_commands.describe(page=text("tribune.list.page.description"))
    async def signatories(
        self, interaction: discord.Interaction, page: Page = 1
    ) -> None:
        async with self.bot.begin(interaction) as call:
            await self.show_page(call, page, ephemeral=False)

    # -- moderator commands --------------------------------------------------------------

    @group.command(name=text("tribune.export"), description=text("tribune.export.description"))
    async def export(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            await call.defer(ephemeral=True)
            result = await call.core.tribune.export(call.actor, call.place)
            await call.reply(render.exported(result))

    @group.command(
        name=text("tribune.announcements"), description=text("tribune.announcements.description")
    )
    @app_commands.rename(channel=text("tribune.announcements.channel"))
    @app_commands.describe(channel=text("tribune.announcements.channel.description"))
    async def announcements(
        self,
        interaction: discord.Interaction,
        channel: app_commands.Transform[discord.abc.Snowflake, ChannelOption] | None = None,
    ) -> None:
        async with self.bot.begin(interaction) as call:
            channel_id = str(channel.id) if channel is not None else None
            result = await call.core.tribune.set_announcement_channel(
                call.actor, call.place, channel_id
            )
            await call.reply(render.setting_changed(result))

    @group.command(name=text("tribune.text"), description=text("tribune.text.description"))
    @app_commands.rename(file=text("tribune.text.file"))
    @app_commands.describe(file=text("tribune.text.file.description"))
    async def set_text(
        self, interaction: discord.Interaction, file: discord.Attachment | None = None
    ) -> None:
        async with self.bot.begin(interaction) as call:
            if not call.actor.is_moderator:
                raise PermissionDenied()
            if file is None:
                await self.open_text_form(call)
                return
            content = await read_text_file(file)
            result = await call.core.tribune.set_text(call.actor, call.place, content)
            await call.reply(render.setting_changed(result))

    @group.command(name=text("tribune.role"), description=text("tribune.role.description"))
    @app_commands.rename(role=text("tribune.role.role"))
    @app_commands.describe(role=text("tribune.role.role.description"))
    async def set_role(
        self, interaction: discord.Interaction, role: discord.Role | None = None
    ) -> None:
        async with self.bot.begin(interaction) as call:
            if role is not None and (role.is_default() or role.managed):
                raise InvalidInput(
                    N_("The bot cannot give this role: choose a role that is not @everyone "
                       "and not managed by an integration.")
                )
            result = await call.core.tribune.set_signer_role(
                call.actor, call.place, str(role.id) if role is not None else None
            )
            await call.reply(render.setting_changed(result))

    # -- signing ---------------------------------------------------------------------------

    async def consent_notice(self, call: Call, _arg: str | None) -> None:
        """The privacy notice, with the button that opens the form."""
        await call.reply(
            Message(
                title=_("Tribune"),
                lines=(render.consent_notice(),),
                actions=(Action(CONSENT_ACTION, _("I agree"), style="success"),),
                visibility=Visibility.EPHEMERAL,
            )
        )

    async def open_sign_form(self, call: Call, _arg: str | None) -> None:
        own = (await call.core.tribune.show(call.actor, call.place)).own
        public_default = (YES if own.public else NO) if own is not None else None
        await call.interaction.response.send_modal(
            form(
                SIGN_FORM,
                _("Sign the tribune"),
                [
                    text_field("name", _("Name"), max_length=FIELD_LIMITS["name"],
                               default=own.name if own else call.actor.display_name),
                    text_field("profession", _("Profession"),
                               max_length=FIELD_LIMITS["profession"],
                               default=own.profession if own else None),
                    text_field("city", _("City"), max_length=FIELD_LIMITS["city"],
                               default=own.city if own else None),
                    text_field("collective", _("Collective (optional)"),
                               max_length=FIELD_LIMITS["collective"], required=False,
                               default=own.collective if own else None),
                    choice_field(
                        "public",
                        _("Public listing"),
                        [(YES, _("Yes: show my name among the signatories")),
                         (NO, _("No: count my signature without showing my name"))],
                        default=public_default,
                    ),
                ],
            )
        )

    async def submit_signature(self, call: Call, values: FormValues, _arg: str | None) -> None:
        public = first(values, "public")
        result = await call.core.tribune.sign(
            call.actor,
            call.place,
            SignatureForm(
                name=first(values, "name"),
                profession=first(values, "profession"),
                city=first(values, "city"),
                collective=first(values, "collective"),
                public=None if public is None else public == YES,
                consent=True,
            ),
        )
        await call.reply(render.signed(result))
        await self.update_role(call, result.signer_role_id, give=True)
        await call.core.outbox.deliver(result.announcements)

    # -- withdrawing -----------------------------------------------------------------------

    async def withdraw_button(self, call: Call, arg: str | None) -> None:
        if arg == "confirm":
            await self.do_withdraw(call)
            return
        await call.reply(
            Message(
                title=_("Tribune"),
                lines=(_("Do you really want to withdraw your signature? "
                         "Its data will be deleted."),),
                actions=(Action(custom_id(render.WITHDRAW_ACTION, "confirm"),
                                _("Yes, withdraw"), style="danger"),),
                visibility=Visibility.EPHEMERAL,
            )
        )

    async def do_withdraw(self, call: Call) -> None:
        result = await call.core.tribune.withdraw(call.actor, call.place)
        await call.reply(render.withdrawn(result))
        await self.update_role(call, result.signer_role_id, give=False)

    async def update_role(self, call: Call, role_id: str | None, *, give: bool) -> None:
        """Give or take the signer role; a failure is logged, never shown as an error."""
        member = call.member
        if not role_id or member is None:
            return
        role = discord.Object(id=int(role_id))
        try:
            if give:
                await member.add_roles(role, reason="signed the tribune")
            else:
                await member.remove_roles(role, reason="withdrew from the tribune")
        except (discord.HTTPException, ValueError) as exc:
            log.warning("could not %s role %s for member %s in guild %s: %s",
                        "add" if give else "remove", role_id, member.id,
                        call.place.collective_id, exc)

    # -- listing ---------------------------------------------------------------------------

    async def list_button(self, call: Call, arg: str | None) -> None:
        page = 1 if arg is None else parse_whole(arg, field=N_("The page"), low=1, high=PAGE_MAX)
        await self.show_page(call, page, ephemeral=True)

    async def show_page(self, call: Call, page: int, *, ephemeral: bool) -> None:
        result = await call.core.tribune.signatories(call.actor, call.place, page)
        message = render.signatories(result)
        actions = []
        if result.page > 1:
            actions.append(Action(custom_id(render.LIST_ACTION, result.page - 1),
                                  _("Previous page"), style="secondary"))
        if result.page < result.pages:
            actions.append(Action(custom_id(render.LIST_ACTION, result.page + 1),
                                  _("Next page"), style="secondary"))
        message = dataclasses.replace(
            message,
            footer=translate("Page {page}/{pages}", page=result.page, pages=result.pages),
            actions=tuple(actions),
        )
        await call.reply(message, ephemeral=ephemeral)

    # -- tribune text ----------------------------------------------------------------------

    async def open_text_form(self, call: Call) -> None:
        current = (await call.core.tribune.show(call.actor, call.place)).text or ""
        if len(current) > MODAL_TEXT_LIMIT:
            raise InvalidInput(
                N_("The current text is longer than a form can hold ({limit} characters): "
                   "send the new text as a file with the file option."),
                limit=MODAL_TEXT_LIMIT,
            )
        await call.interaction.response.send_modal(
            form(
                TEXT_FORM,
                _("Tribune text"),
                [
                    text_field(
                        TEXT_FIELD,
                        _("Text (Markdown)"),
                        description=_("Leave empty to use the text of the configuration file."),
                        default=current or None,
                        max_length=MODAL_TEXT_LIMIT,
                        required=False,
                        paragraph=True,
                    )
                ],
            )
        )

    async def submit_text(self, call: Call, values: FormValues, _arg: str | None) -> None:
        result = await call.core.tribune.set_text(
            call.actor, call.place, first(values, TEXT_FIELD) or None
        )
        await call.reply(render.setting_changed(result))


async def read_text_file(file: discord.Attachment) -> str:
    """The UTF-8 text of an uploaded file, refused politely when too big or binary."""
    if file.size > FILE_LIMIT_BYTES:
        raise InvalidInput(
            N_("The file is too big: {limit} kilobytes at most."), limit=FILE_LIMIT_BYTES // 1000
        )
    try:
        return (await file.read()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            N_("The file must be plain text or Markdown, encoded in UTF-8.")
        ) from None


async def setup(bot: DiscordBot) -> None:
    await bot.add_cog(Tribune(bot))

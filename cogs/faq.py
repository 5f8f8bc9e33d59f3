"""``/droits``: the rights FAQ; ``/droits-moderation``: its curation; passive help.

- ``/droits question`` answers with the best entry: its answer, sources and
  review date, the « Utile » / « Pas utile » buttons and, when other entries
  come close, a button for each of them. The ``question`` option completes
  entry titles as it is typed: a chosen title sends the entry's id, which opens
  that entry directly, while typed text is searched. The answer is shown to
  the member only, unless ``partager`` posts it in the channel.
- Buttons ``faq:useful:ID`` and ``faq:useless:ID`` record the member's opinion
  (« Pas utile » sends the question to the moderators' queue, without the
  member's name); ``faq:show:ID`` opens an entry privately. They are routed by
  ``custom_id``, so they work on messages posted before a restart.
- ``/droits-moderation``: the queue of unanswered questions (paged), aliases,
  dismissing a queued question, retiring and restoring entries, adding and
  editing them through forms, entries due for review, use statistics,
  importing the corpus files again, and passive help. Members are refused
  before anything is read or a form opens; the services check again.
- Passive help reads members' messages, so it needs ``discord.read_messages``
  (the privileged Message Content intent, see :func:`bot.discord.adapter.intents`)
  and a moderator turning it on in a channel (``aide-passive``). A message
  there that looks like a rights question gets one discreet reply suggesting
  an entry, at most once an hour per member; nothing is stored about it. In a
  thread, the thread is the channel.
"""

from __future__ import annotations

import dataclasses
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import InvalidInput, NotFound, PermissionDenied
from bot.core.i18n import N_, _, current_locale, translate, use_locale
from bot.core.numbers import PAGE_MAX
from bot.core.render import faq as render
from bot.core.render.md import escape
from bot.core.render.message import Action, Field, Message, Tone, Visibility
from bot.core.services.faq import (
    ALIAS_LIMIT,
    ANSWER_LIMIT,
    QUESTION_LIMIT,
    SLUG,
    TITLE_CHOICES,
    TITLE_LIMIT,
    Draft,
    EntryInfo,
    EntryLine,
    QueuePage,
    StaleEntry,
)
from bot.core.types import Actor, Place, Platform
from bot.discord.adapter import DiscordBot
from bot.discord.context import Call
from bot.discord.errors import UnknownComponent
from bot.discord.render import render as draw
from bot.discord.render import shorten
from bot.discord.translator import COMMAND_TEXTS, text
from bot.discord.views import FormValues, custom_id, first, form, text_field
from bot.textcmd.faq import passive_help
from cogs._numbers import Page, QuestionNumber, custom_number
from cogs.demands import declare_texts

log = logging.getLogger(__name__)

USEFUL_ACTION = "faq:useful"
USELESS_ACTION = "faq:useless"
SHOW_ACTION = "faq:show"
QUEUE_ACTION = "faq:queue"
ADD_FORM = "faq:add-form"
EDIT_FORM = "faq:edit-form"
REVIEWED_FORM = "faq:edit-reviewed-form"  # the edit form, marking the entry reviewed too
SLUG_LIMIT = 64
SOURCES_LIMIT = 2000
TOPICS_LIMIT = 300
QUESTIONS_LIMIT = 4000
CHOICE_NAME_LIMIT = 100
ON, OFF = "on", "off"

COMMANDS: dict[str, tuple[str, str]] = {
    "faq": ("droits", "rights"),
    "faq.description": (
        "Vos droits d'indépendant·e : posez une question, la fiche qui y répond s'affiche",
        "Your rights as a freelancer: ask a question, get the entry that answers it",
    ),
    "faq.question": ("question", "question"),
    "faq.question.description": (
        "Votre question, en français ou en anglais (ou choisissez une fiche)",
        "Your question, in French or English (or choose an entry)",
    ),
    "faq.share": ("partager", "share"),
    "faq.share.description": (
        "Montrer la réponse à tout le salon (sinon, à vous seul·e)",
        "Show the answer to the whole channel (otherwise to you only)",
    ),
    "faq-mod": ("droits-moderation", "rights-moderation"),
    "faq-mod.description": (
        "(Modération) Fiches droits : questions sans réponse, fiches, alias, aide passive",
        "(Moderators) Rights FAQ: unanswered questions, entries, aliases, passive help",
    ),
    "faq-mod.entry": ("fiche", "entry"),
    "faq-mod.entry.description": (
        "La fiche : son titre, ou son identifiant",
        "The entry: its title, or its id",
    ),
    "faq-mod.queue": ("file", "queue"),
    "faq-mod.queue.description": (
        "Les questions sans bonne réponse, les plus posées d'abord",
        "Questions without a good answer, most asked first",
    ),
    "faq-mod.queue.page": ("page", "page"),
    "faq-mod.queue.page.description": ("Numéro de page (1 par défaut)",
                                       "Page number (1 by default)"),
    "faq-mod.alias": ("alias", "alias"),
    "faq-mod.alias.description": (
        "Ajouter un alias à une fiche (un mot d'argot...), en retirer un, ou les lister",
        "Add an alias to an entry (a slang word...), remove one, or list them",
    ),
    "faq-mod.alias.text": ("texte", "text"),
    "faq-mod.alias.text.description": (
        "L'alias à ajouter (ou à retirer) ; sans texte ni question, la liste",
        "The alias to add (or remove); with no text and no question, the list",
    ),
    "faq-mod.alias.question": ("question", "question"),
    "faq-mod.alias.question.description": (
        "Numéro d'une question de la file : elle devient un alias et quitte la file",
        "Number of a queued question: it becomes an alias and leaves the queue",
    ),
    "faq-mod.alias.remove": ("retirer", "remove"),
    "faq-mod.alias.remove.description": (
        "Retirer cet alias au lieu de l'ajouter",
        "Remove this alias instead of adding it",
    ),
    "faq-mod.dismiss": ("ecarter", "dismiss"),
    "faq-mod.dismiss.description": (
        "Écarter une question de la file (hors sujet, ou déjà traitée)",
        "Dismiss a queued question (off topic, or dealt with)",
    ),
    "faq-mod.dismiss.number": ("numero", "number"),
    "faq-mod.dismiss.number.description": ("Numéro de la question dans la file",
                                           "Number of the question in the queue"),
    "faq-mod.retire": ("retirer", "retire"),
    "faq-mod.retire.description": (
        "Retirer une fiche : elle ne répond plus aux questions",
        "Retire an entry: it no longer answers questions",
    ),
    "faq-mod.restore": ("retablir", "restore"),
    "faq-mod.restore.description": ("Rétablir une fiche retirée", "Restore a retired entry"),
    "faq-mod.add": ("ajouter", "add"),
    "faq-mod.add.description": (
        "Ajouter une fiche (un formulaire s'ouvre)",
        "Add an entry (a form opens)",
    ),
    "faq-mod.edit": ("modifier", "edit"),
    "faq-mod.edit.description": (
        "Modifier une fiche (un formulaire prérempli s'ouvre)",
        "Edit an entry (a prefilled form opens)",
    ),
    "faq-mod.edit.reviewed": ("revu", "reviewed"),
    "faq-mod.edit.reviewed.description": (
        "Marquer aussi la fiche comme revue aujourd'hui",
        "Also mark the entry as reviewed today",
    ),
    "faq-mod.stale": ("a-revoir", "to-review"),
    "faq-mod.stale.description": ("Les fiches dont la relecture est due",
                                  "Entries whose review is due"),
    "faq-mod.stats": ("stats", "stats"),
    "faq-mod.stats.description": (
        "L'usage de chaque fiche et la file des questions",
        "Use of each entry and the question queue",
    ),
    "faq-mod.import": ("importer", "import"),
    "faq-mod.import.description": (
        "Importer à nouveau les fichiers du corpus (nouveaux et modifiés)",
        "Import the corpus files again (new and changed)",
    ),
    "faq-mod.passive": ("aide-passive", "passive-help"),
    "faq-mod.passive.description": (
        "Suggérer une fiche aux questions de droits posées dans ce salon, ou arrêter",
        "Suggest an entry for rights questions asked in this channel, or stop",
    ),
    "faq-mod.passive.active": ("actif", "active"),
    "faq-mod.passive.active.description": (
        "Oui : suggérer des fiches dans ce salon ; non : arrêter",
        "Yes: suggest entries in this channel; no: stop",
    ),
    "faq-mod.passive.on": ("oui", "yes"),
    "faq-mod.passive.off": ("non", "no"),
}
declare_texts(COMMANDS)

PASSIVE_CHOICES = [app_commands.Choice(name=text(f"faq-mod.passive.{key}"), value=key)
                   for key in (ON, OFF)]
Slug = app_commands.Range[str, 1, SLUG_LIMIT]
Number = QuestionNumber  # the queue commands' number option


# -- pure helpers ---------------------------------------------------------------------------

def local_name(key: str) -> str:
    """A command or option name as members of this collective read it."""
    return COMMAND_TEXTS[key][1 if current_locale() == "en" else 0]


def slash(*keys: str) -> str:
    """``/droits-moderation alias``."""
    return "/" + " ".join(local_name(key) for key in keys)


def with_alternatives(message: Message, alternatives: tuple[EntryLine, ...]) -> Message:
    """An answer whose other close entries are buttons that open them, rather than the
    text commands other platforms show."""
    if not alternatives:
        return message
    heading = _("Other answers")
    listing = "\n".join(f"- **{escape(line.title)}**" for line in alternatives)
    fields = tuple(Field(item.name, listing, item.inline) if item.name == heading else item
                   for item in message.fields)
    buttons = tuple(Action(custom_id(SHOW_ACTION, line.slug), line.title, style="secondary")
                    for line in alternatives)
    return dataclasses.replace(message, fields=fields, actions=(*message.actions, *buttons))


def intro() -> Message:
    """How to ask, with slash command examples instead of text commands."""
    base = render.intro()
    command = f"{slash('faq')} {local_name('faq.question')}:"
    examples = (f"- `{command} congé maternité indépendante`",
                f"- `{command} how do I get sick pay as a freelancer?`")
    kept = [line for line in base.lines if not line.startswith("- ")]
    return dataclasses.replace(base, lines=(*kept[:1], *examples, *kept[1:]),
                               visibility=Visibility.EPHEMERAL)


def queue_message(page: QueuePage) -> Message:
    """The queue with slash command hints, and buttons for the other pages."""
    base = render.queue(page)
    if not page.items:
        return base
    alias = f"{slash('faq-mod', 'faq-mod.alias')} {local_name('faq-mod.alias.question')}:N"
    dismiss = f"{slash('faq-mod', 'faq-mod.dismiss')} {local_name('faq-mod.dismiss.number')}:N"
    hint = translate(
        "Turn one into an alias of an entry with {example}, or close it with {dismiss}.",
        example=f"`{alias}`", dismiss=f"`{dismiss}`")
    actions = []
    if page.page > 1:
        actions.append(Action(custom_id(QUEUE_ACTION, page.page - 1), _("Previous page"),
                              style="secondary"))
    if page.page < page.pages:
        actions.append(Action(custom_id(QUEUE_ACTION, page.page + 1), _("Next page"),
                              style="secondary"))
    return dataclasses.replace(base, lines=(*base.lines[:-1], hint), actions=tuple(actions))


def stale_message(entries: tuple[StaleEntry, ...], age_days: int) -> Message:
    base = render.stale(entries, age_days)
    if not entries:
        return base
    hint = translate("Once checked, mark an entry reviewed with {example}.",
                     example=f"`{slash('faq-mod', 'faq-mod.edit')} "
                             f"{local_name('faq-mod.edit.reviewed')}:True`")
    return dataclasses.replace(base, lines=(*base.lines[:-1], hint))


def one_per_line(value: str | None) -> str | None:
    """Form text with one item per line, as the service reads it: ``a; b``."""
    if value is None:
        return None
    return "; ".join(line.strip() for line in value.splitlines() if line.strip())


def entry_form(form_id: str, title: str, info: EntryInfo | None = None) -> discord.ui.Modal:
    """The form to add an entry (``info`` None: with its id) or to edit ``info``."""
    fields = []
    if info is None:
        fields.append(text_field(
            "slug", _("Identifier"), max_length=SLUG_LIMIT, placeholder="conge-paternite",
            description=_("Lower-case letters, digits and hyphens; it cannot change later.")))
    fields += [
        text_field("title", _("Title"), max_length=TITLE_LIMIT,
                   default=info.title if info else None),
        text_field("answer", _("Answer"), max_length=ANSWER_LIMIT, paragraph=True,
                   default=info.answer if info else None,
                   description=_("Markdown. The general-information notice is added at the "
                                 "end.")),
        text_field("sources", _("Sources"), max_length=SOURCES_LIMIT, paragraph=True,
                   default="\n".join(f"{s.name}|{s.url}" for s in info.sources) if info
                   else None,
                   placeholder="URSSAF|https://www.urssaf.fr",
                   description=_("One per line: name|https://…")),
        text_field("topics", _("Topics"), max_length=TOPICS_LIMIT, required=False,
                   default=", ".join(info.topics) if info else None,
                   description=_("Separated by commas.")),
    ]
    if info is not None:
        fields.append(text_field(
            "questions", _("Questions"), max_length=QUESTIONS_LIMIT, paragraph=True,
            required=False, default="\n".join(info.questions),
            description=_("How members ask it, one question per line.")))
    return form(form_id, title, fields)


def draft_of(values: FormValues, *, reviewed: bool = False) -> Draft:
    return Draft(
        slug=first(values, "slug"),
        title=first(values, "title"),
        answer=first(values, "answer"),
        sources=one_per_line(first(values, "sources")),
        topics=first(values, "topics"),
        questions=one_per_line(first(values, "questions")),
        reviewed="yes" if reviewed else None,
    )


def read_by_passive_help(message: discord.Message) -> bool:
    """A member's own message in a server (not a bot's, a webhook's or a system one)."""
    return (
        message.guild is not None
        and not message.author.bot
        and message.webhook_id is None
        and message.type in (discord.MessageType.default, discord.MessageType.reply)
        and bool(message.content)
    )


def require_moderator(call: Call) -> None:
    if not call.actor.is_moderator:
        raise PermissionDenied()


# -- the cog --------------------------------------------------------------------------------

class Faq(commands.Cog):
    moderation = app_commands.Group(
        name=text("faq-mod"),
        description=text("faq-mod.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    def __init__(self, bot: DiscordBot) -> None:
        self.bot = bot
        self.read_messages = bot.core.settings.discord.read_messages

    async def cog_load(self) -> None:
        router = self.bot.router
        router.add_action(USEFUL_ACTION, self.useful_button)
        router.add_action(USELESS_ACTION, self.useless_button)
        router.add_action(SHOW_ACTION, self.show_button)
        router.add_action(QUEUE_ACTION, self.queue_button)
        router.add_form(ADD_FORM, self.submit_add)
        router.add_form(EDIT_FORM, self.submit_edit)
        router.add_form(REVIEWED_FORM, self.submit_reviewed)

    async def cog_unload(self) -> None:
        self.bot.router.remove("faq:")

    # -- asking -----------------------------------------------------------------------------

    @app_commands.command(name=text("faq"), description=text("faq.description"))
    @app_commands.guild_only()
    @app_commands.rename(question=text("faq.question"), share=text("faq.share"))
    @app_commands.describe(question=text("faq.question.description"),
                           share=text("faq.share.description"))
    async def ask(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, QUESTION_LIMIT],
        share: bool = False,
    ) -> None:
        async with self.bot.begin(interaction) as call:
            await call.reply(await self.answer(call, question), ephemeral=not share)

    async def answer(self, call: Call, question: str) -> Message:
        """The entry a title chosen in the completion names, else the search's answer."""
        faq = call.core.faq
        wanted = question.strip().lower()
        if SLUG.fullmatch(wanted):
            try:
                return render.entry(await faq.show(call.actor, call.place, wanted))
            except NotFound:
                pass  # a word that is no entry's id: search for it
        result = await faq.search(call.actor, call.place, question)
        if result.empty:
            return intro()
        return with_alternatives(render.answer(result), result.alternatives)

    @ask.autocomplete("question")
    async def question_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.title_choices(current)

    async def title_choices(self, current: str) -> list[app_commands.Choice[str]]:
        """Entries whose title holds the words typed so far; the value is the entry's id."""
        try:
            lines = await self.bot.core.faq.titles(current, limit=TITLE_CHOICES)
        except Exception:
            log.warning("could not complete entry titles for %r", current[:50], exc_info=True)
            return []
        return [app_commands.Choice(name=shorten(line.title, CHOICE_NAME_LIMIT), value=line.slug)
                for line in lines]

    # -- buttons ----------------------------------------------------------------------------

    @staticmethod
    def slug_of(arg: str | None) -> str:
        if arg is None or not SLUG.fullmatch(arg):
            raise UnknownComponent()
        return arg

    async def useful_button(self, call: Call, arg: str | None) -> None:
        result = await call.core.faq.feedback(call.actor, call.place, self.slug_of(arg), True)
        await call.reply(render.feedback(result), ephemeral=True)

    async def useless_button(self, call: Call, arg: str | None) -> None:
        result = await call.core.faq.feedback(call.actor, call.place, self.slug_of(arg), False)
        await call.reply(render.feedback(result), ephemeral=True)

    async def show_button(self, call: Call, arg: str | None) -> None:
        info = await call.core.faq.show(call.actor, call.place, self.slug_of(arg))
        await call.reply(render.entry(info), ephemeral=True)

    # -- passive help -----------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Suggest an entry under a rights question (never raises)."""
        if not self.read_messages or not read_by_passive_help(message):
            return
        guild = message.guild
        assert guild is not None
        core = self.bot.core
        place = Place(Platform.DISCORD, str(guild.id), str(message.channel.id), guild.name or "")
        actor = Actor(Platform.DISCORD, str(message.author.id), message.author.display_name)
        try:
            with use_locale(await core.locale_for(place)):
                suggestion = await passive_help(core, actor, place, message.content)
                if suggestion is None:
                    return
                kwargs = draw(suggestion).kwargs(interaction=False)
            await message.reply(**kwargs)
        except discord.HTTPException as exc:
            log.warning("could not suggest a rights entry under message %s in channel %s: %s",
                        message.id, message.channel.id, exc)
        except Exception:
            log.exception("passive rights help failed on message %s in channel %s",
                          message.id, message.channel.id)

    # -- moderators: the queue ---------------------------------------------------------------

    @moderation.command(name=text("faq-mod.queue"), description=text("faq-mod.queue.description"))
    @app_commands.rename(page=text("faq-mod.queue.page"))
    @app_commands.describe(page=text("faq-mod.queue.page.description"))
    async def queue(self, interaction: discord.Interaction,
                    page: Page = 1) -> None:
        async with self.bot.begin(interaction) as call:
            await self.show_queue(call, page)

    async def queue_button(self, call: Call, arg: str | None) -> None:
        await self.show_queue(call, custom_number(arg, high=PAGE_MAX))

    async def show_queue(self, call: Call, page: int) -> None:
        require_moderator(call)
        result = await call.core.faq.queue(call.actor, call.place, page)
        await call.reply(queue_message(result), ephemeral=True)

    @moderation.command(name=text("faq-mod.dismiss"),
                        description=text("faq-mod.dismiss.description"))
    @app_commands.rename(number=text("faq-mod.dismiss.number"))
    @app_commands.describe(number=text("faq-mod.dismiss.number.description"))
    async def dismiss(self, interaction: discord.Interaction, number: Number) -> None:
        async with self.bot.begin(interaction) as call:
            require_moderator(call)
            item = await call.core.faq.dismiss(call.actor, call.place, number)
            await call.reply(render.dismissed(item), ephemeral=True)

    @moderation.command(name=text("faq-mod.alias"), description=text("faq-mod.alias.description"))
    @app_commands.rename(entry=text("faq-mod.entry"), alias=text("faq-mod.alias.text"),
                         question=text("faq-mod.alias.question"),
                         remove=text("faq-mod.alias.remove"))
    @app_commands.describe(entry=text("faq-mod.entry.description"),
                           alias=text("faq-mod.alias.text.description"),
                           question=text("faq-mod.alias.question.description"),
                           remove=text("faq-mod.alias.remove.description"))
    async def alias(
        self,
        interaction: discord.Interaction,
        entry: Slug,
        alias: app_commands.Range[str, 1, ALIAS_LIMIT] | None = None,
        question: Number | None = None,
        remove: bool = False,
    ) -> None:
        async with self.bot.begin(interaction) as call:
            require_moderator(call)
            faq = call.core.faq
            if alias is not None and question is not None:
                raise InvalidInput(N_("Give either the alias or the question's number, "
                                      "not both."))
            if remove and alias is None:
                raise InvalidInput(N_("Write the alias to remove in the {option} option."),
                                   option=local_name("faq-mod.alias.text"))
            if question is not None:
                info = await faq.add_alias(call.actor, call.place, entry, question_id=question)
                done = translate("Alias added to {id}.", id=info.slug)
            elif alias is not None and remove:
                info = await faq.remove_alias(call.actor, call.place, entry, alias)
                done = translate("Alias removed from {id}.", id=info.slug)
            elif alias is not None:
                info = await faq.add_alias(call.actor, call.place, entry, alias)
                done = translate("Alias added to {id}.", id=info.slug)
            else:
                await call.reply(render.aliases(await faq.show(call.actor, call.place, entry)),
                                 ephemeral=True)
                return
            await call.reply(render.changed(info, done), ephemeral=True)

    # -- moderators: entries -----------------------------------------------------------------

    @moderation.command(name=text("faq-mod.retire"), description=text("faq-mod.retire.description"))
    @app_commands.rename(entry=text("faq-mod.entry"))
    @app_commands.describe(entry=text("faq-mod.entry.description"))
    async def retire(self, interaction: discord.Interaction, entry: Slug) -> None:
        async with self.bot.begin(interaction) as call:
            require_moderator(call)
            info = await call.core.faq.set_status(call.actor, call.place, entry, "retired")
            await call.reply(render.changed(info, translate(
                "Entry {id} is retired: it no longer answers.", id=info.slug)), ephemeral=True)

    @moderation.command(name=text("faq-mod.restore"),
                        description=text("faq-mod.restore.description"))
    @app_commands.rename(entry=text("faq-mod.entry"))
    @app_commands.describe(entry=text("faq-mod.entry.description"))
    async def restore(self, interaction: discord.Interaction, entry: Slug) -> None:
        async with self.bot.begin(interaction) as call:
            require_moderator(call)
            info = await call.core.faq.set_status(call.actor, call.place, entry, "active")
            await call.reply(render.changed(info, translate("Entry {id} answers again.",
                                                            id=info.slug)), ephemeral=True)

    @moderation.command(name=text("faq-mod.add"), description=text("faq-mod.add.description"))
    async def add(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            require_moderator(call)
            await interaction.response.send_modal(entry_form(ADD_FORM, _("New rights entry")))

    async def submit_add(self, call: Call, values: FormValues, _arg: str | None) -> None:
        info = await call.core.faq.add(call.actor, call.place, draft_of(values))
        await call.reply(render.changed(info, translate("Entry {id} added.", id=info.slug)),
                         ephemeral=True)

    @moderation.command(name=text("faq-mod.edit"), description=text("faq-mod.edit.description"))
    @app_commands.rename(entry=text("faq-mod.entry"), reviewed=text("faq-mod.edit.reviewed"))
    @app_commands.describe(entry=text("faq-mod.entry.description"),
                           reviewed=text("faq-mod.edit.reviewed.description"))
    async def edit(self, interaction: discord.Interaction, entry: Slug,
                   reviewed: bool = False) -> None:
        async with self.bot.begin(interaction) as call:
            require_moderator(call)
            info = await call.core.faq.show(call.actor, call.place, entry)
            form_id = custom_id(REVIEWED_FORM if reviewed else EDIT_FORM, info.slug)
            title = translate("Entry {id}", id=info.slug)
            await interaction.response.send_modal(entry_form(form_id, title, info))

    async def submit_edit(self, call: Call, values: FormValues, arg: str | None) -> None:
        await self.save_edit(call, values, arg, reviewed=False)

    async def submit_reviewed(self, call: Call, values: FormValues, arg: str | None) -> None:
        await self.save_edit(call, values, arg, reviewed=True)

    async def save_edit(self, call: Call, values: FormValues, arg: str | None, *,
                        reviewed: bool) -> None:
        slug = self.slug_of(arg)
        info = await call.core.faq.edit(call.actor, call.place, slug,
                                        draft_of(values, reviewed=reviewed))
        await call.reply(render.changed(info, translate("Entry {id} updated.", id=info.slug)),
                         ephemeral=True)

    @alias.autocomplete("entry")
    @retire.autocomplete("entry")
    @restore.autocomplete("entry")
    @edit.autocomplete("entry")
    async def entry_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.title_choices(current)

    # -- moderators: review, use, corpus, passive help ---------------------------------------

    @moderation.command(name=text("faq-mod.stale"), description=text("faq-mod.stale.description"))
    async def stale(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            require_moderator(call)
            faq = call.core.faq
            entries = await faq.stale(call.actor, call.place)
            await call.reply(stale_message(entries, faq.review_age_days), ephemeral=True)

    @moderation.command(name=text("faq-mod.stats"), description=text("faq-mod.stats.description"))
    async def stats(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            require_moderator(call)
            report = await call.core.faq.stats(call.actor, call.place)
            await call.reply(render.stats(report), ephemeral=True)

    @moderation.command(name=text("faq-mod.import"),
                        description=text("faq-mod.import.description"))
    async def import_corpus(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            require_moderator(call)
            await call.defer(ephemeral=True)
            result = await call.core.faq.import_corpus(call.actor, call.place)
            await call.reply(render.imported(result), ephemeral=True)

    @moderation.command(name=text("faq-mod.passive"),
                        description=text("faq-mod.passive.description"))
    @app_commands.rename(active=text("faq-mod.passive.active"))
    @app_commands.describe(active=text("faq-mod.passive.active.description"))
    @app_commands.choices(active=PASSIVE_CHOICES)
    async def passive(self, interaction: discord.Interaction, active: str) -> None:
        async with self.bot.begin(interaction) as call:
            require_moderator(call)
            if active not in (ON, OFF):
                raise InvalidInput()
            enabled = await call.core.faq.set_passive(call.actor, call.place, active == ON)
            message = render.passive_changed(enabled)
            if enabled and not self.read_messages:
                # Recorded, but this bot receives no message text: say so, privately.
                await call.reply(dataclasses.replace(
                    message, tone=Tone.WARNING,
                    lines=(*message.lines, _("This bot does not read messages on Discord yet: "
                                             "no suggestion will be posted until its "
                                             "administrators turn discord.read_messages on."))),
                    ephemeral=True)
                return
            # Public, so members know whether the bot reads this channel.
            await call.reply(message, ephemeral=False)


async def setup(bot: DiscordBot) -> None:
    await bot.add_cog(Faq(bot))


__all__ = ["Faq", "entry_form", "intro", "one_per_line", "queue_message",
           "read_by_passive_help", "stale_message", "with_alternatives"]

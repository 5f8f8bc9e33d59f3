"""``/scrutin``: polls. Moderators and organisers open them, members vote with
buttons and selects, results are posted at closing (or shown live).

Voting happens in a private (ephemeral) message opened by the poll's Vote
button (``poll:vote:N``), in steps that depend on the method:

- single choice: a select of the options (``poll:single:N``);
- approval: a multi-select (``poll:approve:N``);
- ranked (Schulze, instant-runoff): "choose your 1st choice", then the 2nd
  among the remaining options, and so on, with "Submit my ballot" and "Start
  again". The ranking so far travels in the components' ``custom_id``
  (``poll:rank:N.BA`` = B first, A second; ``poll:ranked:N.BA`` submits it);
- majority judgment: one grade select per option, four options per page,
  with the grades so far in the ``custom_id``, one character per option in the
  poll's order: the grade's index in :data:`bot.core.voting.GRADES` (0 =
  excellent ... 6 = à rejeter) or ``-`` when not graded yet
  (``poll:grade:N.2-5.B`` is the select of option B, ``poll:grades:N.2-5.1``
  shows page 2, ``poll:graded:N.2-5`` submits);
- every method has a "Vote blank" button on its first step (``poll:blank:N``).

Nothing is stored between steps, so a half-filled ballot survives a restart.
The confirmation replaces the form (``render.polls.voted``, with the receipt
when the poll gives them); refusals (closed poll, not eligible, invalid
ballot) come from the poll service through the one error handler.

After each ballot, public messages showing the poll (its creation, ``voir``,
any message whose Vote button was used) get the new ballot count, and the
provisional count when results are live, at most once every three seconds per
poll (:class:`cogs.demands.LiveMessages`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core import voting
from bot.core.errors import InvalidInput
from bot.core.i18n import N_, _, current_locale, translate, use_locale
from bot.core.numbers import ID_MAX, parse_whole
from bot.core.render import polls as render
from bot.core.render.md import escape
from bot.core.render.message import Action, Field, Message, Visibility
from bot.core.services.demands import DEMAND_NUMBER
from bot.core.services.polls import (
    ALREADY_FINAL,
    EXAMPLES,
    LABEL_LIMIT,
    MAX_OPTIONS,
    OPTION_KEYS,
    TITLE_LIMIT,
    PollDraft,
    PollInfo,
    PollResult,
)
from bot.core.types import Actor, Place
from bot.discord.adapter import DiscordBot
from bot.discord.context import Call
from bot.discord.errors import UnknownComponent
from bot.discord.render import button, embed, shorten
from bot.discord.translator import text
from bot.discord.views import ActionButton, custom_id
from cogs._numbers import PollNumber as Number
from cogs._numbers import custom_number, whole
from cogs.demands import LiveMessages, declare_texts, number_of, post

if TYPE_CHECKING:
    from bot.core.app import Core

VOTE_ACTION = "poll:vote"
SINGLE_ACTION = "poll:single"
APPROVE_ACTION = "poll:approve"
BLANK_ACTION = "poll:blank"
RANK_ACTION = "poll:rank"
RANKED_ACTION = "poll:ranked"
GRADE_ACTION = "poll:grade"
GRADES_ACTION = "poll:grades"
GRADED_ACTION = "poll:graded"
GRADES_PER_PAGE = 4  # a message holds five rows: four selects and the buttons
UNGRADED = "-"
SELECT_LABEL_LIMIT = 100
BUTTONS_PER_ROW = 5
BLANK_BALLOTS: dict[str, Any] = {
    "single": None, "approval": [], "schulze": (), "irv": (), "majority_judgment": {},
}

COMMANDS: dict[str, tuple[str, str]] = {
    "poll": ("scrutin", "poll"),
    "poll.description": (
        "Scrutins : voter, voir les résultats ; la modération les ouvre et les clôt",
        "Polls: vote and see results; moderators open and close them",
    ),
    "poll.number": ("numero", "number"),
    "poll.number.description": ("Numéro du scrutin", "Number of the poll"),
    "poll.create": ("creer", "create"),
    "poll.create.description": (
        "(Modération, organisation) Ouvrir un scrutin",
        "(Moderators, organisers) Open a poll",
    ),
    "poll.create.title": ("titre", "title"),
    "poll.create.title.description": ("Le titre du scrutin", "The poll's title"),
    "poll.create.closes": ("fin", "closes"),
    "poll.create.closes.description": (
        "Clôture : « jeudi 18h », « 12/12 à 18h », « 2026-12-01 18:00 »",
        "Closing time: “thursday 6pm”, “12/12 6pm”, “2026-12-01 18:00”",
    ),
    "poll.create.method": ("methode", "method"),
    "poll.create.method.description": (
        "Mode de scrutin (choix unique par défaut)",
        "Voting method (single choice by default)",
    ),
    "poll.create.options": ("options", "options"),
    "poll.create.options.description": (
        "Les choix, séparés par des points-virgules : Lyon;Paris;Nantes",
        "The options, separated by semicolons: Lyon;Paris;Nantes",
    ),
    "poll.create.demands": ("revendications", "demands"),
    "poll.create.demands.description": (
        "Numéros des revendications soumises au vote : 1,2",
        "Numbers of the demands put to the vote: 1,2",
    ),
    "poll.create.opens": ("debut", "opens"),
    "poll.create.opens.description": (
        "Ouverture (maintenant par défaut)",
        "Opening time (now by default)",
    ),
    "poll.create.quorum": ("quorum", "quorum"),
    "poll.create.quorum.description": (
        "Nombre de bulletins (10) ou pourcentage des inscrits (25%)",
        "Number of ballots (10) or percentage of eligible members (25%)",
    ),
    "poll.create.voters": ("eligibles", "voters"),
    "poll.create.voters.description": (
        "Qui peut voter (tout le monde par défaut)",
        "Who may vote (everyone by default)",
    ),
    "poll.create.role": ("role", "role"),
    "poll.create.role.description": (
        "Le rôle dont les membres peuvent voter",
        "The role whose members may vote",
    ),
    "poll.create.secret": ("secret", "secret"),
    "poll.create.secret.description": (
        "Bulletin secret (oui par défaut)",
        "Secret ballot (yes by default)",
    ),
    "poll.create.results": ("resultats", "results"),
    "poll.create.results.description": (
        "Résultats à la clôture (par défaut) ou en direct",
        "Results at closing (default) or live",
    ),
    "poll.create.receipts": ("recus", "receipts"),
    "poll.create.receipts.description": (
        "Donner à chaque votant un reçu pour retrouver son bulletin",
        "Give each voter a receipt to find their ballot",
    ),
    "poll.create.changeable": ("modifiable", "changeable"),
    "poll.create.changeable.description": (
        "Bulletin modifiable jusqu'à la clôture (oui) ; non : définitif, sans lien au votant",
        "Ballots can be changed until closing (yes); no: final, with no link to the voter",
    ),
    "poll.create.max": ("max", "max"),
    "poll.create.max.description": (
        "Nombre maximal d'options approuvées ou classées",
        "Maximum number of options approved or ranked",
    ),
    "poll.show": ("voir", "show"),
    "poll.show.description": ("Afficher un scrutin, pour voter", "Show a poll, to vote"),
    "poll.list": ("liste", "list"),
    "poll.list.description": (
        "Les scrutins ouverts et les derniers clos",
        "Open polls and the latest closed ones",
    ),
    "poll.results": ("resultats", "results"),
    "poll.results.description": (
        "Résultats, ou décompte provisoire quand il est public",
        "Results, or the provisional count when it is public",
    ),
    "poll.close": ("clore", "close"),
    "poll.close.description": (
        "(Modération) Clore un scrutin maintenant et publier le résultat",
        "(Moderators) Close a poll now and post the result",
    ),
    "poll.export": ("export", "export"),
    "poll.export.description": (
        "(Modération) Les bulletins anonymisés en JSON, pour recompter",
        "(Moderators) The anonymised ballots as JSON, for a recount",
    ),
    # Choices.
    "poll.method.single": ("unique", "single"),
    "poll.method.approval": ("approbation", "approval"),
    "poll.method.schulze": ("schulze", "schulze"),
    "poll.method.irv": ("irv", "irv"),
    "poll.method.majority_judgment": ("jugement", "judgment"),
    "poll.voters.everyone": ("tous", "everyone"),
    "poll.voters.signatories": ("signataires", "signatories"),
    "poll.voters.role": ("role", "role"),
    "poll.when.end": ("fin", "end"),
    "poll.when.live": ("direct", "live"),
}
declare_texts(COMMANDS)

METHOD_CHOICES = [
    app_commands.Choice(name=text(f"poll.method.{key}"), value=key)
    for key in ("single", "approval", "schulze", "irv", "majority_judgment")
]
VOTER_CHOICES = [app_commands.Choice(name=text(f"poll.voters.{key}"), value=key)
                 for key in ("everyone", "signatories", "role")]
RESULT_CHOICES = [app_commands.Choice(name=text(f"poll.when.{key}"), value=key)
                  for key in ("end", "live")]
NUMBERS = re.compile(r"[\s,;]+")
MaxChoices = whole(N_("The maximum number of choices"), 1, MAX_OPTIONS)


# -- pure helpers --------------------------------------------------------------------------


def split_options(value: str | None) -> tuple[str, ...]:
    """``"Lyon; Paris;;Nantes"`` → ``("Lyon", "Paris", "Nantes")``."""
    return tuple(part.strip() for part in (value or "").split(";") if part.strip())


def split_numbers(value: str | None) -> tuple[int, ...]:
    """``"1, #2;3"`` → ``(1, 2, 3)``."""
    numbers = []
    for word in NUMBERS.split(value or ""):
        word = word.lstrip("#")
        if not word:
            continue
        numbers.append(parse_whole(word, field=DEMAND_NUMBER, low=1, high=ID_MAX))
    return tuple(numbers)


def ranking_arg(number: int, ranking: str) -> str:
    return f"{number}.{ranking}" if ranking else str(number)


def parse_ranking(arg: str | None, keys: Sequence[str] | None = None) -> tuple[int, str]:
    """``"12.BA"`` → ``(12, "BA")``; checked against the poll's option keys when given."""
    head, _sep, ranking = (arg or "").partition(".")
    number = custom_number(head)
    if any(key not in OPTION_KEYS for key in ranking) or len(set(ranking)) != len(ranking):
        raise UnknownComponent()
    if keys is not None and any(key not in keys for key in ranking):
        raise UnknownComponent()
    return number, ranking


def grade_code(grade: str) -> str:
    return str([g.value for g in voting.GRADES].index(grade))


def parse_grades(arg: str | None, parts: int) -> tuple[int, str, str | None]:
    """``"12.2-5.B"`` → ``(12, "2-5", "B")`` (``parts`` = 2 or 3 dot-separated parts)."""
    pieces = (arg or "").split(".")
    if len(pieces) != parts:
        raise UnknownComponent()
    number = custom_number(pieces[0])
    grades = pieces[1]
    if not grades or any(c != UNGRADED and not ("0" <= c < str(len(voting.GRADES)))
                         for c in grades):
        raise UnknownComponent()
    return number, grades, pieces[2] if parts == 3 else None


def graded_ballot(keys: Sequence[str], grades: str) -> dict[str, str]:
    """The majority-judgment ballot of a grades string (ungraded options left out)."""
    return {key: voting.GRADES[int(code)].value
            for key, code in zip(keys, grades, strict=True) if code != UNGRADED}


def ranked_ballot(ranking: str) -> tuple[tuple[str, ...], ...]:
    return tuple((key,) for key in ranking)


# -- messages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of the voting form: a message (its actions are buttons) and selects."""

    message: Message
    selects: tuple[discord.ui.Select[Any], ...] = field(default=())

    def view(self) -> discord.ui.View | None:
        if not self.selects and not self.message.actions:
            return None
        result = discord.ui.View(timeout=None)
        for row, select in enumerate(self.selects):
            select.row = row
            result.add_item(ActionButton(select))  # type: ignore[arg-type]
        for index, action in enumerate(self.message.actions):
            item = button(action)
            item.row = len(self.selects) + index // BUTTONS_PER_ROW
            result.add_item(item)
        return result


def option_text(key: str, label: str, limit: int = SELECT_LABEL_LIMIT) -> str:
    return shorten(f"{key}. {label}", limit)


def labelled(info: PollInfo, key: str) -> str:
    for option in info.options:
        if option.key == key:
            return f"**{key}.** {escape(option.label)}"
    return key


def step_message(info: PollInfo, lines: Sequence[str], actions: Sequence[Action] = (),
                 footer: str = "") -> Message:
    extra = (_("You have voted; you may change your ballot until closing."),) \
        if info.voted else ()
    return Message(
        title=translate("Poll {number}: {title}", number=info.id, title=escape(info.title)),
        lines=(*lines, *extra), actions=tuple(actions), footer=footer,
        visibility=Visibility.EPHEMERAL,
    )


def blank_action(info: PollInfo) -> Action:
    return Action(custom_id(BLANK_ACTION, info.id), _("Vote blank"), style="secondary")


def choice_step(info: PollInfo) -> Step:
    approval = info.method == "approval"
    instruction = (_("Choose every option you approve of.") if approval
                   else _("Choose one option."))
    select: discord.ui.Select[Any] = discord.ui.Select(
        custom_id=custom_id(APPROVE_ACTION if approval else SINGLE_ACTION, info.id),
        placeholder=shorten(instruction, SELECT_LABEL_LIMIT),
        min_values=1,
        max_values=len(info.options) if approval else 1,
        options=[discord.SelectOption(label=option_text(o.key, o.label), value=o.key)
                 for o in info.options],
    )
    return Step(step_message(info, [instruction], [blank_action(info)]), (select,))


def ranking_step(info: PollInfo, ranking: str) -> Step:
    remaining = [o for o in info.options if o.key not in ranking]
    lines: list[str] = []
    if ranking:
        lines.append(_("Your ranking so far:"))
        lines.extend(f"{place}. {labelled(info, key)}"
                     for place, key in enumerate(ranking, start=1))
    selects: tuple[discord.ui.Select[Any], ...] = ()
    if remaining:
        instruction = translate("Choose your choice number {rank}.", rank=len(ranking) + 1)
        lines.append(instruction)
        if ranking:
            lines.append(_("Options you leave out rank below the ones you rank."))
        selects = (discord.ui.Select(
            custom_id=custom_id(RANK_ACTION, ranking_arg(info.id, ranking)),
            placeholder=shorten(instruction, SELECT_LABEL_LIMIT),
            options=[discord.SelectOption(label=option_text(o.key, o.label), value=o.key)
                     for o in remaining],
        ),)
    else:
        lines.append(_("Every option is ranked: submit your ballot."))
    if ranking:
        actions = [
            Action(custom_id(RANKED_ACTION, ranking_arg(info.id, ranking)),
                   _("Submit my ballot"), style="success"),
            Action(custom_id(RANK_ACTION, info.id), _("Start again"), style="secondary"),
        ]
    else:
        actions = [blank_action(info)]
    return Step(step_message(info, lines, actions), selects)


def grading_step(info: PollInfo, grades: str, page: int) -> Step:
    count = len(info.options)
    pages = max(1, -(-count // GRADES_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    start = page * GRADES_PER_PAGE
    shown = info.options[start:start + GRADES_PER_PAGE]
    lines = [translate("Give each option a grade. An option left without a grade counts as "
                       "“{grade}”.", grade=render.grade_label(voting.Grade.A_REJETER.value))]
    lines.extend(labelled(info, option.key) for option in shown)
    selects = tuple(
        discord.ui.Select(
            custom_id=custom_id(GRADE_ACTION, f"{info.id}.{grades}.{option.key}"),
            placeholder=option_text(option.key, option.label),
            options=[
                discord.SelectOption(
                    label=f"{option.key} · {render.grade_label(grade.value)}",
                    value=grade.value,
                    default=grades[start + offset] == str(code),
                )
                for code, grade in enumerate(voting.GRADES)
            ],
        )
        for offset, option in enumerate(shown)
    )
    actions = []
    if page > 0:
        actions.append(Action(custom_id(GRADES_ACTION, f"{info.id}.{grades}.{page - 1}"),
                              _("Previous page"), style="secondary"))
    if page < pages - 1:
        actions.append(Action(custom_id(GRADES_ACTION, f"{info.id}.{grades}.{page + 1}"),
                              _("Next page"), style="secondary"))
    actions.append(Action(custom_id(GRADED_ACTION, f"{info.id}.{grades}"),
                          _("Submit my ballot"), style="success"))
    if set(grades) == {UNGRADED}:
        actions.append(blank_action(info))
    footer = translate("Page {page}/{pages}", page=page + 1, pages=pages) if pages > 1 else ""
    return Step(step_message(info, lines, actions, footer), selects)


def first_step(info: PollInfo) -> Step:
    if info.method in ("schulze", "irv"):
        return ranking_step(info, "")
    if info.method == "majority_judgment":
        return grading_step(info, UNGRADED * len(info.options), 0)
    return choice_step(info)


def poll_message(info: PollInfo, tally: PollResult | None) -> Message:
    """The poll as everyone sees it, with the count when it is public (the Vote
    button replaces the hint about the text command)."""
    base = render.poll(dataclasses.replace(info, voted=False))
    hint = translate("To vote: {example}",
                     example=EXAMPLES[info.method].replace("N", str(info.id)))
    base = dataclasses.replace(base, lines=tuple(line for line in base.lines if line != hint))
    if tally is None:
        return base
    counted = render.results(tally)
    return dataclasses.replace(
        base, fields=(*base.fields, Field(counted.title, "\n".join(counted.lines))),
    )


async def public_poll(core: Core, actor: Actor, place: Place, info: PollInfo) -> Message:
    """:func:`poll_message` with the count, when everyone may see it."""
    tally = None
    if info.live_results or info.status == "closed":
        tally = await core.polls.results(actor, place, info.id)
    return poll_message(info, tally)


def check_open(info: PollInfo) -> None:
    if info.status == "scheduled":
        raise InvalidInput(N_("This poll is not open yet."))
    if info.status != "open":
        raise InvalidInput(N_("This poll is closed: ballots are no longer accepted."))


def selected(call: Call) -> list[str]:
    values = (call.interaction.data or {}).get("values")
    return [str(value) for value in values] if isinstance(values, list) else []


# -- the cog -------------------------------------------------------------------------------


class Polls(commands.Cog):
    group = app_commands.Group(
        name=text("poll"),
        description=text("poll.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    def __init__(self, bot: DiscordBot) -> None:
        self.bot = bot
        self.live = LiveMessages(bot)

    async def cog_load(self) -> None:
        router = self.bot.router
        router.add_action(VOTE_ACTION, self.vote_button)
        router.add_action(SINGLE_ACTION, self.single_chosen)
        router.add_action(APPROVE_ACTION, self.approval_chosen)
        router.add_action(BLANK_ACTION, self.blank_chosen)
        router.add_action(RANK_ACTION, self.rank_chosen)
        router.add_action(RANKED_ACTION, self.ranking_done)
        router.add_action(GRADE_ACTION, self.grade_chosen)
        router.add_action(GRADES_ACTION, self.grades_page)
        router.add_action(GRADED_ACTION, self.grades_done)

    async def cog_unload(self) -> None:
        self.bot.router.remove("poll:")
        await self.live.aclose()

    # -- commands --------------------------------------------------------------------------

    @group.command(name=text("poll.create"), description=text("poll.create.description"))
    @app_commands.rename(
        title=text("poll.create.title"), closes=text("poll.create.closes"),
        method=text("poll.create.method"), options=text("poll.create.options"),
        demands=text("poll.create.demands"), opens=text("poll.create.opens"),
        quorum=text("poll.create.quorum"), voters=text("poll.create.voters"),
        role=text("poll.create.role"), secret=text("poll.create.secret"),
        results=text("poll.create.results"), receipts=text("poll.create.receipts"),
        changeable=text("poll.create.changeable"), max_choices=text("poll.create.max"),
    )
    @app_commands.describe(
        title=text("poll.create.title.description"),
        closes=text("poll.create.closes.description"),
        method=text("poll.create.method.description"),
        options=text("poll.create.options.description"),
        demands=text("poll.create.demands.description"),
        opens=text("poll.create.opens.description"),
        quorum=text("poll.create.quorum.description"),
        voters=text("poll.create.voters.description"),
        role=text("poll.create.role.description"),
        secret=text("poll.create.secret.description"),
        results=text("poll.create.results.description"),
        receipts=text("poll.create.receipts.description"),
        changeable=text("poll.create.changeable.description"),
        max_choices=text("poll.create.max.description"),
    )
    @app_commands.choices(method=METHOD_CHOICES, voters=VOTER_CHOICES, results=RESULT_CHOICES)
    async def create(
        self,
        interaction: discord.Interaction,
        title: app_commands.Range[str, 1, TITLE_LIMIT],
        closes: app_commands.Range[str, 1, 80],
        method: str = "single",
        options: app_commands.Range[str, 1, MAX_OPTIONS * (LABEL_LIMIT + 1)] | None = None,
        demands: app_commands.Range[str, 1, 200] | None = None,
        opens: app_commands.Range[str, 1, 80] | None = None,
        quorum: app_commands.Range[str, 1, 10] | None = None,
        voters: str | None = None,
        role: discord.Role | None = None,
        secret: bool = True,
        results: str = "end",
        receipts: bool = False,
        changeable: bool = True,
        max_choices: MaxChoices | None = None,
    ) -> None:
        async with self.bot.begin(interaction) as call:
            eligibility = voters or ("role" if role is not None else "everyone")
            draft = PollDraft(
                title=title, method=method, options=split_options(options),
                proposals=split_numbers(demands), opens=opens, closes=closes, quorum=quorum,
                eligibility=eligibility,
                role=str(role.id) if role is not None and eligibility == "role" else None,
                secret=secret, live_results=results == "live", receipts=receipts,
                max_choices=max_choices, final=not changeable,
            )
            info = await call.core.polls.create(call.actor, call.place, draft)
            call.core.scheduler.wake()  # the closing job may be due before its next round
            await self.post_poll(call, info)

    @group.command(name=text("poll.show"), description=text("poll.show.description"))
    @app_commands.rename(number=text("poll.number"))
    @app_commands.describe(number=text("poll.number.description"))
    async def show(self, interaction: discord.Interaction, number: Number) -> None:
        async with self.bot.begin(interaction) as call:
            await self.post_poll(call, await call.core.polls.show(call.actor, call.place, number))

    @group.command(name=text("poll.list"), description=text("poll.list.description"))
    async def listing(self, interaction: discord.Interaction) -> None:
        async with self.bot.begin(interaction) as call:
            await call.reply(render.listing(await call.core.polls.listing(call.actor, call.place)))

    @group.command(name=text("poll.results"), description=text("poll.results.description"))
    @app_commands.rename(number=text("poll.number"))
    @app_commands.describe(number=text("poll.number.description"))
    async def results(self, interaction: discord.Interaction, number: Number) -> None:
        async with self.bot.begin(interaction) as call:
            result = await call.core.polls.results(call.actor, call.place, number)
            # A provisional count may be one only moderators can see: keep it private.
            await call.reply(render.results(result), ephemeral=not result.final)

    @group.command(name=text("poll.close"), description=text("poll.close.description"))
    @app_commands.rename(number=text("poll.number"))
    @app_commands.describe(number=text("poll.number.description"))
    async def close(self, interaction: discord.Interaction, number: Number) -> None:
        async with self.bot.begin(interaction) as call:
            result, announcements = await call.core.polls.close(number, actor=call.actor,
                                                                place=call.place)
            await call.reply(render.results(result))
            self.refresh(call, number)
            await call.core.outbox.deliver(announcements)

    @group.command(name=text("poll.export"), description=text("poll.export.description"))
    @app_commands.rename(number=text("poll.number"))
    @app_commands.describe(number=text("poll.number.description"))
    async def export(self, interaction: discord.Interaction, number: Number) -> None:
        async with self.bot.begin(interaction) as call:
            await call.defer(ephemeral=True)
            result = await call.core.polls.export(call.actor, call.place, number)
            await call.reply(render.exported(result))

    # -- the public poll message -------------------------------------------------------------

    async def post_poll(self, call: Call, info: PollInfo) -> None:
        message = await public_poll(call.core, call.actor, call.place, info)
        message_id = await post(call, message, ephemeral=False)
        self.live.remember(("poll", info.id), call.interaction.guild_id,
                           call.interaction.channel_id, message_id)

    def refresh(self, call: Call, number: int) -> None:
        """Update the public messages showing poll ``number`` (throttled)."""
        locale = current_locale()
        core, actor, place = call.core, call.actor, call.place

        async def build() -> Message:
            with use_locale(locale):
                info = await core.polls.show(actor, place, number)
                return await public_poll(core, actor, place, info)

        self.live.refresh(("poll", number), build)

    # -- voting ------------------------------------------------------------------------------

    async def vote_button(self, call: Call, arg: str | None) -> None:
        number = number_of(arg)
        self.live.remember_source(("poll", number), call.interaction)
        info = await call.core.polls.show(call.actor, call.place, number)
        check_open(info)
        if info.final and info.voted:  # nothing to choose: say so before the form
            raise InvalidInput(ALREADY_FINAL)
        step = first_step(info)
        kwargs: dict[str, Any] = {"embed": embed(step.message), "ephemeral": True,
                                  "allowed_mentions": discord.AllowedMentions.none()}
        view = step.view()
        if view is not None:
            kwargs["view"] = view
        await call.interaction.response.send_message(**kwargs)

    async def show_step(self, call: Call, step: Step | Message) -> None:
        """Replace the private voting message with the next step (or the confirmation)."""
        if isinstance(step, Message):
            step = Step(step)
        await call.interaction.response.edit_message(
            embed=embed(step.message), view=step.view(),
            allowed_mentions=discord.AllowedMentions.none(),
        )

    async def open_poll(self, call: Call, number: int) -> PollInfo:
        info = await call.core.polls.show(call.actor, call.place, number)
        check_open(info)
        return info

    async def cast(self, call: Call, number: int, ballot: Any) -> None:
        result = await call.core.polls.vote(call.actor, call.place, number, ballot)
        await self.show_step(call, render.voted(result))
        self.refresh(call, number)

    async def single_chosen(self, call: Call, arg: str | None) -> None:
        values = selected(call)
        if len(values) != 1:
            raise UnknownComponent()
        await self.cast(call, number_of(arg), values[0])

    async def approval_chosen(self, call: Call, arg: str | None) -> None:
        await self.cast(call, number_of(arg), selected(call))

    async def blank_chosen(self, call: Call, arg: str | None) -> None:
        number = number_of(arg)
        info = await call.core.polls.show(call.actor, call.place, number)
        await self.cast(call, number, BLANK_BALLOTS[info.method])

    async def rank_chosen(self, call: Call, arg: str | None) -> None:
        """The next choice of a ranking (a select), or "Start again" (a button)."""
        number, ranking = parse_ranking(arg)
        info = await self.open_poll(call, number)
        keys = [option.key for option in info.options]
        parse_ranking(arg, keys)
        for value in selected(call)[:1]:
            if value not in keys:
                raise UnknownComponent()
            if value not in ranking:
                ranking += value
        await self.show_step(call, ranking_step(info, ranking))

    async def ranking_done(self, call: Call, arg: str | None) -> None:
        number, ranking = parse_ranking(arg)
        await self.cast(call, number, ranked_ballot(ranking))

    async def grade_chosen(self, call: Call, arg: str | None) -> None:
        number, grades, key = parse_grades(arg, 3)
        info = await self.open_poll(call, number)
        keys = [option.key for option in info.options]
        values = selected(call)
        if len(grades) != len(keys) or key not in keys or len(values) != 1 \
                or values[0] not in render.GRADES:
            raise UnknownComponent()
        index = keys.index(key)
        grades = grades[:index] + grade_code(values[0]) + grades[index + 1:]
        await self.show_step(call, grading_step(info, grades, index // GRADES_PER_PAGE))

    async def grades_page(self, call: Call, arg: str | None) -> None:
        number, grades, page = parse_grades(arg, 3)
        info = await self.open_poll(call, number)
        if len(grades) != len(info.options) or page is None:
            raise UnknownComponent()
        await self.show_step(call, grading_step(info, grades,
                                                custom_number(page, low=0, high=MAX_OPTIONS)))

    async def grades_done(self, call: Call, arg: str | None) -> None:
        number, grades, _page = parse_grades(arg, 2)
        info = await call.core.polls.show(call.actor, call.place, number)
        keys = [option.key for option in info.options]
        if len(grades) != len(keys):
            raise UnknownComponent()
        await self.cast(call, number, graded_ballot(keys, grades))


async def setup(bot: DiscordBot) -> None:
    await bot.add_cog(Polls(bot))

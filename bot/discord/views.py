"""Buttons and forms that keep working after a restart.

Every component and form the bot sends has a stable ``custom_id`` of the form
``workflow:action`` or ``workflow:action:argument`` (``tribune:sign``,
``tribune:list:2``). Nothing is kept in memory per message:

- buttons are :class:`ActionButton`, a ``DynamicItem`` whose template matches
  every such id; the bot registers it once at startup
  (``add_dynamic_items``), so discord.py hands it any click, including on a
  message posted before the restart. Its callback looks the action up in the
  :class:`Router` where each cog registered its handlers;
- forms (modals) are built here for display only; their submissions are routed
  by ``custom_id`` through the same :class:`Router`, reading the submitted
  values from the interaction payload, so a form opened before a restart can
  still be submitted after it.

Most actions only make sense in a guild: a click is answered in the guild's
collective. An action registered with ``direct=True`` also works in a direct
message, which carries no guild: its argument names the guild after a dot
(``aid:confirm:12.345`` is item 12 of guild 345, see :func:`direct_arg`), and
the click counts in that guild's collective, by the user who clicked, never as a
moderator (a direct message shows no rights).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ui import DynamicItem

if TYPE_CHECKING:
    from bot.discord.context import Call

ACTION_NAME = re.compile(r"[a-z][a-z0-9-]*:[a-z][a-z0-9-]*")
ACTION_ID = re.compile(r"(?P<name>[a-z][a-z0-9-]*:[a-z][a-z0-9-]*)(?::(?P<arg>[\w.-]{1,64}))?")

FormValues = dict[str, str | list[str]]
ActionHandler = Callable[["Call", str | None], Awaitable[None]]
FormHandler = Callable[["Call", FormValues, str | None], Awaitable[None]]


def parse_custom_id(custom_id: str) -> tuple[str, str | None] | None:
    """``"tribune:list:2"`` → ``("tribune:list", "2")``; None when not an action id."""
    match = ACTION_ID.fullmatch(custom_id)
    if match is None:
        return None
    return match["name"], match["arg"]


def custom_id(name: str, arg: str | int | None = None) -> str:
    """The ``custom_id`` of an action, checked against the convention above."""
    value = name if arg is None else f"{name}:{arg}"
    if ACTION_ID.fullmatch(value) is None:
        raise ValueError(f"not a valid action custom_id: {value!r}")
    return value


def direct_arg(arg: str | int, guild_id: str | int) -> str:
    """The argument of a direct action's button: ``12`` of guild ``345`` → ``"12.345"``."""
    return f"{arg}.{guild_id}"


def named_guild(arg: str | None) -> int | None:
    """The guild an argument names after its last dot (``"12.345"`` → 345); None when
    it names none."""
    _rest, dot, guild = (arg or "").rpartition(".")
    return int(guild) if dot and guild.isascii() and guild.isdigit() else None


class Router:
    """Action and form handlers by name, registered by the cogs."""

    def __init__(self) -> None:
        self._actions: dict[str, ActionHandler] = {}
        self._forms: dict[str, FormHandler] = {}
        self._direct: set[str] = set()

    @staticmethod
    def _check(name: str, table: dict[str, Any]) -> None:
        if ACTION_NAME.fullmatch(name) is None:
            raise ValueError(f"action name {name!r} must look like 'workflow:action'")
        if name in table:
            raise ValueError(f"{name!r} is registered twice")

    def add_action(self, name: str, handler: ActionHandler, *, direct: bool = False) -> None:
        """Route clicks on ``name``; ``direct``: in direct messages too (see the module's
        notes)."""
        self._check(name, self._actions)
        self._actions[name] = handler
        if direct:
            self._direct.add(name)

    def add_form(self, name: str, handler: FormHandler) -> None:
        self._check(name, self._forms)
        self._forms[name] = handler

    def remove(self, prefix: str) -> None:
        """Forget every action and form of a workflow (``"tribune:"``)."""
        for table in (self._actions, self._forms):
            for name in [n for n in table if n.startswith(prefix)]:
                del table[name]
        self._direct = {n for n in self._direct if not n.startswith(prefix)}

    def action(self, custom_id: str) -> tuple[ActionHandler, str | None] | None:
        parsed = parse_custom_id(custom_id)
        if parsed is None or parsed[0] not in self._actions:
            return None
        return self._actions[parsed[0]], parsed[1]

    def is_direct(self, custom_id: str) -> bool:
        """Whether a click on ``custom_id`` may come from a direct message."""
        parsed = parse_custom_id(custom_id)
        return parsed is not None and parsed[0] in self._direct

    def form(self, custom_id: str) -> tuple[FormHandler, str | None] | None:
        parsed = parse_custom_id(custom_id)
        if parsed is None or parsed[0] not in self._forms:
            return None
        return self._forms[parsed[0]], parsed[1]


class ActionButton(DynamicItem[discord.ui.Button], template=ACTION_ID):
    """Any button whose ``custom_id`` follows the action convention."""

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionButton:
        return cls(item)  # type: ignore[arg-type]

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.client.run_action(interaction, self.custom_id)  # type: ignore[attr-defined]


def message_custom_ids(message: discord.Message | None) -> set[str]:
    """``custom_id`` of every component of a message (inside rows too)."""
    found: set[str] = set()
    if message is None:
        return found

    def walk(components: Sequence[Any]) -> None:
        for component in components:
            value = getattr(component, "custom_id", None)
            if isinstance(value, str):
                found.add(value)
            walk(getattr(component, "children", ()) or ())

    walk(message.components)
    return found


# -- forms -----------------------------------------------------------------------------

TITLE_LIMIT = 45
LABEL_LIMIT = 45
DESCRIPTION_LIMIT = 100
OPTION_LABEL_LIMIT = 100
TEXT_INPUT_LIMIT = 4000


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_field(
    field_id: str,
    label: str,
    *,
    default: str | None = None,
    max_length: int | None = None,
    required: bool = True,
    paragraph: bool = False,
    description: str | None = None,
    placeholder: str | None = None,
) -> discord.ui.Label:
    limit = min(max_length or TEXT_INPUT_LIMIT, TEXT_INPUT_LIMIT)
    return discord.ui.Label(
        text=_cut(label, LABEL_LIMIT),
        description=_cut(description, DESCRIPTION_LIMIT) if description else None,
        component=discord.ui.TextInput(
            custom_id=field_id,
            style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
            default=default[:limit] if default else None,
            max_length=limit,
            required=required,
            placeholder=_cut(placeholder, DESCRIPTION_LIMIT) if placeholder else None,
        ),
    )


def choice_field(
    field_id: str,
    label: str,
    choices: Iterable[tuple[str, str]],
    *,
    default: str | None = None,
    description: str | None = None,
) -> discord.ui.Label:
    """A required single choice; ``choices`` are ``(value, label)`` pairs."""
    options = [
        discord.SelectOption(label=_cut(text, OPTION_LABEL_LIMIT), value=value,
                             default=value == default)
        for value, text in choices
    ]
    return discord.ui.Label(
        text=_cut(label, LABEL_LIMIT),
        description=_cut(description, DESCRIPTION_LIMIT) if description else None,
        component=discord.ui.Select(custom_id=field_id, options=options, min_values=1,
                                    max_values=1, required=True),
    )


def form(form_id: str, title: str, fields: Iterable[discord.ui.Item[Any]]) -> discord.ui.Modal:
    """A modal to open with ``interaction.response.send_modal``; its submission is routed
    by ``form_id`` (see :class:`Router`), not by this object."""
    modal = discord.ui.Modal(title=_cut(title, TITLE_LIMIT), custom_id=form_id, timeout=None)
    for item in fields:
        modal.add_item(item)
    return modal


def submitted_values(components: Any) -> FormValues:
    """Values of a modal submission payload by field ``custom_id``.

    Text inputs give a string, selects a list of strings. Unknown shapes are skipped.
    """
    values: FormValues = {}

    def leaf(component: Any) -> None:
        if not isinstance(component, dict):
            return
        field_id = component.get("custom_id")
        if not isinstance(field_id, str):
            return
        if isinstance(component.get("values"), list):
            values[field_id] = [str(v) for v in component["values"]]
        elif component.get("value") is not None:
            values[field_id] = str(component["value"])

    def walk(items: Any) -> None:
        if not isinstance(items, list):
            return
        for component in items:
            if not isinstance(component, dict):
                continue
            if isinstance(component.get("components"), list):
                walk(component["components"])
            elif isinstance(component.get("component"), dict):
                leaf(component["component"])
            else:
                leaf(component)

    walk(components)
    return values


def first(values: FormValues, field_id: str) -> str | None:
    """A submitted value as one string (the first choice of a select)."""
    value = values.get(field_id)
    if isinstance(value, list):
        return value[0] if value else None
    return value


__all__ = [
    "ACTION_ID",
    "ActionButton",
    "FormValues",
    "Router",
    "choice_field",
    "custom_id",
    "direct_arg",
    "first",
    "form",
    "message_custom_ids",
    "named_guild",
    "parse_custom_id",
    "submitted_values",
    "text_field",
]


class ChannelOption(app_commands.Transformer):
    """A text or announcement channel option, taken from the interaction (no cache needed)."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(self, interaction: discord.Interaction, value: object) -> object:
        return value

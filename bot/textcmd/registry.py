"""Text commands (``!tribune signer nom=...``) shared by the Matrix and console adapters.

Commands are declared once with their French and English names; both are
always accepted. Resolution is by whole words after folding case and accents,
never by prefix, and an unknown word gets the closest known name suggested.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from bot.core.app import Core
from bot.core.errors import InvalidInput
from bot.core.i18n import N_, _, current_locale, localize
from bot.core.numbers import ID_MAX, PAGE_MAX, InvalidNumber, parse_whole
from bot.core.render.message import Message
from bot.core.text import fold, valid_text
from bot.core.types import Actor, Place


@dataclass(frozen=True, slots=True)
class Invocation:
    """Who typed what, where."""

    core: Core
    actor: Actor
    place: Place
    args: tuple[str, ...]
    options: dict[str, str]
    raw_args: str
    prefix: str


Handler = Callable[[Invocation], Awaitable[Sequence[Message]]]


@dataclass
class Command:
    fr: str
    en: str
    summary: str
    usage_fr: str = ""
    usage_en: str = ""
    handler: Handler | None = None
    aliases: tuple[str, ...] = ()
    moderator: bool = False
    children: list[Command] = field(default_factory=list)

    def names(self) -> tuple[str, ...]:
        return (self.fr, self.en, *self.aliases)

    def name(self, locale: str) -> str:
        return self.en if locale == "en" else self.fr

    def usage(self, locale: str) -> str:
        return self.usage_en if locale == "en" else self.usage_fr

    def child(self, word: str) -> Command | None:
        folded = fold(word)
        for command in self.children:
            if folded in {fold(name) for name in command.names()}:
                return command
        return None


class UnknownCommand(InvalidInput):
    message = N_("Unknown command “{word}”. Did you mean {suggestion}? Type {help} for the list.")


class UnknownCommandNoSuggestion(InvalidInput):
    message = N_("Unknown command “{word}”. Type {help} for the list of commands.")


_CLOSING = {'"': '"', "“": "”", "«": "»", "„": "“"}


class NumberWithUsage(InvalidNumber):
    """A number typed where a command expects one, refused, with the command's usage."""

    message = N_("{field} must be a whole number from {low} to {high}. Usage: {usage}")


def page_number(args: Sequence[str]) -> int:
    """The page a listing command asks for: 1 without argument, else its number."""
    if not args:
        return 1
    if len(args) != 1:
        raise InvalidInput(N_("The page must be a number, for example 2."))
    return parse_whole(args[0], field=N_("The page"), low=1, high=PAGE_MAX)


def number_arg(inv: Invocation, usage: str, *, field: str = N_("The number"),
               index: int = 0) -> int:
    """The record number (``12`` or ``#12``) at ``inv.args[index]``: 1 to ID_MAX.

    Missing: the usage. Not a number, or out of range: the range and the usage.
    """
    shown = f"{inv.prefix}{usage}"
    if len(inv.args) <= index:
        raise InvalidInput(N_("Usage: {usage}"), usage=shown)
    return record_number(inv.args[index], field=field, usage=shown)


def record_number(word: str, *, field: str = N_("The number"), usage: str = "") -> int:
    """``"12"`` or ``"#12"`` as a record number (1 to ID_MAX); refused with the range
    (and ``usage`` when given) otherwise."""
    try:
        return parse_whole(word.removeprefix("#"), field=field, low=1, high=ID_MAX)
    except InvalidNumber as exc:
        if not usage:
            raise
        raise NumberWithUsage(**exc.params, usage=usage) from None


def split_words(text: str) -> list[str]:
    """Split on spaces; double quotes, “…” and «…» group words (``nom="Alice Martin"``).

    Apostrophes are ordinary letters (``ville=L'Haÿ-les-Roses``).
    """
    words: list[str] = []
    current: list[str] = []
    has_word = False
    closing: str | None = None
    for char in text:
        if closing is not None:
            if char == closing:
                closing = None
            else:
                current.append(char)
        elif char in _CLOSING:
            closing = _CLOSING[char]
            has_word = True
        elif char.isspace():
            if has_word:
                words.append("".join(current).strip())
                current, has_word = [], False
        else:
            current.append(char)
            has_word = True
    if closing is not None:
        raise InvalidInput(
            N_("A quotation mark is not closed. Close it, or remove it, and try again.")
        )
    if has_word:
        words.append("".join(current).strip())
    return words


def split_options(words: Sequence[str]) -> tuple[tuple[str, ...], dict[str, str]]:
    """Positional words and ``key=value`` options (keys folded)."""
    args: list[str] = []
    options: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key and " " not in key:
            options[fold(key)] = value
        else:
            args.append(word)
    return tuple(args), options


class Registry:
    def __init__(self, prefix: str = "!") -> None:
        self.prefix = prefix
        self.roots: list[Command] = []

    def add(self, command: Command) -> Command:
        self.roots.append(command)
        return command

    def root(self, word: str) -> Command | None:
        folded = fold(word)
        for command in self.roots:
            if folded in {fold(name) for name in command.names()}:
                return command
        return None

    def strip_prefix(self, text: str, *, required: bool) -> str | None:
        """The command text without its prefix, or None when the line is not for us."""
        text = text.strip()
        if self.prefix and text.startswith(self.prefix):
            return text[len(self.prefix):].lstrip()
        return None if required else text

    def _suggest(self, word: str, candidates: Sequence[Command], parent: str) -> str | None:
        names: dict[str, str] = {}
        locale = current_locale()
        for command in candidates:
            for name in command.names():
                names.setdefault(fold(name), command.name(locale))
        close = difflib.get_close_matches(fold(word), list(names), n=1, cutoff=0.5)
        if not close:
            return None
        return f"{self.prefix}{parent}{names[close[0]]}"

    def resolve(self, words: Sequence[str]) -> tuple[Command, int]:
        """The command named by the first words and how many words it used."""
        help_word = self.prefix + ("help" if current_locale() == "en" else "aide")
        command = self.root(words[0])
        if command is None:
            suggestion = self._suggest(words[0], self.roots, "")
            if suggestion:
                raise UnknownCommand(word=words[0], suggestion=suggestion, help=help_word)
            raise UnknownCommandNoSuggestion(word=words[0], help=help_word)
        used = 1
        while command.children and used < len(words) and "=" not in words[used]:
            child = command.child(words[used])
            if child is None:
                if command.handler is not None and not _looks_like_word(words[used]):
                    break
                parent = " ".join(words[:used]) + " "
                suggestion = self._suggest(words[used], command.children, parent)
                if suggestion:
                    raise UnknownCommand(word=words[used], suggestion=suggestion, help=help_word)
                raise UnknownCommandNoSuggestion(word=words[used], help=help_word)
            command = child
            used += 1
        return command, used

    async def dispatch(
        self, core: Core, actor: Actor, place: Place, text: str
    ) -> Sequence[Message]:
        """Run one command line (without prefix). Raises DomainError on bad input."""
        text = valid_text(text)
        words = split_words(text)
        if not words:
            raise UnknownCommandNoSuggestion(word="", help=self.prefix + "aide")
        command, used = self.resolve(words)
        if command.handler is None:
            return [self.help_for(command)]
        rest = words[used:]
        args, options = split_options(rest)
        raw = text.split(None, used)[used] if len(text.split(None, used)) > used else ""
        return await command.handler(
            Invocation(core, actor, place, args, options, raw, self.prefix)
        )

    def help_for(self, command: Command | None = None) -> Message:
        locale = current_locale()
        lines: list[str] = []
        commands = command.children if command else self.roots
        title = _("Commands")
        if command is not None:
            title = f"{self.prefix}{command.name(locale)}"

        def walk(items: Sequence[Command], parent: str) -> None:
            for item in items:
                path = f"{parent}{item.name(locale)}"
                if item.handler is not None:
                    usage = item.usage(locale)
                    shown = f"`{self.prefix}{path}{' ' + usage if usage else ''}`"
                    mark = " " + _("(moderators)") if item.moderator else ""
                    lines.append(f"- {shown}: {localize(item.summary)}{mark}")
                walk(item.children, path + " ")

        if command is not None and command.handler is not None:
            walk([command], "")
        else:
            walk(commands, f"{command.name(locale)} " if command else "")
        return Message(title=title, lines=tuple(lines))


def _looks_like_word(word: str) -> bool:
    return word.isalpha()

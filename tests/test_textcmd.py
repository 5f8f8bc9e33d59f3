"""Parsing and resolution of text commands."""

from __future__ import annotations

import pytest

from bot.core.errors import InvalidInput
from bot.core.i18n import use_locale
from bot.textcmd import build_registry
from bot.textcmd.registry import UnknownCommand, split_options, split_words


def test_words_and_options() -> None:
    words = split_words("tribune signer nom=\"Alice Martin\" ville=L'Haÿ-les-Roses « x y »")
    assert words[2] == "nom=Alice Martin"
    args, options = split_options(words[2:])
    assert options == {"nom": "Alice Martin", "ville": "L'Haÿ-les-Roses"}
    assert args == ("x y",)
    with pytest.raises(InvalidInput):
        split_words('tribune signer nom="Alice')


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("tribune", "tribune"),
        ("TRIBUNE Signer nom=x", "signer"),
        ("tribune sign", "signer"),
        ("tribune withdraw", "retirer"),
        ("tribune liste 2", "liste"),
        ("tribune list", "liste"),
        ("help", "aide"),
    ],
)
def test_french_and_english_names(line: str, name: str) -> None:
    command, _used = build_registry().resolve(split_words(line))
    assert command.fr == name


def test_whole_words_only_and_suggestions() -> None:
    registry = build_registry()
    with use_locale("fr"), pytest.raises(UnknownCommand) as caught:
        registry.resolve(["tribunes"])
    assert caught.value.params["suggestion"] == "!tribune"
    with use_locale("en"), pytest.raises(UnknownCommand) as caught:
        registry.resolve(["tribune", "signs"])
    assert caught.value.params["suggestion"] == "!tribune sign"


def test_prefix() -> None:
    registry = build_registry("!")
    assert registry.strip_prefix("!tribune", required=True) == "tribune"
    assert registry.strip_prefix("tribune", required=True) is None
    assert registry.strip_prefix("tribune", required=False) == "tribune"

"""Slash command names and descriptions in French (default) and English.

Discord shows a command in the language of each member's client. Every name
and description is declared with :func:`text` from the table below: the French
value is what Discord registers as the default, and :class:`CommandTranslator`
gives the English one to clients in English (``en-US``, ``en-GB``).

Names must be lower case, without spaces, at most 32 characters; descriptions
at most 100 characters (a unit test checks the whole table).
"""

from __future__ import annotations

import discord
from discord import app_commands

# key -> (French, English)
COMMAND_TEXTS: dict[str, tuple[str, str]] = {
    "tribune": ("tribune", "tribune"),
    "tribune.description": (
        "La tribune du syndicat : la lire, la signer, voir qui l'a signée",
        "The union's tribune: read it, sign it, see who signed it",
    ),
    "tribune.show": ("voir", "show"),
    "tribune.show.description": (
        "Afficher la tribune, le nombre de signatures et les dernières signatures",
        "Show the tribune, its signature count and the latest signatories",
    ),
    "tribune.sign": ("signer", "sign"),
    "tribune.sign.description": (
        "Signer la tribune (ou mettre à jour votre signature)",
        "Sign the tribune (or update your signature)",
    ),
    "tribune.withdraw": ("retirer", "withdraw"),
    "tribune.withdraw.description": (
        "Retirer votre signature et supprimer ses données",
        "Withdraw your signature and delete its data",
    ),
    "tribune.list": ("liste", "list"),
    "tribune.list.description": (
        "Signataires publics et décompte par ville et par métier",
        "Public signatories and counts by city and profession",
    ),
    "tribune.list.page": ("page", "page"),
    "tribune.list.page.description": (
        "Numéro de page (1 par défaut)",
        "Page number (1 by default)",
    ),
    "tribune.export": ("export", "export"),
    "tribune.export.description": (
        "(Modération) Toutes les signatures en CSV, envoyées à vous seul·e",
        "(Moderators) Every signature as CSV, sent to you only",
    ),
    "tribune.announcements": ("annonces", "announcements"),
    "tribune.announcements.description": (
        "(Modération) Salon des annonces de paliers de signatures, ou aucun",
        "(Moderators) Channel for signature milestone announcements, or none",
    ),
    "tribune.announcements.channel": ("salon", "channel"),
    "tribune.announcements.channel.description": (
        "Salon des annonces ; laissez vide pour les désactiver",
        "Channel for announcements; leave empty to turn them off",
    ),
    "tribune.text": ("texte", "text"),
    "tribune.text.description": (
        "(Modération) Modifier le texte de la tribune (Markdown)",
        "(Moderators) Edit the tribune text (Markdown)",
    ),
    "tribune.text.file": ("fichier", "file"),
    "tribune.text.file.description": (
        "Fichier texte ou Markdown (UTF-8) ; sans fichier, un formulaire s'ouvre",
        "Text or Markdown file (UTF-8); without a file, a form opens",
    ),
    "tribune.role": ("role", "role"),
    "tribune.role.description": (
        "(Modération) Rôle donné aux signataires, ou aucun",
        "(Moderators) Role given to signatories, or none",
    ),
    "tribune.role.role": ("role", "role"),
    "tribune.role.role.description": (
        "Rôle à donner ; laissez vide pour ne plus en donner",
        "Role to give; leave empty to stop giving one",
    ),
}

# Discord client locales that get the English texts; every other locale sees French.
ENGLISH_LOCALES = frozenset({discord.Locale.american_english, discord.Locale.british_english})


def add_texts(table: dict[str, tuple[str, str]]) -> None:
    """Add a cog's own names and descriptions (keys must be new)."""
    clash = set(table) & set(COMMAND_TEXTS)
    if clash:
        raise ValueError(f"command texts declared twice: {sorted(clash)}")
    COMMAND_TEXTS.update(table)


def text(key: str) -> app_commands.locale_str:
    """A command name or description by table key (French default, English localisation)."""
    french, _english = COMMAND_TEXTS[key]
    return app_commands.locale_str(french, key=key)


def english(key: str) -> str:
    return COMMAND_TEXTS[key][1]


class CommandTranslator(app_commands.Translator):
    """discord.py translator backed by :data:`COMMAND_TEXTS`."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key = string.extras.get("key")
        if key not in COMMAND_TEXTS or locale not in ENGLISH_LOCALES:
            return None
        translated = COMMAND_TEXTS[key][1]
        return translated if translated != string.message else None


__all__ = ["COMMAND_TEXTS", "ENGLISH_LOCALES", "CommandTranslator", "add_texts", "english", "text"]

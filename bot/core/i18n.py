"""Translations through gettext catalogs, with the locale carried in a ContextVar.

Source strings (msgids) are English; ``bot/locale/<lang>/LC_MESSAGES/bot.po``
holds the French (default) and English catalogs. The ``.po`` files are compiled
in memory at first use, so there is no build step.

    with use_locale("en"):
        text = _("Signed.")
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "bot"

_locale: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


@cache
def catalog(locale: str) -> _gettext.NullTranslations:
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return _gettext.NullTranslations()
    with path.open("rb") as handle:
        po = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, po)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def current_locale() -> str:
    return _locale.get()


def normalize_locale(value: str | None) -> str:
    """Map a platform locale ('en-US', 'fr', 'en_GB') to one we ship."""
    if not value:
        return DEFAULT_LOCALE
    short = value.replace("_", "-").split("-")[0].lower()
    return short if short in LOCALES else DEFAULT_LOCALE


@contextmanager
def use_locale(locale: str | None) -> Iterator[str]:
    token = _locale.set(normalize_locale(locale))
    try:
        yield _locale.get()
    finally:
        _locale.reset(token)


def gettext(message: str) -> str:
    return catalog(_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalog(_locale.get()).ngettext(singular, plural, n)


def translate(message: str, **params: Any) -> str:
    """Translate then fill ``{placeholders}``."""
    text = gettext(message)
    if not params:
        return text
    return text.format(**{key: localize(value) for key, value in params.items()})


class Translatable(str):
    """A msgid kept untranslated until it is shown (see :func:`N_`)."""

    __slots__ = ()


def N_(message: str) -> Translatable:
    """Mark a string for extraction; it is translated where it is shown."""
    return Translatable(message)


def localize(value: Any) -> Any:
    """Translate a value if it was marked with :func:`N_`, else return it unchanged."""
    return gettext(value) if isinstance(value, Translatable) else value


_ = gettext

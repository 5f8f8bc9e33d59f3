"""The French and English catalogs cover every user-facing string."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.core.i18n import LOCALE_DIR, catalog, ngettext, normalize_locale, translate, use_locale

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "N_": None, "translate": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def source_messages() -> set[str]:
    found: set[str] = set()
    for folder in ("bot", "cogs"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / folder, keywords=KEYWORDS
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def french() -> dict[str, object]:
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "bot.po").open("rb") as handle:
        po = read_po(handle, locale="fr")
    return {(m.id[0] if isinstance(m.id, tuple) else m.id): m.string for m in po if m.id}


def test_every_message_has_a_french_translation() -> None:
    translations = french()
    missing = sorted(m for m in source_messages() if not translations.get(m))
    assert missing == [], "run `make messages` and translate: " + "; ".join(missing)


def test_translations_keep_placeholders() -> None:
    for msgid, string in french().items():
        strings = string if isinstance(string, tuple) else (string,)
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(msgid)), msgid


def test_locale_follows_the_context() -> None:
    with use_locale("en-GB"):
        assert translate("Only moderators can do this.") == "Only moderators can do this."
    with use_locale("fr"):
        french = "Seuls les modérateurs peuvent faire cela."
        assert translate("Only moderators can do this.") == french
        assert ngettext("{count} signature", "{count} signatures", 2) == "{count} signatures"
    assert normalize_locale("de") == "fr"
    assert catalog("fr") is catalog("fr")

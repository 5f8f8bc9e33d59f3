"""The shared, normalised list of skills members offer and ask for."""

from __future__ import annotations

from rapidfuzz import process

from bot.core.errors import InvalidInput
from bot.core.i18n import N_, current_locale
from bot.core.text import fold

# key -> (French, English)
SKILLS: dict[str, tuple[str, str]] = {
    "market-research": ("étude de marché", "market research"),
    "marketing": ("marketing", "marketing"),
    "communication": ("communication", "communication"),
    "social-media": ("réseaux sociaux", "social media"),
    "seo": ("référencement", "SEO"),
    "copywriting": ("rédaction", "copywriting"),
    "translation": ("traduction", "translation"),
    "graphic-design": ("design graphique", "graphic design"),
    "ux-design": ("design UX", "UX design"),
    "illustration": ("illustration", "illustration"),
    "photography": ("photographie", "photography"),
    "video": ("vidéo", "video"),
    "web-development": ("développement web", "web development"),
    "mobile-development": ("développement mobile", "mobile development"),
    "data": ("données", "data"),
    "project-management": ("gestion de projet", "project management"),
    "sales": ("prospection commerciale", "sales prospecting"),
    "negotiation": ("négociation", "negotiation"),
    "pricing": ("fixer ses tarifs", "pricing"),
    "accounting": ("comptabilité", "accounting"),
    "tax": ("fiscalité", "tax"),
    "legal": ("juridique", "legal"),
    "contracts": ("contrats", "contracts"),
    "admin": ("démarches administratives", "paperwork"),
    "funding": ("recherche de financement", "funding"),
    "training": ("formation", "training"),
    "coaching": ("coaching", "coaching"),
    "public-speaking": ("prise de parole", "public speaking"),
    "wellbeing": ("équilibre pro et perso", "work-life balance"),
}
_LOOKUP: dict[str, str] = {}
for _key, (_fr, _en) in SKILLS.items():
    for _name in (_key, _fr, _en):
        _LOOKUP[fold(_name).replace("-", " ")] = _key


def skill_label(key: str) -> str:
    french, english = SKILLS.get(key, (key, key))
    return english if current_locale() == "en" else french


def parse_skills(text: str | None) -> tuple[str, ...]:
    """Skill keys from ``"marketing, étude de marché"``; an unknown one is refused
    with the closest known skill suggested."""
    keys: list[str] = []
    for part in (text or "").replace(";", ",").split(","):
        word = fold(part).replace("-", " ").strip()
        if not word:
            continue
        key = _LOOKUP.get(word)
        if key is None:
            best = process.extractOne(word, list(_LOOKUP))
            suggestion = skill_label(_LOOKUP[best[0]]) if best and best[1] >= 60 else None
            if suggestion:
                raise InvalidInput(
                    N_("Unknown skill “{word}”. Did you mean “{suggestion}”? See {command} "
                       "for the list."),
                    word=part.strip()[:40], suggestion=suggestion, command="!entraide competences")
            raise InvalidInput(N_("Unknown skill “{word}”. See {command} for the list."),
                               word=part.strip()[:40], command="!entraide competences")
        if key not in keys:
            keys.append(key)
    return tuple(keys)

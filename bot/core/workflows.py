"""The five workflows and the words members use for them."""

from __future__ import annotations

from bot.core.errors import InvalidInput
from bot.core.i18n import N_
from bot.core.text import fold

# Workflow keys and their labels, shared by configuration and federation scopes.
WORKFLOWS: dict[str, str] = {
    "tribune": N_("tribune"),
    "demands": N_("demands and polls"),
    "meetups": N_("meetups"),
    "aid": N_("mutual aid"),
    "faq": N_("rights FAQ"),
}
WORKFLOW_WORDS: dict[str, str] = {
    "tribune": "tribune",
    "revendications": "demands", "revendication": "demands", "scrutins": "demands",
    "demands": "demands", "polls": "demands",
    "rencontres": "meetups", "rencontre": "meetups", "meetups": "meetups",
    "entraide": "aid", "aid": "aid",
    "droits": "faq", "faq": "faq",
}


def parse_workflow(word: str) -> str:
    workflow = WORKFLOW_WORDS.get(fold(word))
    if workflow is None:
        raise InvalidInput(
            N_("Unknown workflow “{word}”. Choose one of: {choices}."),
            word=word[:40],
            choices="tribune, revendications, rencontres, entraide, droits",
        )
    return workflow

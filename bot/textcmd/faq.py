"""``!droits`` (``!rights``) text commands: ask the rights FAQ, give feedback, curate it.

Anything after ``!droits`` that is not one of its sub-commands is a question:
``!droits congé mat indépendante`` searches, ``!droits voir conge-maternite``
opens an entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from bot.core.errors import InvalidInput, MissingFields, PermissionDenied
from bot.core.i18n import N_, _, translate
from bot.core.render import faq as render
from bot.core.render.errors import error as render_error
from bot.core.render.message import Message, Visibility
from bot.core.services.faq import QUESTION_NUMBER, Draft
from bot.core.types import Actor, Place
from bot.textcmd.registry import (
    Command,
    Handler,
    Invocation,
    page_number,
    record_number,
)

if TYPE_CHECKING:
    from bot.core.app import Core

DRAFT_KEYS = {
    "slug": ("id",),
    "title": ("titre", "title"),
    "answer": ("reponse", "answer", "texte", "text"),
    "sources": ("sources", "source"),
    "topics": ("sujets", "sujet", "topics", "topic", "themes", "theme"),
    "questions": ("questions", "question"),
    "reviewed": ("revu", "revue", "reviewed", "revision"),
}
DRAFT_FIELDS = "id, titre, reponse, sources, sujets, questions, revu"


def _question(inv: Invocation, *first: str) -> str:
    parts = [*first, *inv.args, *(f"{key}={value}" for key, value in inv.options.items())]
    return " ".join(p for p in parts if p)


async def _answer(inv: Invocation, question: str) -> Sequence[Message]:
    if not question.strip():
        return [render.intro()]
    return [render.answer(await inv.core.faq.search(inv.actor, inv.place, question))]


async def ask(inv: Invocation) -> Sequence[Message]:
    return await _answer(inv, _question(inv))


async def _ask_from(word: str, inv: Invocation) -> Sequence[Message]:
    return await _answer(inv, _question(inv, word))


def _slug(inv: Invocation, usage: str) -> str:
    if not inv.args:
        raise InvalidInput(N_("Usage: {usage}"), usage=f"{inv.prefix}{usage}")
    return inv.args[0]


def _number(word: str, usage: str) -> int:
    return record_number(word, field=QUESTION_NUMBER, usage=usage)


async def show(inv: Invocation) -> Sequence[Message]:
    if len(inv.args) != 1 or inv.options:
        # "!droits voir mes droits au chômage" is a question, not an entry id.
        return await _answer(inv, _question(inv, "voir"))
    return [render.entry(await inv.core.faq.show(inv.actor, inv.place, inv.args[0]))]


async def useful(inv: Invocation) -> Sequence[Message]:
    slug = _slug(inv, "droits utile ID")
    return [render.feedback(await inv.core.faq.feedback(inv.actor, inv.place, slug, True))]


async def useless(inv: Invocation) -> Sequence[Message]:
    slug = _slug(inv, "droits inutile ID")
    return [render.feedback(await inv.core.faq.feedback(inv.actor, inv.place, slug, False))]


def _draft(inv: Invocation, *, with_slug: bool) -> Draft:
    values: dict[str, str] = {}
    for key, value in inv.options.items():
        field = next((f for f, keys in DRAFT_KEYS.items() if key in keys), None)
        if field is None or (field == "slug" and not with_slug):
            raise InvalidInput(N_("Unknown field “{key}”. Fields are: {fields}."),
                               key=key[:40], fields=DRAFT_FIELDS)
        values[field] = value
    return Draft(**values)


async def add(inv: Invocation) -> Sequence[Message]:
    if inv.args:
        raise InvalidInput(N_("Write each answer as field=value, for example {example}."),
                           example='titre="…"')
    try:
        info = await inv.core.faq.add(inv.actor, inv.place, _draft(inv, with_slug=True))
    except MissingFields as exc:
        return [render_error(exc), Message(
            lines=(_("Send the command again with every field, for example:"),
                   f'{inv.prefix}droits ajouter id=conge-exemple titre="…" reponse="…" '
                   'sources="URSSAF|https://www.urssaf.fr" sujets=statuts'),
            visibility=Visibility.EPHEMERAL)]
    return [render.changed(info, translate("Entry {id} added.", id=info.slug))]


async def edit(inv: Invocation) -> Sequence[Message]:
    slug = _slug(inv, "droits modifier ID champ=…")
    info = await inv.core.faq.edit(inv.actor, inv.place, slug, _draft(inv, with_slug=False))
    return [render.changed(info, translate("Entry {id} updated.", id=info.slug))]


async def retire(inv: Invocation) -> Sequence[Message]:
    slug = _slug(inv, "droits retirer ID")
    info = await inv.core.faq.set_status(inv.actor, inv.place, slug, "retired")
    return [render.changed(info, translate("Entry {id} is retired: it no longer answers.",
                                           id=info.slug))]


async def restore(inv: Invocation) -> Sequence[Message]:
    slug = _slug(inv, "droits retablir ID")
    info = await inv.core.faq.set_status(inv.actor, inv.place, slug, "active")
    return [render.changed(info, translate("Entry {id} answers again.", id=info.slug))]


async def alias(inv: Invocation) -> Sequence[Message]:
    slug = _slug(inv, 'droits alias ID "texte"')
    faq = inv.core.faq
    rest = list(inv.args[1:])
    question = inv.options.get("question")
    if question is not None:
        info = await faq.add_alias(inv.actor, inv.place, slug, question_id=_number(
            question, f'{inv.prefix}droits alias ID question=N'))
        return [render.changed(info, translate("Alias added to {id}.", id=info.slug))]
    if rest and rest[0].casefold() in ("retirer", "supprimer", "remove", "delete"):
        text = " ".join(rest[1:])
        info = await faq.remove_alias(inv.actor, inv.place, slug, text)
        return [render.changed(info, translate("Alias removed from {id}.", id=info.slug))]
    if not rest:
        return [render.aliases(await faq.show(inv.actor, inv.place, slug))]
    info = await faq.add_alias(inv.actor, inv.place, slug, " ".join(rest))
    return [render.changed(info, translate("Alias added to {id}.", id=info.slug))]


async def questions(inv: Invocation) -> Sequence[Message]:
    page = page_number(inv.args)
    return [render.queue(await inv.core.faq.queue(inv.actor, inv.place, page))]


async def dismiss(inv: Invocation) -> Sequence[Message]:
    number = _number(_slug(inv, "droits classer N"), f"{inv.prefix}droits classer N")
    return [render.dismissed(await inv.core.faq.dismiss(inv.actor, inv.place, number))]


async def review(inv: Invocation) -> Sequence[Message]:
    entries = await inv.core.faq.stale(inv.actor, inv.place)
    return [render.stale(entries, inv.core.faq.review_age_days)]


async def import_files(inv: Invocation) -> Sequence[Message]:
    return [render.imported(await inv.core.faq.import_corpus(inv.actor, inv.place))]


async def stats(inv: Invocation) -> Sequence[Message]:
    return [render.stats(await inv.core.faq.stats(inv.actor, inv.place))]


YES = {"oui", "yes", "on", "actif", "active"}
NO = {"non", "no", "off", "inactif", "inactive"}


async def passive(inv: Invocation) -> Sequence[Message]:
    word = inv.args[0].casefold() if len(inv.args) == 1 else ""
    if word not in YES | NO:
        raise InvalidInput(N_("Usage: {usage}"),
                           usage=f"{inv.prefix}droits passif oui|non")
    enabled = await inv.core.faq.set_passive(inv.actor, inv.place, word in YES)
    return [render.passive_changed(enabled)]


async def passive_help(core: Core, actor: Actor, place: Place, text: str) -> Message | None:
    """For adapters, on an ordinary member message: the suggestion to post under it, or
    None (passive help off in this channel, not a question, no good entry, or this
    member already had a suggestion within the hour)."""
    result = await core.faq.passive(actor, place, text)
    return render.passive(result) if result is not None else None


def moderators(handler: Handler) -> Handler:
    """Refuse members before reading anything else (the service checks again)."""
    async def guarded(inv: Invocation) -> Sequence[Message]:
        if not inv.actor.is_moderator:
            raise PermissionDenied()
        return await handler(inv)
    return guarded


class QuestionGroup(Command):
    """A command group whose unknown first word starts a free question instead of
    being refused as an unknown sub-command."""

    def child(self, word: str) -> Command | None:
        found = super().child(word)
        if found is not None:
            return found
        return Command(word, word, self.summary, handler=partial(_ask_from, word))


def command() -> Command:
    group = QuestionGroup(
        "droits", "rights", N_("rights FAQ: ask a question about your rights"),
        usage_fr="QUESTION", usage_en="QUESTION", handler=ask, aliases=("droit", "faq"))
    group.children = [
        Command("voir", "show", N_("show a rights entry"), usage_fr="ID", usage_en="ID",
                handler=show),
        Command("utile", "useful", N_("say an answer was useful"), usage_fr="ID",
                usage_en="ID", handler=useful),
        Command("inutile", "useless", N_("say an answer was not useful"), usage_fr="ID",
                usage_en="ID", handler=useless, aliases=("pas-utile", "not-useful")),
        Command("ajouter", "add", N_("add an entry"),
                usage_fr='id=… titre="…" reponse="…" sources="Nom|https://…; …" sujets=…',
                usage_en='id=… title="…" answer="…" sources="Name|https://…; …" topics=…',
                handler=add, moderator=True),
        Command("modifier", "edit", N_("change an entry (revu=oui marks it reviewed)"),
                usage_fr='ID [titre="…"] [reponse="…"] [sources=…] [sujets=…] [questions=…] '
                         '[revu=oui]',
                usage_en='ID [title="…"] [answer="…"] [sources=…] [topics=…] [questions=…] '
                         '[reviewed=yes]',
                handler=edit, moderator=True),
        Command("retirer", "retire", N_("retire an entry"), usage_fr="ID", usage_en="ID",
                handler=retire, moderator=True),
        Command("retablir", "restore", N_("restore a retired entry"), usage_fr="ID",
                usage_en="ID", handler=restore, moderator=True),
        Command("alias", "alias", N_("list, add or remove the aliases of an entry"),
                usage_fr='ID ["texte" | retirer "texte" | question=N]',
                usage_en='ID ["text" | remove "text" | question=N]', handler=alias,
                moderator=True),
        Command("questions", "queue", N_("unanswered questions, most asked first"),
                usage_fr="[page]", usage_en="[page]", handler=questions, moderator=True),
        Command("classer", "dismiss", N_("close an unanswered question"), usage_fr="N",
                usage_en="N", handler=dismiss, moderator=True),
        Command("a-revoir", "review", N_("entries whose review is due"), handler=review,
                moderator=True, aliases=("arevoir", "to-review")),
        Command("importer", "import", N_("import the corpus files again (new and changed)"),
                handler=import_files, moderator=True),
        Command("stats", "stats", N_("use of each entry and the unanswered queue"),
                handler=stats, moderator=True, aliases=("statistiques",)),
        Command("passif", "passive", N_("suggest entries for rights questions asked in this "
                                        "channel, or stop"),
                usage_fr="oui|non", usage_en="yes|no", handler=passive, moderator=True),
    ]
    for child in group.children:
        if child.moderator and child.handler is not None:
            child.handler = moderators(child.handler)
    return group


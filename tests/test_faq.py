"""Rights FAQ: corpus, import, search on both backends, feedback, moderation."""

from __future__ import annotations

import shutil
import tomllib
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core import faq_text
from bot.core.app import Core
from bot.core.errors import InvalidInput, MissingFields, NotFound, PermissionDenied
from bot.core.i18n import use_locale
from bot.core.render import faq as render
from bot.core.services.faq import DEFAULT_CORPUS, NOTICE, Draft, load_corpus, parse_entry
from bot.db.models import Collective, CollectiveChannel, FaqQuestion
from bot.textcmd import build_registry
from tests.conftest import member, place

EVAL_FILE = Path(__file__).parent / "data" / "faq_eval.toml"
MOD = member("mod", moderator=True)
ANA = member("ana")


def eval_cases() -> list[tuple[str, str]]:
    with EVAL_FILE.open("rb") as handle:
        return [(c["q"], c["expected"]) for c in tomllib.load(handle)["cases"]]


# -- the corpus ------------------------------------------------------------------------


def test_corpus_files_are_complete_and_valid() -> None:
    entries, problems = load_corpus(DEFAULT_CORPUS)
    assert problems == []
    assert len(entries) >= 40
    slugs = {e.slug for e in entries}
    for needed in ("micro-entreprise", "entreprise-individuelle", "eurl-sasu", "portage-salarial",
                   "cae", "arret-maladie", "conge-maternite", "conge-paternite", "conge-adoption",
                   "accident-travail", "retraite-trimestres", "cpf", "fonds-formation", "ati",
                   "plateformes-lom", "directive-plateformes", "louer-logement",
                   "credit-immobilier", "revenus-irreguliers", "cotisations-micro",
                   "declarer-chiffre-affaires", "tva-franchise", "cfe"):
        assert needed in slugs, needed
    for entry in entries:
        assert entry.answer.rstrip(" »").endswith(NOTICE), entry.slug
        assert entry.sources and all(s.url.startswith("https://") for s in entry.sources)
        assert entry.reviewed_on == date(2026, 11, 1)
        assert entry.questions and entry.topics


def test_eval_set_is_big_enough_and_names_real_entries() -> None:
    cases = eval_cases()
    assert len(cases) >= 60
    slugs = {e.slug for e in load_corpus(DEFAULT_CORPUS)[0]}
    assert {expected for _q, expected in cases} <= slugs
    marks = {"how", "what", "the", "my", "for", "when", "self-employed", "freelancer"}
    english = [q for q, _e in cases if marks & set(q.lower().split())]
    assert len(english) >= 10


def test_bad_files_are_reported_not_imported(tmp_path: Path) -> None:
    good = (DEFAULT_CORPUS / "cfe.md").read_bytes()
    (tmp_path / "cfe.md").write_bytes(good)
    (tmp_path / "twice.md").write_bytes(good)
    (tmp_path / "nonotice.md").write_bytes(good.replace(NOTICE.encode(), b"Fin.")
                                           .replace(b'"cfe"', b'"sans-avis"'))
    (tmp_path / "broken.md").write_text("+++\nid = \n+++\nx", encoding="utf-8")
    entries, problems = load_corpus(tmp_path)
    assert [e.slug for e in entries] == ["cfe"]
    assert len(problems) == 3
    with pytest.raises(ValueError):
        parse_entry(b"no front matter")


def test_analysis_folds_stems_and_links_synonyms() -> None:
    terms = faq_text.unique(faq_text.analyze("Congé MAT pour une indépendante ?"))
    stems = {t.stem for t in terms}
    assert faq_text.stem("maternite") in stems
    assert faq_text.stem("independant") in stems
    ati = {t.word for t in faq_text.analyze("les conditions de l'ATI")}
    assert "chomage" in ati
    assert faq_text.words('NEAR "x" * (AND) OR') == ["near"]


# -- import ----------------------------------------------------------------------------


async def test_import_at_start_then_only_changes(core: Core, tmp_path: Path) -> None:
    shipped = len(load_corpus(DEFAULT_CORPUS)[0])
    again = await core.faq.import_corpus()
    assert (again.created, again.updated, again.unchanged) == (0, 0, shipped)
    corpus = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    core.faq.corpus_dir = corpus
    path = corpus / "cfe.md"
    path.write_text(path.read_text(encoding="utf-8").replace(
        'aliases = ["CFE"', 'aliases = ["impôt des locaux"'), encoding="utf-8")
    (corpus / "plafonds-micro.md").unlink()
    await core.faq.edit(MOD, place(), "tva-franchise", Draft(title="Seuils de TVA"))
    tva = corpus / "tva-franchise.md"
    tva.write_text(tva.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    result = await core.faq.import_corpus()
    assert (result.created, result.updated, result.retired, result.kept) == (0, 1, 1, 1)
    assert (await core.faq.show(ANA, place(), "tva-franchise")).title == "Seuils de TVA"
    with pytest.raises(NotFound):
        await core.faq.show(ANA, place(), "plafonds-micro")
    found = await core.faq.search(ANA, place(), "impôt des locaux")
    assert found.best is not None and found.best.slug == "cfe"


# -- search ----------------------------------------------------------------------------


async def test_best_answer_and_two_alternatives(core: Core) -> None:
    result = await core.faq.search(ANA, place(), "congé mat indépendante")
    assert result.best is not None and result.best.slug == "conge-maternite"
    assert result.confident and not result.queued
    assert len(result.alternatives) == 2
    assert all(a.slug != "conge-maternite" for a in result.alternatives)
    assert result.best.sources and result.best.answer.rstrip(" »").endswith(NOTICE)
    with use_locale("fr"):
        text = render.answer(result).plain_text()
    assert "Sources" in text and "faq" not in text.split("\n")[0]
    assert [a.custom_id for a in render.answer(result).actions] == [
        "faq:useful:conge-maternite", "faq:useless:conge-maternite"]


async def test_evaluation_recall_at_3(core: Core) -> None:
    cases = eval_cases()
    hits_1 = hits_3 = 0
    async with core.db.transaction() as session:
        for question, expected in cases:
            ranking = await core.faq.rank(session, question)
            slugs = [ranking.index.titles[i][0] for _s, i in ranking.scored[:3]]
            hits_1 += slugs[:1] == [expected]
            hits_3 += expected in slugs
    assert hits_3 / len(cases) >= 0.9, (hits_1, hits_3, len(cases))
    assert hits_1 / len(cases) >= 0.8


async def test_misspellings_are_corrected_and_suggested(core: Core) -> None:
    result = await core.faq.search(ANA, place(), "conger matenité")
    assert result.best is not None and result.best.slug == "conge-maternite"
    assert result.suggestion is not None and "maternité" in result.suggestion
    with use_locale("en"):
        assert "Did you mean" in render.answer(result).plain_text()


BAD_INPUT = [
    "", "   ", "?!", "x" * 5000, "retraite " * 800, '"chômage', 'retraite"', "***",
    "NEAR(retraite trimestres, 2)", "tva* AND (cfe OR \"seuil\") NOT micro",
    "title:retraite", "{title questions}: cfe", "^cfe", "cfe -tva", "'; DROP TABLE faq_fts; --",
    "\\", "%_", "NOT", "AND OR", "()", "€€€ 💶 !!!", "\x00\x1b[31m", "e" * 41,
]


async def test_bad_input_gets_a_normal_reply(core: Core) -> None:
    """Empty, huge, or full of full-text syntax: an answer or "no answer", never
    an error from the search engine."""
    for question in BAD_INPUT:
        result = await core.faq.search(ANA, place(), question)
        with use_locale("fr"):
            assert render.answer(result).plain_text(), question
        assert len(result.question) <= 500
    found = await core.faq.search(ANA, place(), "NEAR(retraite trimestres, 2)")
    assert found.best is not None and "retraite" in found.best.slug


async def test_empty_question_shows_how_to_ask(core: Core) -> None:
    result = await core.faq.search(ANA, place(), "  ")
    assert result.empty and result.best is None and not result.queued


# -- feedback and the unanswered queue ------------------------------------------------


async def test_unanswered_questions_are_queued_and_counted(core: Core) -> None:
    for _ in range(2):
        result = await core.faq.search(ANA, place(), "jardinage potager tomates")
        assert result.best is None and result.queued
    await core.faq.search(member("ben"), place(), "Jardinage, potager : tomates ?")
    page = await core.faq.queue(MOD, place())
    assert [(q.reason, q.count) for q in page.items] == [("no_match", 3)]
    assert page.items[0].text == "jardinage potager tomates" or "Jardinage" in page.items[0].text
    other = await core.faq.queue(MOD, place("c2"))  # another collective's queue
    assert other.items == ()
    dismissed = await core.faq.dismiss(MOD, place(), page.items[0].id)
    assert (await core.faq.queue(MOD, place())).items == ()
    with pytest.raises(NotFound):
        await core.faq.dismiss(MOD, place("c2"), dismissed.id)


async def test_feedback_counts_once_per_person_and_queues_unhelpful(core: Core) -> None:
    await core.faq.search(ANA, place(), "congé maternité indépendante")
    first = await core.faq.feedback(ANA, place(), "conge-maternite", useful=False)
    assert first.queued and (first.useful_count, first.useless_count) == (0, 1)
    changed = await core.faq.feedback(ANA, place(), "conge-maternite", useful=True)
    assert (changed.useful_count, changed.useless_count) == (1, 0)
    other = await core.faq.feedback(member("ben"), place(), "conge-maternite", useful=True)
    assert (other.useful_count, other.useless_count) == (2, 0) and not other.queued
    page = await core.faq.queue(MOD, place())
    assert [(q.reason, q.entry.slug if q.entry else None) for q in page.items] == [
        ("unhelpful", "conge-maternite")]
    with pytest.raises(NotFound):
        await core.faq.feedback(ANA, place(), "nexiste-pas", useful=True)
    stats = await core.faq.stats(MOD, place())
    line = next(e for e in stats.entries if e.slug == "conge-maternite")
    assert (line.hits, line.useful, line.useless) == (1, 2, 0)
    assert stats.open_questions == 1 and stats.active >= 40


async def test_a_weak_answer_marked_not_useful_is_one_line_of_the_queue(core: Core) -> None:
    asked = await core.faq.search(ANA, place(), "ça marche comment la sécu des freelances ?")
    assert asked.queued and asked.best is not None
    marked = await core.faq.feedback(ANA, place(), asked.best.slug, useful=False)
    assert marked.queued
    page = await core.faq.queue(MOD, place())
    assert [(q.count, q.reason) for q in page.items] == [(2, "unhelpful")]


async def test_an_alias_makes_a_question_match(core: Core) -> None:
    before = await core.faq.search(ANA, place(), "le dispositif zorglub")
    assert before.best is None or before.best.slug != "ati"
    queued = (await core.faq.queue(MOD, place())).items[0]
    info = await core.faq.add_alias(MOD, place(), "ati", question_id=queued.id)
    assert "le dispositif zorglub" in info.aliases
    assert (await core.faq.queue(MOD, place())).items == ()
    after = await core.faq.search(ANA, place(), "dispositif zorglub ?")
    assert after.best is not None and after.best.slug == "ati" and after.confident
    removed = await core.faq.remove_alias(MOD, place(), "ati", "le dispositif zorglub")
    assert "le dispositif zorglub" not in removed.aliases
    with pytest.raises(NotFound):
        await core.faq.remove_alias(MOD, place(), "ati", "jamais vu")


# -- moderation ------------------------------------------------------------------------


async def test_only_moderators_curate(core: Core) -> None:
    draft = Draft("essai", "Titre", "Réponse", "URSSAF|https://www.urssaf.fr", "test")
    for call in (
        core.faq.add(ANA, place(), draft),
        core.faq.edit(ANA, place(), "cfe", Draft(title="x")),
        core.faq.set_status(ANA, place(), "cfe", "retired"),
        core.faq.add_alias(ANA, place(), "cfe", "x"),
        core.faq.remove_alias(ANA, place(), "cfe", "CFE"),
        core.faq.queue(ANA, place()),
        core.faq.dismiss(ANA, place(), 1),
        core.faq.stale(ANA, place()),
        core.faq.stats(ANA, place()),
        core.faq.import_corpus(ANA, place()),
    ):
        with pytest.raises(PermissionDenied):
            await call
    assert (await core.faq.show(ANA, place(), "cfe")).title.startswith("La cotisation")


async def test_moderators_add_edit_retire_and_restore(core: Core) -> None:
    with pytest.raises(MissingFields):
        await core.faq.add(MOD, place(), Draft(slug="x-y", title="T"))
    with pytest.raises(InvalidInput):
        await core.faq.add(MOD, place(), Draft("Pas Valide", "T", "R",
                                               "URSSAF|https://www.urssaf.fr"))
    with pytest.raises(InvalidInput):
        await core.faq.add(MOD, place(), Draft("cfe", "T", "R", "URSSAF|https://www.urssaf.fr"))
    with pytest.raises(InvalidInput):
        await core.faq.add(MOD, place(), Draft("essai", "T", "R", "URSSAF|http://urssaf.fr"))
    info = await core.faq.add(MOD, place(), Draft(
        "aide-velo", "Aide à l'achat d'un vélo cargo pour les livreurs",
        "Certaines collectivités aident à acheter un vélo cargo.",
        "Service-Public.fr|https://www.service-public.fr", "plateformes, mobilité",
        "Existe-t-il une aide pour acheter un vélo cargo ?"))
    assert info.answer.endswith(f"« {NOTICE} »") and info.origin == "moderator"
    found = await core.faq.search(ANA, place(), "aide achat velo cargo")
    assert found.best is not None and found.best.slug == "aide-velo"
    edited = await core.faq.edit(MOD, place(), "aide-velo", Draft(topics="mobilité",
                                                                   reviewed="2026-10-01"))
    assert edited.topics == ("mobilité",) and edited.reviewed_on == date(2026, 10, 1)
    with pytest.raises(InvalidInput):
        await core.faq.edit(MOD, place(), "aide-velo", Draft())
    with pytest.raises(InvalidInput):
        await core.faq.edit(MOD, place(), "aide-velo", Draft(reviewed="hier"))
    for too_long in (Draft(topics="mobilité, " * 40), Draft(questions="Une aide ? " * 30)):
        with pytest.raises(InvalidInput) as refused:
            await core.faq.edit(MOD, place(), "aide-velo", too_long)
        assert refused.value.params["length"] > refused.value.params["limit"]
    with pytest.raises(InvalidInput):
        await core.faq.add_alias(MOD, place(), "aide-velo", "vélo cargo " * 30)
    kept = await core.faq.show(MOD, place(), "aide-velo")
    assert kept.topics == ("mobilité",) and "vélo cargo vélo cargo" not in str(kept)
    retired = await core.faq.set_status(MOD, place(), "aide-velo", "retired")
    assert retired.status == "retired"
    gone = await core.faq.search(ANA, place(), "aide achat velo cargo")
    assert gone.best is None or gone.best.slug != "aide-velo"
    with pytest.raises(NotFound):
        await core.faq.show(ANA, place(), "aide-velo")
    assert (await core.faq.show(MOD, place(), "aide-velo")).status == "retired"
    await core.faq.set_status(MOD, place(), "aide-velo", "active")
    back = await core.faq.search(ANA, place(), "aide achat velo cargo")
    assert back.best is not None and back.best.slug == "aide-velo"


async def test_entries_to_review_and_the_monthly_reminder(core: Core) -> None:
    assert await core.faq.stale(MOD, place()) == ()
    assert await core.faq.review_announcements() == ()
    await core.faq.edit(MOD, place(), "cfe", Draft(reviewed="2020-01-01"))
    stale = await core.faq.stale(MOD, place())
    assert [e.slug for e in stale] == ["cfe"]
    async with core.db.transaction() as session:  # the collective's FAQ channel
        collective = await session.scalar(select(Collective))
        session.add(CollectiveChannel(collective_id=collective.id, workflow="faq",
                                      channel_id="general"))
    announcements = await core.faq.review_announcements()
    assert len(announcements) == 1 and announcements[0].entries[0].slug == "cfe"
    with use_locale("en"):
        text = render.review_reminder(announcements[0]).plain_text()
    assert "cfe" in text and "365" in text
    await core.faq.edit(MOD, place(), "cfe", Draft(reviewed="oui"))
    assert await core.faq.stale(MOD, place()) == ()


# -- text commands ---------------------------------------------------------------------


async def test_text_commands(core: Core) -> None:
    registry = build_registry("!")

    async def run(line: str, who=ANA) -> str:
        with use_locale("fr"):
            messages = await registry.dispatch(core, who, place(), line)
            return "\n".join(m.plain_text() for m in messages)

    assert "maternité" in (await run("droits congé mat indépendante")).lower()
    assert "maternité" in (await run('droits "congé mat"')).lower()
    assert "CFE" in await run("rights show cfe")
    assert "chômage" in (await run("droits voir mes droits au chomage")).lower()
    assert await run("droits")  # how to ask
    assert await run("droits utile cfe")
    assert await run("rights useless cfe")
    with pytest.raises(PermissionDenied):
        await run("droits retirer cfe")
    added = await run('droits ajouter id=essai-cmd titre="Essai de fiche" reponse="Texte." '
                      'sources="URSSAF|https://www.urssaf.fr; Impôts|https://www.impots.gouv.fr" '
                      "sujets=test", MOD)
    assert "essai-cmd" in added
    assert "Essai" in await run('droits modifier essai-cmd titre="Essai modifié"', MOD)
    assert "ATI" in await run('droits alias ati "chomdu des indés"', MOD)
    assert "chomdu des indés" in await run("droits alias ati", MOD)
    assert await run('droits alias ati retirer "chomdu des indés"', MOD)
    assert await run("droits retirer essai-cmd", MOD)
    assert await run("droits retablir essai-cmd", MOD)
    await run("droits zorglub zorglub")
    assert "zorglub" in await run("droits questions", MOD)
    assert await run("droits a-revoir", MOD)
    assert await run("rights stats", MOD)
    assert await run("droits importer", MOD)
    with use_locale("en"):
        assert "rights" in registry.help_for(registry.root("droits")).plain_text()


# -- schema ----------------------------------------------------------------------------


async def test_full_text_tables_are_left_out_of_the_model_comparison(database_url: str) -> None:
    """The FTS5 tables (SQLite) have no model; with the project's include_object,
    autogenerate finds nothing else to change."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.db import migrate
    from bot.db.engine import create_engine
    from bot.db.models import Base, include_in_autogenerate

    await migrate.upgrade(database_url)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"include_object": include_in_autogenerate}),
                Base.metadata))
    finally:
        await engine.dispose()
    assert diff == []


# -- autocompletion and passive help ---------------------------------------------------


async def test_titles_for_autocompletion(core: Core) -> None:
    found = await core.faq.titles("conge mat")
    assert [line.slug for line in found] == ["conge-maternite"]
    assert len(await core.faq.titles("")) == 25
    assert await core.faq.titles("zorglub") == []
    await core.faq.set_status(MOD, place(), "conge-maternite", "retired")
    assert await core.faq.titles("conge mat") == []


def test_what_looks_like_a_rights_question() -> None:
    from bot.core.services.faq import looks_like_question
    assert looks_like_question("est-ce que je peux toucher le chômage en étant freelance")
    assert looks_like_question("je dépasse le seuil de TVA, je fais quoi ?")
    assert looks_like_question("How do I get sick pay as a freelancer")
    assert not looks_like_question("chômage ?")  # too short
    assert not looks_like_question("on se retrouve jeudi à la réunion")
    assert not looks_like_question("!droits est-ce que je peux toucher le chômage ?")
    assert not looks_like_question("pourquoi " + "vraiment " * 200 + "?")


async def test_passive_help_is_per_channel_and_once_an_hour(core: Core) -> None:
    question = "est-ce que je peux toucher le chômage en étant freelance ?"
    here, elsewhere = place(channel="entraide"), place(channel="general")
    assert await core.faq.passive(ANA, here, question) is None  # off by default
    with pytest.raises(PermissionDenied):
        await core.faq.set_passive(ANA, here, True)
    assert await core.faq.set_passive(MOD, here, True) is True
    assert await core.faq.passive(ANA, here, "on se voit jeudi à la réunion ?") is None
    first = await core.faq.passive(ANA, here, question)
    assert first is not None and first.best is not None
    assert first.best.slug in {"creer-au-chomage", "ati"}
    suggestion = render.passive(first).plain_text()
    assert first.best.title in suggestion and "@" not in suggestion
    assert await core.faq.passive(ANA, here, question) is None  # within the hour
    assert await core.faq.passive(member("bea"), elsewhere, question) is None
    assert await core.faq.passive(member("bea"), here, question) is not None
    async with core.db.transaction() as session:  # nothing counted: nobody asked the bot
        assert (await session.scalar(select(FaqQuestion.id).limit(1))) is None
    await core.faq.set_passive(MOD, here, False)
    assert await core.faq.passive(member("cyd"), here, question) is None


async def test_passive_text_command(core: Core) -> None:
    registry = build_registry("!")
    with use_locale("fr"):
        replies = await registry.dispatch(core, MOD, place(channel="aide"), "droits passif oui")
        assert "L’aide passive est activée" in replies[0].plain_text()
        with pytest.raises(InvalidInput, match="Usage"):
            await registry.dispatch(core, MOD, place(channel="aide"), "droits passif ?")
    assert await core.faq.passive(ANA, place(channel="aide"),
                                  "comment déclarer mes revenus d'auto-entrepreneur ?")

"""Rights FAQ (fiches droits): the corpus, search, feedback and moderation.

The corpus is one Markdown file per entry (TOML front matter between ``+++``
lines, the answer below). Files are imported at start, and again on a
moderator's request; only new and changed files are written. Moderators can
also add, edit, retire and restore entries and manage their aliases; an entry
a moderator changed keeps its content when its file changes later.

Search, on either backend:

1. the question is analysed by :mod:`bot.core.faq_text` (accents folded, French
   stems, synonyms); misspelt words close to a word of the corpus are corrected
   and the corrected question is offered as "did you mean";
2. the database finds candidates: SQLite's FTS5 index (``faq_fts``, stems,
   ranked by ``bm25``), or PostgreSQL's text search (``faq_french``: unaccent
   and French stems, ranked by ``ts_rank``);
3. the candidates are scored the same way on both backends: the share of the
   question's terms (weighted by rarity) found in the entry, by field (title and
   questions count most, then topics, then the answer), plus how close the
   question is to one of the entry's question variants.

A question without a good answer, or whose answer is marked not useful, goes
to the unanswered-questions queue of the collective's moderators, without the
name of who asked.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
import time
import tomllib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein
from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import faq_text
from bot.core.errors import InvalidInput, MissingFields, NotFound, PermissionDenied
from bot.core.i18n import N_
from bot.core.numbers import record_id
from bot.core.services import audit
from bot.core.services.directory import ensure_collective, ensure_member, insert_for, scope_of
from bot.core.text import clean_block, clean_line
from bot.core.types import Actor, Place
from bot.db.engine import Database
from bot.db.models import (
    BotState,
    Collective,
    CollectiveChannel,
    FaqAlias,
    FaqEntry,
    FaqFeedback,
    FaqPassiveChannel,
    FaqQuestion,
    utcnow,
)

WORKFLOW = "faq"
QUESTION_NUMBER = N_("The question number")
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "data" / "faq"
NOTICE = ("Information générale, pas un conseil juridique : vérifiez votre situation "
          "auprès des organismes cités.")
REVIEW_JOB = "faq.review"
GENERATION_KEY = "faq.generation"

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
TITLE_LIMIT = 200
ANSWER_LIMIT = 3500
ALIAS_LIMIT = 200
TOPICS_LIMIT = 300
QUESTION_LIMIT = 500  # characters of a question that are searched and queued
QUERY_TERMS = 24
CANDIDATES = 60  # entries the database ranks first, then scored here
MATCH_BUDGET = 400  # see _selective
ALTERNATIVES = 2
PAGE_SIZE = 10
RECENT_ASKS = 2000
RECENT_SECONDS = 3600
PASSIVE_SECONDS = 3600  # one passive suggestion per member per hour
PASSIVE_CACHE_SECONDS = 30  # how long the list of passive-help channels is trusted
PASSIVE_MIN_WORDS = 4
PASSIVE_MAX_LENGTH = 1000
TITLE_CHOICES = 25
# First words of a question, accents folded (French, then English).
QUESTION_WORDS = frozenset({
    "comment", "combien", "pourquoi", "quand", "quel", "quelle", "quels", "quelles",
    "ou", "qui", "que", "quoi", "qu", "est-ce", "puis-je", "peut-on", "peux-je", "dois-je",
    "doit-on", "faut-il", "ai-je", "a-t-on", "suis-je", "y-a-t-il", "existe-t-il",
    "how", "what", "when", "where", "which", "who", "why", "can", "could", "do", "does",
    "am", "is", "are", "should", "must", "may",
})
# title, question variants and aliases, topics, answer
FIELD_WEIGHTS = (1.0, 1.0, 0.7, 0.45)
LEXICAL_SHARE = 0.75  # the rest is the closeness to a question variant
_WORDS = re.compile(r"[\w-]+")
_URL = re.compile(r"https?://\S+")


# -- values ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class CorpusEntry:
    """One entry as written in its file."""

    slug: str
    title: str
    answer: str
    questions: tuple[str, ...]
    aliases: tuple[str, ...]
    topics: tuple[str, ...]
    sources: tuple[Source, ...]
    reviewed_on: date
    file_hash: str


@dataclass(frozen=True, slots=True)
class EntryLine:
    slug: str
    title: str
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class EntryInfo:
    slug: str
    title: str
    answer: str
    topics: tuple[str, ...]
    sources: tuple[Source, ...]
    questions: tuple[str, ...]
    aliases: tuple[str, ...]
    reviewed_on: date
    status: str
    origin: str
    edited: bool
    hits: int
    views: int
    useful: int
    useless: int


@dataclass(frozen=True, slots=True)
class SearchResult:
    question: str
    best: EntryInfo | None
    alternatives: tuple[EntryLine, ...]
    score: float
    confident: bool
    suggestion: str | None = None  # the question with misspellings corrected
    queued: bool = False  # sent to the moderators' queue
    empty: bool = False  # no word to search for


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    kept: int  # changed by moderators: the file's new version was not applied
    retired: int  # their file was removed
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    entry: EntryLine
    useful: bool
    useful_count: int
    useless_count: int
    queued: bool


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: int
    text: str
    reason: str
    count: int
    entry: EntryLine | None
    last_at: datetime


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: tuple[QueueItem, ...]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class EntryStats:
    slug: str
    title: str
    status: str
    hits: int
    views: int
    useful: int
    useless: int


@dataclass(frozen=True, slots=True)
class StatsReport:
    entries: tuple[EntryStats, ...]
    active: int
    retired: int
    open_questions: int
    unanswered_asks: int


@dataclass(frozen=True, slots=True)
class StaleEntry:
    slug: str
    title: str
    reviewed_on: date


@dataclass(frozen=True, slots=True)
class ReviewAnnouncement:
    platform: str
    collective_id: str
    channel_id: str
    locale: str
    kind: str
    entries: tuple[StaleEntry, ...]
    age_days: int


@dataclass(frozen=True, slots=True)
class Draft:
    """An entry as a moderator writes it; ``None`` leaves a field unchanged."""

    slug: str | None = None
    title: str | None = None
    answer: str | None = None
    sources: str | None = None  # "Name|https://…; Name|https://…"
    topics: str | None = None  # "a, b" or "a; b"
    questions: str | None = None  # "question; question"
    reviewed: str | None = None  # "YYYY-MM-DD", or "oui"/"yes"/"today" for today


# -- corpus files ------------------------------------------------------------------


def _strings(meta: dict, key: str, *, required: bool = False) -> tuple[str, ...]:
    value = meta.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key} must be a list of strings")
    cleaned = tuple(clean_line(v) for v in value if clean_line(v))
    if required and not cleaned:
        raise ValueError(f"{key} is empty")
    return cleaned


def parse_entry(raw: bytes) -> CorpusEntry:
    """Read one corpus file; raises ValueError saying what is wrong."""
    content = raw.decode("utf-8").replace("\r\n", "\n")
    if not content.startswith("+++\n"):
        raise ValueError("the file must start with a +++ front matter block")
    end = content.find("\n+++\n", 3)
    if end < 0:
        raise ValueError("the front matter block is not closed by +++")
    try:
        meta = tomllib.loads(content[4:end])
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"front matter: {exc}") from None
    answer = clean_block(content[end + 5:])
    slug = meta.get("id")
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise ValueError("id must be lower-case letters, digits and hyphens")
    title = clean_line(meta.get("title") if isinstance(meta.get("title"), str) else "")
    if not title or len(title) > TITLE_LIMIT:
        raise ValueError(f"title must have 1 to {TITLE_LIMIT} characters")
    if not answer or len(answer) > ANSWER_LIMIT:
        raise ValueError(f"the answer must have 1 to {ANSWER_LIMIT} characters")
    if not answer.endswith(NOTICE) and not answer.endswith(f"« {NOTICE} »"):
        raise ValueError("the answer must end with the general-information notice")
    reviewed = meta.get("reviewed")
    if not isinstance(reviewed, date) or isinstance(reviewed, datetime):
        raise ValueError("reviewed must be a date (reviewed = 2026-11-01)")
    sources = []
    for item in meta.get("sources", []):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) \
                or not isinstance(item.get("url"), str):
            raise ValueError("each source needs a name and a url")
        sources.append(_source(item["name"], item["url"]))
    if not sources:
        raise ValueError("sources is empty")
    return CorpusEntry(
        slug=slug, title=title, answer=answer,
        questions=_strings(meta, "questions", required=True),
        aliases=tuple(a[:ALIAS_LIMIT] for a in _strings(meta, "aliases")),
        topics=_strings(meta, "topics", required=True),
        sources=tuple(sources), reviewed_on=reviewed,
        file_hash=hashlib.sha256(raw).hexdigest(),
    )


def _source(name: str, url: str) -> Source:
    name, url = clean_line(name), clean_line(url)
    if not name or not re.match(r"^https://[^\s/]+\.[^\s]+$", url):
        raise ValueError(f"source “{name}”: the link must be an https:// address")
    return Source(name[:200], url[:500])


def load_corpus(directory: Path) -> tuple[list[CorpusEntry], list[str]]:
    """Every valid entry of ``directory`` and a description of each bad file."""
    entries: list[CorpusEntry] = []
    problems: list[str] = []
    seen: set[str] = set()
    if not directory.is_dir():
        return entries, [f"{directory}: not a folder"]
    for path in sorted(directory.glob("*.md")):
        try:
            entry = parse_entry(path.read_bytes())
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        if entry.slug in seen:
            problems.append(f"{path.name}: id {entry.slug} is used twice")
            continue
        seen.add(entry.slug)
        entries.append(entry)
    return entries, problems


# -- search index ------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _analysed(title: str, questions: tuple[str, ...], topics: tuple[str, ...], answer: str,
              source_names: tuple[str, ...]) -> tuple[str, str]:
    """``search_text`` (words, for PostgreSQL) and ``search_stems`` (for FTS5 and
    the scoring) of an entry: one line per field (title, question variants and
    aliases separated by `` | ``, topics, answer with source names)."""
    body = _URL.sub(" ", answer) + "\n" + "\n".join(source_names)
    fields = [
        [faq_text.field_terms(title)],
        [faq_text.field_terms(q) for q in questions],
        [faq_text.field_terms(" ".join(topics))],
        [faq_text.field_terms(body)],
    ]

    def line(parts: list[list[faq_text.Term]], attr: str) -> str:
        return " | ".join(" ".join(getattr(t, attr) for t in part) for part in parts if part)
    return ("\n".join(line(f, "word") for f in fields),
            "\n".join(line(f, "stem") for f in fields))


@dataclass
class _Index:
    """What scoring needs of every active entry, cached per corpus generation."""

    generation: str
    count: int = 0
    df: dict[str, int] = field(default_factory=dict)
    fields: dict[int, tuple[frozenset[str], ...]] = field(default_factory=dict)
    variants: dict[int, tuple[str, ...]] = field(default_factory=dict)
    titles: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (slug, title)
    by_initial: dict[str, list[str]] = field(default_factory=dict)  # spelling candidates
    known: frozenset[str] = frozenset()
    display: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Ranking:
    scored: list[tuple[float, int]]  # (score, entry id), best first
    suggestion: str | None
    terms: list[faq_text.Term]
    index: _Index


@dataclass(frozen=True, slots=True)
class _Ask:
    question: str
    collective: Place
    slugs: tuple[str, ...]
    at: float
    terms: tuple[faq_text.Term, ...] = ()  # as searched: the queue's key


def _selective(index: _Index, terms: list[faq_text.Term]) -> list[faq_text.Term]:
    """The terms the database searches for: the rarest first, while the entries
    holding them stay within MATCH_BUDGET (at least one term). A word found in most
    entries ("indépendant") would make the database rank nearly the whole corpus;
    it still counts in the score of the candidates."""
    known = sorted((t for t in terms if index.df.get(t.stem)), key=lambda t: index.df[t.stem])
    chosen: list[faq_text.Term] = []
    total = 0
    for term in known:
        total += index.df[term.stem]
        if chosen and total > MATCH_BUDGET:
            break
        chosen.append(term)
    return chosen


def _idf(index: _Index, stem: str) -> float:
    df = index.df.get(stem, 0)
    return math.log(1 + (index.count - df + 0.5) / (df + 0.5))


class FaqService:
    def __init__(self, db: Database, *, corpus_dir: Path | None = None,
                 review_age_days: int = 365, suggestion_threshold: int = 80,
                 min_score: float = 0.5, passive_min_score: float = 0.55,
                 default_locale: str = "fr",
                 default_timezone: str = "Europe/Paris") -> None:
        self.db = db
        self.corpus_dir = corpus_dir or DEFAULT_CORPUS
        self.review_age_days = review_age_days
        self.suggestion_threshold = suggestion_threshold
        self.min_score = min_score
        self.passive_min_score = max(min_score, passive_min_score)
        self.defaults = {"locale": default_locale, "timezone": default_timezone}
        self._index: _Index | None = None
        self._recent: OrderedDict[tuple[str, str], _Ask] = OrderedDict()
        self._passive_channels: set[tuple[str, str, str]] = set()
        self._passive_loaded_at: float | None = None
        self._suggested: OrderedDict[tuple[str, str], float] = OrderedDict()

    # -- writing entries -------------------------------------------------------------

    @property
    def _postgres(self) -> bool:
        return self.db.dialect == "postgresql"

    async def _bump(self, session: AsyncSession) -> None:
        """Tell every process that the corpus changed (their caches reload)."""
        value = secrets.token_hex(8)
        await session.execute(
            insert_for(session, BotState)
            .values(key=GENERATION_KEY, value=value, updated_at=utcnow())
            .on_conflict_do_update(index_elements=["key"],
                                   set_={"value": value, "updated_at": utcnow()})
        )

    async def _reindex(self, session: AsyncSession, entries: Sequence[FaqEntry]) -> None:
        """Recompute the analysed text of ``entries`` and their full-text rows."""
        if not entries:
            return
        ids = [e.id for e in entries]
        aliases: dict[int, list[str]] = {}
        for entry_id, alias in await session.execute(
            select(FaqAlias.entry_id, FaqAlias.text).where(FaqAlias.entry_id.in_(ids))
            .order_by(FaqAlias.id)
        ):
            aliases.setdefault(entry_id, []).append(alias)
        rows = []
        for entry in entries:
            entry.search_text, entry.search_stems = _analysed(
                entry.title, (*json.loads(entry.questions), *aliases.get(entry.id, [])),
                _topics(entry.topics), entry.answer,
                tuple(s.name for s in _sources(entry.sources)))
            rows.append((entry.id, entry.status == "active", entry.search_stems))
        await session.flush()
        if self._postgres:
            await session.execute(text(
                "UPDATE faq_entries SET search_vector ="
                " setweight(to_tsvector('faq_french', split_part(search_text, E'\\n', 1)), 'A')"
                " || setweight(to_tsvector('faq_french', split_part(search_text, E'\\n', 2)), 'A')"
                " || setweight(to_tsvector('faq_french', split_part(search_text, E'\\n', 3)), 'B')"
                " || setweight(to_tsvector('faq_french', split_part(search_text, E'\\n', 4)), 'C')"
                " WHERE id IN :ids"
            ).bindparams(bindparam("ids", expanding=True)), {"ids": ids})
            return
        await session.execute(
            text("DELETE FROM faq_fts WHERE rowid IN :ids")
            .bindparams(bindparam("ids", expanding=True)), {"ids": ids})
        values = []
        for entry_id, active, stems in rows:
            if active:
                parts = _lines(stems)
                values.append({"id": entry_id, "t": parts[0], "q": parts[1],
                               "p": parts[2], "b": parts[3]})
        if values:
            await session.execute(text(
                "INSERT INTO faq_fts (rowid, title, questions, topics, body)"
                " VALUES (:id, :t, :q, :p, :b)"), values)

    async def _replace_file_aliases(self, session: AsyncSession,
                                    written: list[tuple[FaqEntry, CorpusEntry]],
                                    existing: dict[str, FaqEntry]) -> None:
        """The aliases of rewritten entries become those of their files; aliases
        added by moderators stay."""
        old_ids = [entry.id for entry, _item in written if entry.slug in existing]
        moderators: dict[int, set[str]] = {}
        if old_ids:
            await session.execute(delete(FaqAlias).where(FaqAlias.entry_id.in_(old_ids),
                                                         FaqAlias.origin == "file"))
            for entry_id, alias in await session.execute(
                    select(FaqAlias.entry_id, FaqAlias.text)
                    .where(FaqAlias.entry_id.in_(old_ids))):
                moderators.setdefault(entry_id, set()).add(alias)
        now = utcnow()
        rows = [{"entry_id": entry.id, "text": alias, "origin": "file", "created_at": now}
                for entry, item in written for alias in dict.fromkeys(item.aliases)
                if alias not in moderators.get(entry.id, ())]
        if rows:
            await session.execute(insert(FaqAlias), rows)

    async def import_corpus(self, actor: Actor | None = None,
                            place: Place | None = None) -> ImportResult:
        """Write new and changed corpus files into the database.

        At start ``actor`` is None; a moderator's request is recorded in the audit
        log. An entry a moderator changed is kept as it is. An entry whose file
        was removed is retired (unless the folder holds no valid file at all).
        """
        if actor is not None:
            self._check_moderator(actor)
        loaded, problems = load_corpus(self.corpus_dir)
        created = updated = unchanged = kept = retired = 0
        async with self.db.transaction() as session:
            if self._postgres:
                await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                                      {"key": "faq.import"})
            existing = {e.slug: e for e in await session.scalars(select(FaqEntry))}
            changed: list[FaqEntry] = []
            written: list[tuple[FaqEntry, CorpusEntry]] = []
            for item in loaded:
                entry = existing.get(item.slug)
                if entry is not None and entry.file_hash == item.file_hash:
                    unchanged += 1
                    continue
                if entry is not None and entry.edited:
                    kept += 1
                    continue
                if entry is None:
                    entry = FaqEntry(slug=item.slug, origin="file", status="active",
                                     edited=False, hits=0, views=0)
                    session.add(entry)
                    created += 1
                else:
                    updated += 1
                entry.title, entry.answer = item.title, item.answer
                entry.questions = json.dumps(list(item.questions), ensure_ascii=False)
                entry.topics = ", ".join(item.topics)
                entry.sources = json.dumps([[s.name, s.url] for s in item.sources],
                                           ensure_ascii=False)
                entry.reviewed_on = item.reviewed_on
                entry.file_hash = item.file_hash
                entry.updated_at = utcnow()
                written.append((entry, item))
                changed.append(entry)
            if loaded:
                names = {item.slug for item in loaded}
                for entry in existing.values():
                    if (entry.origin == "file" and not entry.edited and entry.status == "active"
                            and entry.slug not in names):
                        entry.status = "retired"
                        entry.updated_at = utcnow()
                        changed.append(entry)
                        retired += 1
            await session.flush()
            await self._replace_file_aliases(session, written, existing)
            await self._reindex(session, changed)
            if changed:
                await self._bump(session)
            if self._postgres and len(changed) > 50:
                # Fresh statistics, so the planner uses the text-search index.
                await session.execute(text("ANALYZE faq_entries"))
            if actor is not None and place is not None:
                collective = await ensure_collective(session, place, **self.defaults)
                member = await ensure_member(session, actor)
                await audit.record(session, actor, member, collective, "faq.import",
                                   f"+{created} ~{updated} -{retired}")
        return ImportResult(created, updated, unchanged, kept, retired, tuple(problems))

    # -- the cache -------------------------------------------------------------------

    async def _current_index(self, session: AsyncSession) -> _Index:
        generation = await session.scalar(
            select(BotState.value).where(BotState.key == GENERATION_KEY)) or ""
        if self._index is not None and self._index.generation == generation:
            return self._index
        index = _Index(generation)
        words: set[str] = set()
        rows = await session.execute(
            select(FaqEntry.id, FaqEntry.slug, FaqEntry.title, FaqEntry.questions,
                   FaqEntry.search_text, FaqEntry.search_stems)
            .where(FaqEntry.status == "active"))
        for entry_id, slug, title, questions, search_text, search_stems in rows:
            lines = _lines(search_stems)
            stems = tuple(frozenset(line.replace("|", " ").split()) for line in lines)
            index.fields[entry_id] = stems
            for stem in frozenset().union(*stems):
                index.df[stem] = index.df.get(stem, 0) + 1
            variants = [lines[0]] + [v.strip() for v in lines[1].split("|")]
            index.variants[entry_id] = tuple(v for v in variants if v)
            index.titles[entry_id] = (slug, title)
            words.update(search_text.replace("|", " ").split())
            for raw in [title, *json.loads(questions)]:
                for token in re.findall(r"[^\W\d_]+", raw.lower()):
                    index.display.setdefault(faq_text.fold(token), token)
        index.count = len(index.fields)
        words |= faq_text.synonym_words()
        index.known = frozenset(words)
        for word in sorted(w for w in words if len(w) >= 3 and not w.isdigit()):
            index.by_initial.setdefault(word[0], []).append(word)
        self._index = index
        return index

    def _corrector(self, index: _Index, corrections: dict[str, str]):
        threshold = self.suggestion_threshold

        def correct(word: str) -> str | None:
            if (word in index.known or word.isdigit() or len(word) < 4
                    or faq_text.stem(word) in index.df):
                return None
            # Edit distance relative to length; misspellings rarely touch the first
            # letter, and requiring it avoids "paid" → "unpaid".
            match = process.extractOne(
                word, index.by_initial.get(word[0], ()),
                scorer=Levenshtein.normalized_similarity, score_cutoff=threshold / 100)
            if match is None:
                return None
            fixed = match[0]
            # Another form of a known word ("inscris" for "inscrits") is used quietly;
            # a misspelling is shown back as "did you mean".
            if _common_prefix(word, fixed) < len(word) - 2:
                corrections[word] = fixed
            return fixed
        return correct

    # -- search ----------------------------------------------------------------------

    async def _candidates(self, session: AsyncSession, terms: list[faq_text.Term]) -> list[int]:
        if not terms:
            return []
        if self._postgres:
            query = " | ".join(dict.fromkeys(t.word for t in terms))
            rows = await session.execute(text(
                "SELECT e.id FROM faq_entries e, to_tsquery('faq_french', :q) query"
                " WHERE e.status = 'active' AND e.search_vector @@ query"
                " ORDER BY ts_rank(e.search_vector, query) DESC, e.id LIMIT :k"),
                {"q": query, "k": CANDIDATES})
        else:
            query = " OR ".join(f'"{t.stem}"' for t in terms)
            rows = await session.execute(text(
                "SELECT rowid FROM faq_fts WHERE faq_fts MATCH :q"
                " ORDER BY bm25(faq_fts, 4.0, 4.0, 2.0, 1.0), rowid LIMIT :k"),
                {"q": query, "k": CANDIDATES})
        return [row[0] for row in rows]

    def _score(self, index: _Index, entry_id: int, weighted: list[tuple[str, float]],
               shape: str) -> float:
        fields = index.fields.get(entry_id)
        if fields is None:
            return 0.0
        total = sum(w for _s, w in weighted) or 1.0
        found = 0.0
        for stem, weight in weighted:
            found += weight * max((FIELD_WEIGHTS[i] for i, f in enumerate(fields) if stem in f),
                                  default=0.0)
        closeness = max((fuzz.token_sort_ratio(shape, v) for v in index.variants[entry_id]),
                        default=0.0) / 100
        return LEXICAL_SHARE * found / total + (1 - LEXICAL_SHARE) * closeness

    async def rank(self, session: AsyncSession, question: str) -> Ranking:
        """Scored candidate ids (best first), the corrected question if any word was
        misspelt, and the terms searched for."""
        index = await self._current_index(session)
        corrections: dict[str, str] = {}
        terms = faq_text.unique(faq_text.analyze(question, self._corrector(index, corrections)))
        # A word of a synonym phrase that no entry uses ("mat" in "congé mat") is carried
        # by the phrase's concept word; on its own it would only lower every score.
        terms = [t for t in terms if not (t.phrase and t.stem not in index.df)][:QUERY_TERMS]
        suggestion = _corrected(question, corrections, index.display) if corrections else None
        if not terms or index.count == 0:
            return Ranking([], suggestion, terms, index)
        ids = await self._candidates(session, _selective(index, terms))
        weighted = [(t.stem, _idf(index, t.stem)) for t in terms]
        shape = " ".join(t.stem for t in terms)
        scored = sorted(((self._score(index, i, weighted, shape), i) for i in ids),
                        key=lambda item: (-item[0], index.titles.get(item[1], ("", ""))[0]))
        return Ranking([(s, i) for s, i in scored if i in index.titles], suggestion, terms,
                       index)

    async def search(self, actor: Actor, place: Place, question: str) -> SearchResult:
        """The best entry for ``question`` and up to two alternatives. Any text is
        accepted: empty, very long, or full of search-engine syntax."""
        asked = clean_line(question)[:QUESTION_LIMIT]
        async with self.db.transaction() as session:
            ranking = await self.rank(session, asked)
            scored, suggestion, index = ranking.scored, ranking.suggestion, ranking.index
            if not ranking.terms:
                return SearchResult(asked, None, (), 0.0, False, suggestion, empty=True)
            best_score = scored[0][0] if scored else 0.0
            confident = bool(scored) and best_score >= self.min_score
            best = None
            if scored:
                entry = await session.get(FaqEntry, scored[0][1])
                if entry is not None:
                    await session.execute(
                        update(FaqEntry).where(FaqEntry.id == entry.id)
                        .values(hits=FaqEntry.hits + 1)
                        .execution_options(synchronize_session=False))
                    best = await self._info(session, entry, extra_hit=True)
            alternatives = tuple(
                EntryLine(*index.titles[i], score=round(s, 3))
                for s, i in scored[1:1 + ALTERNATIVES]
            )
            queued = False
            if not confident:
                queued = await self._enqueue(session, place, asked, ranking.terms, "no_match",
                                             None)
            self._remember(actor, place, asked, [best.slug] if best else [],
                           [a.slug for a in alternatives], ranking.terms)
            return SearchResult(asked, best, alternatives, round(best_score, 3), confident,
                                suggestion, queued)

    async def titles(self, query: str = "", limit: int = TITLE_CHOICES) -> list[EntryLine]:
        """Active entries whose title holds every word of ``query`` (accents and case
        ignored), by title; for autocompletion."""
        async with self.db.transaction() as session:
            index = await self._current_index(session)
        words = _folded_words(query)
        lines = sorted(index.titles.values(), key=lambda t: _folded_words(t[1]))
        found = [EntryLine(slug, title) for slug, title in lines
                 if all(any(w.startswith(q) for w in _folded_words(title)) for q in words)]
        return found[:limit]

    # -- passive help ------------------------------------------------------------------

    async def set_passive(self, actor: Actor, place: Place, enabled: bool) -> bool:
        """Turn passive help on or off in the channel of ``place`` (moderators)."""
        self._check_moderator(actor)
        async with self.db.transaction() as session:
            collective, member = await self._moderate(session, actor, place)
            if enabled:
                await session.execute(
                    insert_for(session, FaqPassiveChannel)
                    .values(collective_id=collective.id, channel_id=place.channel_id,
                            created_at=utcnow())
                    .on_conflict_do_nothing(index_elements=["collective_id", "channel_id"])
                )
            else:
                await session.execute(delete(FaqPassiveChannel).where(
                    FaqPassiveChannel.collective_id == collective.id,
                    FaqPassiveChannel.channel_id == place.channel_id))
            await audit.record(session, actor, member, collective, "faq.passive",
                               f"{place.channel_id}: {'on' if enabled else 'off'}")
        self._passive_loaded_at = None
        return enabled

    async def _passive_enabled(self, place: Place) -> bool:
        now = time.monotonic()
        if self._passive_loaded_at is None or now - self._passive_loaded_at > \
                PASSIVE_CACHE_SECONDS:
            async with self.db.transaction() as session:
                rows = await session.execute(
                    select(Collective.platform, Collective.external_id,
                           FaqPassiveChannel.channel_id)
                    .join(Collective, Collective.id == FaqPassiveChannel.collective_id))
                self._passive_channels = {tuple(row) for row in rows}
            self._passive_loaded_at = now
        return (place.platform.value, place.collective_id, place.channel_id) \
            in self._passive_channels

    async def passive(self, actor: Actor, place: Place, text: str) -> SearchResult | None:
        """The entry to suggest for a member's ordinary message, or None: passive help
        is off in this channel, the message does not look like a rights question, no
        entry answers it well, or the member had a suggestion less than an hour ago.
        Nothing is counted or queued: the member did not ask the bot."""
        if not looks_like_question(text) or not await self._passive_enabled(place):
            return None
        key = (actor.platform.value, actor.user_id)
        now = time.monotonic()
        last = self._suggested.get(key)
        if last is not None and now - last < PASSIVE_SECONDS:
            return None
        async with self.db.transaction() as session:
            ranking = await self.rank(session, clean_line(text)[:QUESTION_LIMIT])
            if not ranking.scored or ranking.scored[0][0] < self.passive_min_score:
                return None
            score, entry_id = ranking.scored[0]
            entry = await session.get(FaqEntry, entry_id)
            if entry is None or entry.status != "active":
                return None
            info = await self._info(session, entry)
        self._suggested.pop(key, None)
        self._suggested[key] = now
        while len(self._suggested) > RECENT_ASKS:
            self._suggested.popitem(last=False)
        return SearchResult(text, info, (), round(score, 3), True)

    def _remember(self, actor: Actor, place: Place, question: str, best: list[str],
                  others: list[str], terms: Sequence[faq_text.Term] = ()) -> None:
        """The last question of each member, for a "not useful" that comes after."""
        key = (actor.platform.value, actor.user_id)
        self._recent.pop(key, None)
        self._recent[key] = _Ask(question, place, tuple(best + others),
                                 time.monotonic(), tuple(terms))
        while len(self._recent) > RECENT_ASKS:
            self._recent.popitem(last=False)

    async def _enqueue(self, session: AsyncSession, place: Place, question: str,
                       terms: Sequence[faq_text.Term], reason: str,
                       entry_id: int | None) -> bool:
        key = " ".join(sorted({t.stem for t in terms}))[:200]
        if not key:
            return False
        collective = await ensure_collective(session, place, **self.defaults)
        now = utcnow()
        await session.execute(
            insert_for(session, FaqQuestion)
            .values(collective_id=collective.id, key=key, text=question[:500], reason=reason,
                    entry_id=entry_id, count=1, status="open", first_at=now, last_at=now)
            .on_conflict_do_update(
                index_elements=["collective_id", "key"],
                set_={"count": FaqQuestion.count + 1, "last_at": now, "status": "open",
                      "reason": reason, "entry_id": entry_id, "text": question[:500]},
            )
        )
        return True

    # -- reading entries -------------------------------------------------------------

    async def _entry(self, session: AsyncSession, slug: str, *,
                     active_only: bool = True) -> FaqEntry:
        slug = (slug or "").strip().lower()
        entry = await session.scalar(select(FaqEntry).where(FaqEntry.slug == slug[:64]))
        if entry is None or (active_only and entry.status != "active"):
            raise NotFound(N_("There is no rights entry “{slug}”."), slug=slug[:64])
        return entry

    async def _info(self, session: AsyncSession, entry: FaqEntry, *,
                    extra_hit: bool = False, extra_view: bool = False) -> EntryInfo:
        aliases = tuple(await session.scalars(
            select(FaqAlias.text).where(FaqAlias.entry_id == entry.id).order_by(FaqAlias.id)))
        counts = dict((await session.execute(
            select(FaqFeedback.useful, func.count()).where(FaqFeedback.entry_id == entry.id)
            .group_by(FaqFeedback.useful))).all())
        return EntryInfo(
            slug=entry.slug, title=entry.title, answer=entry.answer,
            topics=_topics(entry.topics), sources=_sources(entry.sources),
            questions=tuple(json.loads(entry.questions)), aliases=aliases,
            reviewed_on=entry.reviewed_on, status=entry.status, origin=entry.origin,
            edited=entry.edited, hits=(entry.hits or 0) + int(extra_hit),
            views=(entry.views or 0) + int(extra_view),
            useful=counts.get(True, 0), useless=counts.get(False, 0),
        )

    async def show(self, actor: Actor, place: Place, slug: str) -> EntryInfo:
        """One entry by its id; moderators may open retired ones too."""
        async with self.db.transaction() as session:
            entry = await self._entry(session, slug, active_only=not actor.is_moderator)
            await session.execute(
                update(FaqEntry).where(FaqEntry.id == entry.id)
                .values(views=FaqEntry.views + 1)
                .execution_options(synchronize_session=False))
            return await self._info(session, entry, extra_view=True)

    async def feedback(self, actor: Actor, place: Place, slug: str,
                       useful: bool) -> FeedbackResult:
        """Record « useful » or « not useful » (one per person and entry, the latest
        counts). « Not useful » sends the member's question, if it led to this
        entry, to the moderators' queue."""
        async with self.db.transaction() as session:
            entry = await self._entry(session, slug)
            collective = await ensure_collective(session, place, **self.defaults)
            member = await ensure_member(session, actor, collective)
            now = utcnow()
            await session.execute(
                insert_for(session, FaqFeedback)
                .values(entry_id=entry.id, person_id=member.person_id, useful=useful,
                        created_at=now, updated_at=now)
                .on_conflict_do_update(index_elements=["entry_id", "person_id"],
                                       set_={"useful": useful, "updated_at": now})
            )
            queued = False
            if not useful:
                ask = self._recent.get((actor.platform.value, actor.user_id))
                if ask is not None and entry.slug in ask.slugs \
                        and time.monotonic() - ask.at < RECENT_SECONDS:
                    # The terms of the search itself: the same question asked and then
                    # marked not useful is one line of the queue, not two.
                    queued = await self._enqueue(session, ask.collective, ask.question,
                                                 ask.terms, "unhelpful", entry.id)
            info = await self._info(session, entry)
            return FeedbackResult(EntryLine(entry.slug, entry.title), useful, info.useful,
                                  info.useless, queued)

    # -- moderators ------------------------------------------------------------------

    @staticmethod
    def _check_moderator(actor: Actor) -> None:
        if not actor.is_moderator:
            raise PermissionDenied()

    async def _moderate(self, session: AsyncSession, actor: Actor, place: Place):
        self._check_moderator(actor)
        collective = await ensure_collective(session, place, **self.defaults)
        return collective, await ensure_member(session, actor)

    async def add(self, actor: Actor, place: Place, draft: Draft) -> EntryInfo:
        self._check_moderator(actor)
        missing = {key: label for key, label, value in (
            ("id", N_("id"), draft.slug), ("title", N_("title"), draft.title),
            ("answer", N_("answer"), draft.answer), ("sources", N_("sources"), draft.sources),
        ) if not (value or "").strip()}
        if missing:
            raise MissingFields(missing)
        slug = (draft.slug or "").strip().lower()
        if not SLUG.match(slug):
            raise InvalidInput(N_("The id may only hold lower-case letters, digits and "
                                  "hyphens, for example {example}."), example="conge-paternite")
        async with self.db.transaction() as session:
            collective, member = await self._moderate(session, actor, place)
            if await session.scalar(select(FaqEntry.id).where(FaqEntry.slug == slug)):
                raise InvalidInput(N_("The id “{slug}” is already taken."), slug=slug)
            entry = FaqEntry(slug=slug, origin="moderator", edited=True, status="active",
                             reviewed_on=utcnow().date(), questions="[]", topics="",
                             hits=0, views=0)
            _apply(entry, draft)
            session.add(entry)
            await session.flush()
            await self._reindex(session, [entry])
            await self._bump(session)
            await audit.record(session, actor, member, collective, "faq.add", slug)
            return await self._info(session, entry)

    async def edit(self, actor: Actor, place: Place, slug: str, draft: Draft) -> EntryInfo:
        if all(v is None for v in (draft.title, draft.answer, draft.sources, draft.topics,
                                   draft.questions, draft.reviewed)):
            raise InvalidInput(N_("Give at least one field to change, for example {example}."),
                               example='titre="…"')
        async with self.db.transaction() as session:
            collective, member = await self._moderate(session, actor, place)
            entry = await self._entry(session, slug, active_only=False)
            _apply(entry, draft)
            entry.edited = True
            entry.updated_at = utcnow()
            await self._reindex(session, [entry])
            await self._bump(session)
            await audit.record(session, actor, member, collective, "faq.edit", entry.slug)
            return await self._info(session, entry)

    async def set_status(self, actor: Actor, place: Place, slug: str,
                         status: str) -> EntryInfo:
        """Retire an entry (it no longer answers) or restore it."""
        assert status in ("active", "retired")
        async with self.db.transaction() as session:
            collective, member = await self._moderate(session, actor, place)
            entry = await self._entry(session, slug, active_only=False)
            entry.status = status
            entry.edited = True
            entry.updated_at = utcnow()
            await self._reindex(session, [entry])
            await self._bump(session)
            action = "faq.retire" if status == "retired" else "faq.restore"
            await audit.record(session, actor, member, collective, action, entry.slug)
            return await self._info(session, entry)

    async def add_alias(self, actor: Actor, place: Place, slug: str, alias: str | None = None,
                        *, question_id: int | None = None) -> EntryInfo:
        """Add an alias, written out or taken from the unanswered queue (which closes
        that question)."""
        async with self.db.transaction() as session:
            collective, member = await self._moderate(session, actor, place)
            entry = await self._entry(session, slug, active_only=False)
            if question_id is not None:
                queued = await self._queued(session, collective, question_id)
                alias = clean_line(queued.text)[:ALIAS_LIMIT]  # a member's words, as asked
                queued.status = "closed"
            alias = clean_line(alias)
            _check_not_too_long(N_("alias"), alias, ALIAS_LIMIT)
            if not alias:
                raise InvalidInput(N_("Write the alias in quotes, for example {example}."),
                                   example='"congé mat"')
            await session.execute(
                insert_for(session, FaqAlias)
                .values(entry_id=entry.id, text=alias, origin="moderator", created_at=utcnow())
                .on_conflict_do_nothing(index_elements=["entry_id", "text"])
            )
            await self._reindex(session, [entry])
            await self._bump(session)
            await audit.record(session, actor, member, collective, "faq.alias",
                               f"{entry.slug}: {alias}")
            return await self._info(session, entry)

    async def remove_alias(self, actor: Actor, place: Place, slug: str,
                           alias: str) -> EntryInfo:
        async with self.db.transaction() as session:
            collective, member = await self._moderate(session, actor, place)
            entry = await self._entry(session, slug, active_only=False)
            gone = await session.execute(delete(FaqAlias).where(
                FaqAlias.entry_id == entry.id, FaqAlias.text == clean_line(alias)))
            if not gone.rowcount:
                raise NotFound(N_("Entry “{slug}” has no alias “{alias}”."),
                               slug=entry.slug, alias=clean_line(alias)[:ALIAS_LIMIT])
            await self._reindex(session, [entry])
            await self._bump(session)
            await audit.record(session, actor, member, collective, "faq.unalias",
                               f"{entry.slug}: {alias}")
            return await self._info(session, entry)

    async def _queued(self, session: AsyncSession, collective: Collective,
                      question_id: int) -> FaqQuestion:
        scope = await scope_of(session, collective, WORKFLOW)
        queued = await session.get(FaqQuestion, record_id(question_id, field=QUESTION_NUMBER))
        if queued is None or queued.collective_id not in scope.collective_ids:
            raise NotFound(N_("There is no question number {number} in the queue."),
                           number=question_id)
        return queued

    async def queue(self, actor: Actor, place: Place, page: int = 1) -> QueuePage:
        """Open unanswered questions of the FAQ's scope, most asked first."""
        async with self.db.transaction() as session:
            collective, _member = await self._moderate(session, actor, place)
            scope = await scope_of(session, collective, WORKFLOW)
            where = (FaqQuestion.collective_id.in_(scope.collective_ids),
                     FaqQuestion.status == "open")
            total = await session.scalar(select(func.count()).select_from(FaqQuestion)
                                         .where(*where)) or 0
            pages = max(1, -(-total // PAGE_SIZE))
            if not 1 <= page <= pages:
                raise InvalidInput(
                    N_("There is no page {page}: choose a page from 1 to {pages}."),
                    page=page, pages=pages)
            rows = (await session.execute(
                select(FaqQuestion, FaqEntry.slug, FaqEntry.title)
                .outerjoin(FaqEntry, FaqEntry.id == FaqQuestion.entry_id)
                .where(*where)
                .order_by(FaqQuestion.count.desc(), FaqQuestion.last_at.desc(), FaqQuestion.id)
                .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))).all()
            items = tuple(
                QueueItem(q.id, q.text, q.reason, q.count,
                          EntryLine(slug, title) if slug else None, q.last_at)
                for q, slug, title in rows)
            return QueuePage(items, page, pages, total)

    async def dismiss(self, actor: Actor, place: Place, question_id: int) -> QueueItem:
        """Close a queued question (answered elsewhere, or out of scope)."""
        async with self.db.transaction() as session:
            collective, member = await self._moderate(session, actor, place)
            queued = await self._queued(session, collective, question_id)
            queued.status = "closed"
            await audit.record(session, actor, member, collective, "faq.dismiss",
                               str(question_id))
            return QueueItem(queued.id, queued.text, queued.reason, queued.count, None,
                             queued.last_at)

    async def _stale(self, session: AsyncSession) -> tuple[StaleEntry, ...]:
        limit = utcnow().date() - timedelta(days=self.review_age_days)
        rows = await session.execute(
            select(FaqEntry.slug, FaqEntry.title, FaqEntry.reviewed_on)
            .where(FaqEntry.status == "active", FaqEntry.reviewed_on < limit)
            .order_by(FaqEntry.reviewed_on, FaqEntry.slug))
        return tuple(StaleEntry(*row) for row in rows)

    async def stale(self, actor: Actor, place: Place) -> tuple[StaleEntry, ...]:
        """Active entries last reviewed longer ago than the configured age."""
        self._check_moderator(actor)
        async with self.db.transaction() as session:
            return await self._stale(session)

    async def review_announcements(self) -> tuple[ReviewAnnouncement, ...]:
        """For the monthly reminder: entries to review, for each collective that
        has a channel for the FAQ."""
        async with self.db.transaction() as session:
            entries = await self._stale(session)
            if not entries:
                return ()
            rows = (await session.execute(
                select(Collective, CollectiveChannel.channel_id)
                .join(CollectiveChannel, CollectiveChannel.collective_id == Collective.id)
                .where(CollectiveChannel.workflow == WORKFLOW,
                       CollectiveChannel.channel_id.is_not(None)))).all()
            return tuple(
                ReviewAnnouncement(c.platform, c.external_id, channel, c.locale, REVIEW_JOB,
                                   entries, self.review_age_days)
                for c, channel in rows)

    async def stats(self, actor: Actor, place: Place, limit: int = 15) -> StatsReport:
        """Use of each entry (shown as best answer, opened, useful or not) and the
        size of the unanswered queue."""
        async with self.db.transaction() as session:
            collective, _member = await self._moderate(session, actor, place)
            scope = await scope_of(session, collective, WORKFLOW)
            votes: dict[int, dict[bool, int]] = {}
            for entry_id, useful, count in await session.execute(
                select(FaqFeedback.entry_id, FaqFeedback.useful, func.count())
                .group_by(FaqFeedback.entry_id, FaqFeedback.useful)
            ):
                votes.setdefault(entry_id, {})[useful] = count
            entries = list(await session.scalars(select(FaqEntry)))
            ranked = sorted(entries, key=lambda e: (-(e.hits or 0) - (e.views or 0),
                                                    -sum(votes.get(e.id, {}).values()), e.slug))
            lines = tuple(
                EntryStats(e.slug, e.title, e.status, e.hits or 0, e.views or 0,
                           votes.get(e.id, {}).get(True, 0), votes.get(e.id, {}).get(False, 0))
                for e in ranked[:limit])
            open_rows = (await session.execute(
                select(func.count(), func.coalesce(func.sum(FaqQuestion.count), 0))
                .where(FaqQuestion.collective_id.in_(scope.collective_ids),
                       FaqQuestion.status == "open"))).one()
            return StatsReport(lines, sum(e.status == "active" for e in entries),
                               sum(e.status == "retired" for e in entries),
                               int(open_rows[0]), int(open_rows[1]))


# -- helpers -----------------------------------------------------------------------


def _folded_words(text: str) -> list[str]:
    return _WORDS.findall(faq_text.fold(text))


def looks_like_question(text: str) -> bool:
    """A message long enough, not a command, that asks something: a question mark or
    a question word first."""
    text = (text or "").strip()
    if len(text) > PASSIVE_MAX_LENGTH or text.startswith(("!", "/")):
        return False
    words = _folded_words(text)
    if len(words) < PASSIVE_MIN_WORDS:
        return False
    return "?" in text or words[0] in QUESTION_WORDS


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _lines(value: str) -> list[str]:
    """The four field lines of ``search_text`` or ``search_stems``."""
    return [*value.split("\n"), "", "", ""][:4]


def _topics(value: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in value.split(",") if t.strip())


def _sources(value: str) -> tuple[Source, ...]:
    return tuple(Source(name, url) for name, url in json.loads(value or "[]"))


def _corrected(question: str, corrections: dict[str, str], display: dict[str, str]) -> str:
    """The question with each corrected word replaced, the rest as it was typed."""
    def replace(match: re.Match[str]) -> str:
        word = faq_text.fold(match.group(0))
        fixed = corrections.get(word)
        return display.get(fixed, fixed) if fixed else match.group(0)
    return re.sub(r"[^\W_]+", replace, question)


def parse_sources(value: str) -> tuple[Source, ...]:
    """``Name|https://…; Name|https://…``."""
    found = []
    for part in value.split(";"):
        if not part.strip():
            continue
        name, sep, url = part.partition("|")
        if not sep:
            raise InvalidInput(
                N_("Write each source as name|link, separated by semicolons, for example "
                   "{example}."), example="URSSAF|https://www.urssaf.fr")
        try:
            found.append(_source(name, url))
        except ValueError:
            raise InvalidInput(N_("The link of source “{name}” must start with https://."),
                               name=clean_line(name)[:80]) from None
    if not found:
        raise InvalidInput(N_("Give at least one source (name|link)."))
    return tuple(found)


def parse_review_date(value: str) -> date:
    word = faq_text.fold(value.strip())
    if word in ("oui", "yes", "today", "aujourdhui", "aujourd'hui", "maintenant", "now"):
        return utcnow().date()
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise InvalidInput(N_("Give the review date as YYYY-MM-DD, or “yes” for today.")
                           ) from None


def _apply(entry: FaqEntry, draft: Draft) -> None:
    """Copy a moderator's draft onto ``entry``, checking every field."""
    if draft.title is not None:
        title = clean_line(draft.title)
        _check_length(N_("title"), title, TITLE_LIMIT)
        entry.title = title
    if draft.answer is not None:
        answer = clean_block(draft.answer.replace("\\n", "\n"))
        if answer and not answer.rstrip(" »").endswith(NOTICE):
            answer = f"{answer}\n\n« {NOTICE} »"
        _check_length(N_("answer"), answer, ANSWER_LIMIT)
        entry.answer = answer
    if draft.sources is not None:
        entry.sources = json.dumps([[s.name, s.url] for s in parse_sources(draft.sources)],
                                   ensure_ascii=False)
    if draft.topics is not None:
        topics = ", ".join(clean_line(t) for t in re.split(r"[;,]", draft.topics)
                           if clean_line(t))
        _check_not_too_long(N_("topics"), topics, TOPICS_LIMIT)
        entry.topics = topics
    if draft.questions is not None:
        questions = [clean_line(q) for q in draft.questions.split(";") if clean_line(q)]
        for question in questions:
            _check_not_too_long(N_("question"), question, ALIAS_LIMIT)
        entry.questions = json.dumps(questions, ensure_ascii=False)
    if draft.reviewed is not None:
        entry.reviewed_on = parse_review_date(draft.reviewed)


def _check_length(label: str, value: str, limit: int) -> None:
    if not value:
        raise InvalidInput(N_("The {field} cannot be empty."), field=label)
    _check_not_too_long(label, value, limit)


def _check_not_too_long(label: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise InvalidInput(
            N_("The {field} is too long: {limit} characters at most (you sent {length})."),
            field=label, limit=limit, length=len(value))

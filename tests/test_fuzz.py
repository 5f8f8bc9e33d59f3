"""Property-based fuzzing of everything members type.

Random command lines (quotes, unbalanced quotes, ``key=value``, unicode, control
characters, very long words) go through the real registry against a real core on
SQLite, as a member and as a moderator; the date parser and every free-text field
of the services get hostile text. The one rule: a rejection is a ``DomainError``
(which adapters turn into a clear message); any other exception is a bug. Every
reply is also drawn for the console, Matrix and Discord, and must fit Discord's
limits and notify nobody on Matrix.

Two profiles, chosen by ``FUZZ_PROFILE``:

- ``ci`` (default): a fixed seed and a little over 5,000 inputs in all, under a minute;
- ``stress``: random seeds and 25 times as many generated inputs, over 100,000
  (``python bench/fuzz_stress.py``).

The core runs on SQLite; ``FUZZ_BACKEND=postgresql`` runs it on the PostgreSQL
server of the other tests instead (it refuses what SQLite lets through: NUL
characters, strings longer than their column). With ``FUZZ_REPORT=path``, the
number of inputs run by each test is written there as JSON when the module ends.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.core import dates
from bot.core.app import Core
from bot.core.errors import DomainError
from bot.core.i18n import use_locale
from bot.core.render import aid as render_aid
from bot.core.render import demands as render_demands
from bot.core.render import errors as render_errors
from bot.core.render import faq as render_faq
from bot.core.render import meetups as render_meetups
from bot.core.render import polls as render_polls
from bot.core.render import tribune as render_tribune
from bot.core.render.message import Message
from bot.core.services.aid import PostDraft
from bot.core.services.demands import Draft as DemandDraft
from bot.core.services.faq import Draft as FaqDraft
from bot.core.services.meetups import MeetupDraft
from bot.core.services.polls import PollDraft
from bot.core.services.tribune import SignatureForm
from bot.core.text import clean_block, clean_line
from bot.core.types import Actor, Place, Platform
from bot.db.models import Collective, Member
from bot.discord import render as discord_render
from bot.matrix import _render as matrix_render
from bot.textcmd import aid as text_aid
from bot.textcmd import build_registry
from bot.textcmd import demands as text_demands
from bot.textcmd import faq as text_faq
from bot.textcmd import meetups as text_meetups
from bot.textcmd import polls as text_polls
from bot.textcmd import tribune as text_tribune
from bot.textcmd.registry import Command, Registry, split_options, split_words
from tests.conftest import make_settings, postgres_database, postgres_url

# Members' text in chart labels draws glyphs the default font lacks: not a problem.
pytestmark = pytest.mark.filterwarnings("ignore:Glyph .* missing from font")

PROFILE = os.environ.get("FUZZ_PROFILE", "ci")
if PROFILE not in ("ci", "stress"):
    raise RuntimeError(f"FUZZ_PROFILE must be ci or stress, not {PROFILE!r}")
SCALE = 25 if PROFILE == "stress" else 1
BACKEND = os.environ.get("FUZZ_BACKEND", "sqlite")
if BACKEND not in ("sqlite", "postgresql"):
    raise RuntimeError(f"FUZZ_BACKEND must be sqlite or postgresql, not {BACKEND!r}")
RUNS: Counter[str] = Counter()


def budget(examples: int) -> settings:
    """Hypothesis settings for ``examples`` inputs in CI (more under stress)."""
    return settings(
        max_examples=examples * SCALE,
        derandomize=PROFILE == "ci",
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    target = os.environ.get("FUZZ_REPORT")
    if target:
        path = Path(target)
        previous = json.loads(path.read_text()) if path.exists() else {}
        previous.update(RUNS)
        path.write_text(json.dumps(previous, indent=2, sort_keys=True))


# -- hostile text ------------------------------------------------------------------------

# Controls, bidi marks and overrides, zero-width and other format characters, lone
# surrogates (JSON from a platform may carry them), odd spaces, and the characters
# that mean something to the parser or to Markdown.
HOSTILE_CHARS = (
    "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\x9b\u00a0\u00ad\u061c\u180e"
    "\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2066\u2067\u2068\u2069\u206a\u3000\ufeff\ufff9\ufffc\ufffd"
    "\ud800\udbff\udc00\udfff\U000e0001\U000e0041\U0010fffd"
    "\"“”«»„'`*_~|[]()#\\{}<>@&;=,:!%\n\r\t "
)
MENTIONS = (
    "@everyone", "@here", "<@123>", "<@!123>", "<@&456>", "<#789>", "@room", "@ROOM",
    "@alice:localhost", "https://matrix.to/#/@alice:localhost",
    '<a href="https://matrix.to/#/@alice:localhost">Alice</a>',
    "[Alice](https://matrix.to/#/@alice:localhost)", "[x](javascript:alert(1))",
)
NUMBERS = (
    "0", "1", "2", "3", "-1", "#1", "#2", "007", "²", "¹²", "١٢", "߁", "𝟙", "Ⅻ", "1.5", "1e3",
    "0x10", "99999999999999999999", "9" * 400, "-0", "+1", " 1", "1,5", "25%", "101%",
)
DATES = (
    "demain 18h", "jeudi 19h30", "dans 2 jours", "dans 1 minute", "hier", "maintenant",
    "now", "2026-12-01T18:00", "2026-12-01 18:00", "0001-01-01T00:00", "9999-12-31T23:59",
    "9999-12-31T23:59:59-12:00", "0001-01-01T00:00+14:00", "31/02", "25h99", "24h", "0h",
    "1er décembre 18h30", "next thursday 7pm", "12/12 à 18h", "le 32 mars", "2026-02-29",
    "99999-01-01", "-1", "1/1/1", "lundi prochain à midi", "in 3 weeks", "dans 10000 ans",
)
WORDS = (
    "oui", "non", "yes", "no", "o", "n", "vrai", "peut-être", "", " ", "ici", "here", "off",
    "Lyon", "en ligne", "online", "distance", "A;B;C", "A;A", ";;", "A", "B", "C", "1,2",
    "role:123", "niveau:50", "level:abc", "niveau:-5", "niveau:999999999999999999",
    "rôle:" + "x" * 100, "signataires", "tous", "unique", "approbation", "approval",
    "schulze", "irv", "jugement", "mj", "fin", "direct", "live", "1440,60", "0,0", ",,",
    "-60", "hebdomadaire", "mensuelle", "weekly", "Europe/Paris", "Mars/Olympus",
    "../../etc/passwd", "fr", "en", "xx", "tribune", "revendications", "rencontres",
    "entraide", "droits", "retraite", "autre", "ouvert", "retenue", "conseil", "coaching",
    "echange", "marketing", "design,marketing", "demande", "offre", "donne", "recu",
    "A>B>C", "B>A>C", "A>A", "A=bien", "A=bien B=passable", "blanc", "blank", "Z",
    "conge-maternite", "statuts", "URSSAF|https://www.urssaf.fr", "Nom|javascript:x",
    "'; DROP TABLE members;--", "%s%s%n", "{0}{name}", "{}", "{field}", "$(reboot)",
    "=SUM(A1)", "+33", "-", "\\", "\\n", "**gras**", "`code`", "|| spoiler ||", "> quote",
    "$$", "$x^$", "$\\frac{$", "50$ ou 60$",
    "suivant", "recommencer", "confirmer", "retirer", "question=1", "--reset", "ABCD-EFGH",
)
INTERESTING = MENTIONS + NUMBERS + DATES + WORDS

chars = st.one_of(st.characters(), st.sampled_from(HOSTILE_CHARS))
short_text = st.text(chars, max_size=30)
long_text = st.one_of(
    st.text(chars, min_size=100, max_size=600),
    st.builds(lambda unit, times: unit * times,
              st.sampled_from(["a", "é", "🙂", " ", "\u202e", "x ", "@room ", "\x00", "\ud800",
                               "«", "<@1>"]),
              st.integers(50, 12_000)),
)
hostile = st.one_of(
    st.sampled_from(INTERESTING),
    short_text,
    st.builds(lambda a, b, c: a + b + c, st.sampled_from(INTERESTING), short_text,
              st.sampled_from(INTERESTING)),
    long_text,
)


def _keys() -> tuple[str, ...]:
    keys: set[str] = set()
    for table in (text_tribune.SIGN_KEYS, text_demands.DRAFT_KEYS, text_meetups.KEYS,
                  text_polls.CREATE_KEYS, getattr(text_aid, "POST_KEYS", {}),
                  text_faq.DRAFT_KEYS):
        for names in table.values():
            keys.update(names)
    keys.update(("raison", "reason", "statut", "status", "question", "avec", "with", "sens",
                 "direction", "annonce", "post", "note", "notifications", "notify", "sorte",
                 "competence", "skill", "type", "kind", "ville", "city", "NOM", "Nom", "x",
                 "", " ", "=", "clé avec espace"))
    return tuple(sorted(keys))


KEYS = _keys()


def _paths(registry: Registry) -> list[tuple[tuple[str, ...], ...]]:
    """Every command and sub-command, each level as the names it answers to."""
    paths: list[tuple[tuple[str, ...], ...]] = []

    def walk(command: Command, parent: tuple[tuple[str, ...], ...]) -> None:
        here = (*parent, command.names())
        paths.append(here)
        for child in command.children:
            walk(child, here)

    for root in registry.roots:
        walk(root, ())
    return paths


REGISTRY = build_registry("!")
PATHS = _paths(REGISTRY)


@st.composite
def spelled(draw: st.DrawFn, names: tuple[str, ...]) -> str:
    name = draw(st.sampled_from(names))
    return draw(st.sampled_from([name, name.upper(), name.title(), name + "s", name[:-1] or name,
                                 f"«{name}»", f'"{name}"']))


@st.composite
def quoted(draw: st.DrawFn, value: str) -> str:
    style = draw(st.sampled_from(["bare", "bare", '"', "“", "«", "„", "open", "close"]))
    if style == "bare":
        return value
    if style == "open":
        return '"' + value
    if style == "close":
        return value + "»"
    closing = {'"': '"', "“": "”", "«": "»", "„": "“"}[style]
    return f"{style}{value}{closing}"


@st.composite
def token(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 6))
    if kind <= 2:
        key = draw(st.one_of(st.sampled_from(KEYS), short_text))
        return f"{key}={draw(quoted(draw(hostile)))}"
    if kind == 3:
        return draw(quoted(draw(hostile)))
    if kind == 4:
        return draw(short_text)
    return draw(st.sampled_from(INTERESTING))


@st.composite
def command_line(draw: st.DrawFn) -> str:
    """A line naming a real command (maybe misspelt), then random words and options."""
    path = draw(st.sampled_from(PATHS))
    words = [draw(spelled(names)) if draw(st.integers(0, 9)) else draw(short_text)
             for names in path]
    words += draw(st.lists(token(), max_size=8))
    separator = draw(st.sampled_from([" ", " ", " ", "  ", "\t", "\u3000", "\n", " \u200b"]))
    prefix = draw(st.sampled_from(["!", "!", "", "! ", "!!", " !"]))
    return prefix + separator.join(words)


def _quote(value: str) -> str:
    return '"' + value.replace('"', "'") + '"'


@st.composite
def creating_line(draw: st.DrawFn) -> str:
    """A line that would create or act on something, with hostile values in its fields,
    so that the deep paths (storage, announcements, renderers) are reached."""
    v = [_quote(draw(hostile)) for _ in range(4)]
    number = draw(st.sampled_from(["1", "2", "3", "#1", draw(hostile)]))
    template = draw(st.sampled_from([
        f"!tribune signer nom={v[0]} metier={v[1]} ville={v[2]} collectif={v[3]} "
        "public=oui consentement=oui",
        f"!revendication proposer titre={v[0]} texte={v[1]} theme=retraite force=oui",
        f"!revendication rejeter {number} raison={v[0]}",
        f"!scrutin creer titre={v[0]} options={v[1]};{v[2]};B fin=\"dans 2 jours\"",
        f"!scrutin creer titre={v[0]} options=A;B;C fin={v[1]} methode=jugement "
        f"quorum={v[2]} eligibles={v[3]}",
        f"!vote {number} {draw(hostile)}",
        f"!rencontre creer titre={v[0]} lieu={v[1]} debut=\"demain 18h\" description={v[2]} "
        f"adresse={v[3]}",
        f"!rencontre creer titre=Atelier lieu=Lyon debut={v[0]} fin={v[1]} limite={v[2]} "
        f"capacite=2 lien={v[3]}",
        f"!rencontre modifier {number} titre={v[0]} lieu={v[1]}",
        f"!rencontre viens {number}",
        f"!entraide demander type=conseil competences=marketing description={v[0]} "
        f"tags={v[1]} ville={v[2]} heures=2",
        f"!entraide proposer type={v[0]} competences={v[1]} description={v[2]} heures={v[3]}",
        f"!entraide echange heures={v[0]} avec={v[1]} sens=donne note={v[2]} annonce={number}",
        f"!entraide profil competences={v[0]} ville={v[1]} notifications=oui",
        f"!entraide chercher competence={v[0]} ville={v[1]}",
        f"!droits {draw(hostile)}",
        f"!droits ajouter id={v[0]} titre={v[1]} reponse={v[2]} sources={v[3]} sujets=statuts",
        f"!droits alias {v[0]} {v[1]}",
        f"!federation creer {draw(hostile)}",
        f"!federation rejoindre {v[0]}",
        f"!federation moderateur {v[0]}",
        f"!lier {v[0]}",
        f"!config fuseau {v[0]}",
        f"!tribune texte {draw(hostile)}",
    ]))
    return template


any_line = st.one_of(command_line(), creating_line(), st.text(chars, max_size=200),
                     st.builds(lambda line: "!" + line, st.text(chars, max_size=200)))


# -- checks on what the bot would send -----------------------------------------------------

CUSTOM_ID_LIMIT = 100


def check_message(message: Message) -> None:
    """Draw a reply for every platform; it must fit and notify nobody."""
    message.plain_text()
    content = matrix_render.message_content(message)
    assert content["m.mentions"] == {}
    for key in ("body", "formatted_body"):
        assert "@room" not in content[key].casefold(), content[key]
    embed = discord_render.embed(message)
    if embed is not None:
        assert len(embed) <= discord_render.EMBED_TOTAL_LIMIT
        assert len(embed.title or "") <= discord_render.TITLE_LIMIT
        assert len(embed.description or "") <= discord_render.DESCRIPTION_LIMIT
        for item in embed.fields:
            assert len(item.name or "") <= discord_render.FIELD_NAME_LIMIT
            assert len(item.value or "") <= discord_render.FIELD_VALUE_LIMIT
    for action in message.actions:
        assert len(action.custom_id) <= CUSTOM_ID_LIMIT, action.custom_id
    for attachment in message.attachments:
        matrix_render.file_content(attachment, "mxc://fuzz/file")


def check_error(exc: DomainError) -> None:
    """A refusal reads as a sentence in both languages."""
    for locale in ("fr", "en"):
        with use_locale(locale):
            check_message(render_errors.error(exc))


def visible_is_clean(value: str) -> bool:
    """No control, format (bidi, zero-width) or surrogate character in a stored name."""
    return not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in value)


# -- the core under test ----------------------------------------------------------------------

@dataclass
class Harness:
    loop: asyncio.AbstractEventLoop
    core: Core

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)


MEMBER = Actor(Platform.CONSOLE, "alice", "Alice", False)
OTHER = Actor(Platform.CONSOLE, "bob", "Bob", False)
MODERATOR = Actor(Platform.CONSOLE, "modo", "Modo", True)
CONSOLE_PLACE = Place(Platform.CONSOLE, "fuzz", "general", "Fuzz")
# As the Matrix adapter makes them: power levels are roles ("level:N").
MATRIX_MEMBER = Actor(Platform.MATRIX, "@alice:localhost", "alice", False,
                      roles=frozenset({"level:0"}))
MATRIX_MODERATOR = Actor(Platform.MATRIX, "@modo:localhost", "modo", True,
                         roles=frozenset({"level:100"}))
MATRIX_PLACE = Place(Platform.MATRIX, "!fuzz:localhost", "!fuzz:localhost", "Fuzz")
SEATS = (
    (MEMBER, CONSOLE_PLACE), (OTHER, CONSOLE_PLACE), (MODERATOR, CONSOLE_PLACE),
    (MATRIX_MEMBER, MATRIX_PLACE), (MATRIX_MODERATOR, MATRIX_PLACE),
)


async def _sent(_where: str, _channel_or_user: Any, message: Message | None = None) -> None:
    check_message(message if message is not None else _channel_or_user)


async def _told(_user: str, message: Message) -> None:
    check_message(message)


@pytest.fixture(scope="module")
def harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            migrated_sqlite: Path) -> Iterator[Harness]:
    """One core on one database for the whole module: state piles up between inputs,
    so later commands meet polls, meetups and posts made by earlier ones."""
    root = tmp_path_factory.mktemp("fuzz")
    loop = asyncio.new_event_loop()
    scratch = None
    if BACKEND == "postgresql":
        if postgres_url() is None:
            pytest.skip("FUZZ_BACKEND=postgresql, but no PostgreSQL server answers")
        scratch = postgres_database(request.getfixturevalue("migrated_postgres"))
        url = loop.run_until_complete(scratch.__aenter__())
    else:
        database = root / "data" / "bot.sqlite3"
        database.parent.mkdir(parents=True)
        shutil.copyfile(migrated_sqlite, database)
        url = f"sqlite+aiosqlite:///{database}"
    core = Core(make_settings(root, database={"url": url}))
    loop.run_until_complete(core.start())
    for platform in (Platform.CONSOLE, Platform.MATRIX):
        core.outbox.register(platform.value, _sent, _told)
    try:
        yield Harness(loop, core)
    finally:
        loop.run_until_complete(core.close())
        if scratch is not None:
            loop.run_until_complete(scratch.__aexit__(None, None, None))
        loop.close()


async def _settle(call: Callable[[], Any]) -> Any:
    """Await the service call; a DomainError is checked and returned as None."""
    try:
        return await call()
    except DomainError as exc:
        check_error(exc)
        return None


# -- the parser ----------------------------------------------------------------------------------

@budget(1600)
@given(line=any_line)
def test_parser_and_resolution(line: str) -> None:
    RUNS["parser"] += 1
    text = REGISTRY.strip_prefix(line, required=False) or ""
    try:
        words = split_words(text)
        if not any(ch in text for ch in "\"“”«»„"):
            assert words == text.split()
        split_options(words)
        if words:
            command, used = REGISTRY.resolve(words)
            assert 1 <= used <= len(words)
            assert command.handler is not None or command.children
    except DomainError as exc:
        check_error(exc)


# -- dates -----------------------------------------------------------------------------------------

ZONES = ("Europe/Paris", "America/Los_Angeles", "Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
date_text = st.one_of(
    st.sampled_from(DATES),
    st.builds(lambda a, b: f"{a} {b}", st.sampled_from(DATES), st.sampled_from(DATES)),
    st.builds(lambda d, h, m: f"{d} {h}h{m:02d}", st.sampled_from(DATES[:6]),
              st.integers(-3, 99), st.integers(0, 99)),
    st.builds(lambda d, mo, y: f"{d}/{mo}/{y}", st.integers(-1, 40), st.integers(-1, 14),
              st.integers(0, 99999)),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        lambda moment: moment.isoformat()),
    st.builds(lambda moment, hours: moment.isoformat() + f"{hours:+03d}:00",
              st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
              st.integers(-23, 23)),
    hostile,
)


@budget(1000)
@given(text=date_text, zone=st.sampled_from(ZONES), locale=st.sampled_from(("fr", "en")))
def test_dates(text: str, zone: str, locale: str) -> None:
    RUNS["dates"] += 1
    known = dates.known_zone(text)
    assert known is None or known.casefold() == text.strip().casefold()
    try:
        moment = dates.parse_when(text, zone, now=NOW)
    except DomainError as exc:
        check_error(exc)
        return
    assert moment.tzinfo is not None
    moment.astimezone(UTC)
    dates.format_when(moment, zone, locale)


# -- command lines against the core --------------------------------------------------------------

async def _dispatch(core: Core, actor: Actor, place: Place, line: str) -> None:
    with use_locale(await core.locale_for(place)):
        text = REGISTRY.strip_prefix(line, required=False) or ""
        try:
            replies = await REGISTRY.dispatch(core, actor, place, text)
        except DomainError as exc:
            check_error(exc)
            return
        for reply in replies:
            check_message(reply)
            discord_render.render(reply)


@budget(1000)
@given(line=any_line, seat=st.sampled_from(SEATS),
       name=st.one_of(st.none(), hostile))
def test_command_lines(harness: Harness, line: str, seat: tuple[Actor, Place],
                       name: str | None) -> None:
    RUNS["commands"] += 1
    actor, place = seat
    if name is not None:  # the platform's display name is member-controlled too
        actor = Actor(actor.platform, actor.user_id, name, actor.is_moderator,
                      roles=actor.roles)
    harness.run(_dispatch(harness.core, actor, place, line))


SWEEP_ARGUMENTS = (
    "",
    '1 "@room <@123>" nom=\u202eX\x00 titre=«a b» ² fin="demain 18h" options=A;B',
    "9999999999 " + "x" * 3000,
)


def test_every_command(harness: Harness) -> None:
    """Each command and sub-command, by its French and English names, with no
    arguments, odd ones and huge ones, as a member and as a moderator."""
    for path in PATHS:
        for index, arguments in enumerate(SWEEP_ARGUMENTS):
            words = [names[min(index % 2, len(names) - 1)] for names in path]
            for actor, place in (SEATS[0], SEATS[2], SEATS[4]):
                RUNS["sweep"] += 1
                line = "!" + " ".join([*words, arguments])
                harness.run(_dispatch(harness.core, actor, place, line))


# -- free-text fields of the services ------------------------------------------------------

def _clean(*values: str | None) -> None:
    for value in values:
        if value is not None:
            assert visible_is_clean(value), repr(value)


def _people(name: str | None) -> tuple[Actor, Actor]:
    display = name if name is not None else "Alice"
    return (Actor(Platform.CONSOLE, "alice", display, False),
            Actor(Platform.CONSOLE, "modo", display, True))


@budget(60)
@given(name=hostile, profession=hostile, city=hostile, collective=st.one_of(st.none(), hostile),
       display=st.one_of(st.none(), hostile), public=st.booleans())
def test_tribune_fields(harness: Harness, name: str, profession: str, city: str,
                        collective: str | None, display: str | None, public: bool) -> None:
    RUNS["tribune"] += 1
    member, _moderator = _people(display)
    core = harness.core
    form = SignatureForm(name=name, profession=profession, city=city, collective=collective,
                         public=public, consent=True)

    async def scenario() -> None:
        result = await _settle(lambda: core.tribune.sign(member, CONSOLE_PLACE, form))
        if result is not None:
            signature = result.signature
            _clean(signature.name, signature.profession, signature.city, signature.collective)
            check_message(render_tribune.signed(result))
        check_message(render_tribune.tribune(await core.tribune.show(member, CONSOLE_PLACE)))
        check_message(render_tribune.signatories(
            await core.tribune.signatories(member, CONSOLE_PLACE)))

    harness.run(scenario())


@budget(60)
@given(title=hostile, body=hostile, theme=st.one_of(st.sampled_from(("retraite", "autre")),
                                                     hostile),
       reason=hostile, display=st.one_of(st.none(), hostile))
def test_demand_fields(harness: Harness, title: str, body: str, theme: str, reason: str,
                       display: str | None) -> None:
    RUNS["demands"] += 1
    member, moderator = _people(display)
    core = harness.core

    async def scenario() -> None:
        result = await _settle(lambda: core.demands.propose(
            member, CONSOLE_PLACE, DemandDraft(title, body, theme), force=True))
        if result is not None:
            check_message(render_demands.proposed(result))
        if result is not None and result.created is not None:
            number = result.created.id
            _clean(result.created.title)
            info = await core.demands.show(member, CONSOLE_PLACE, number)
            check_message(render_demands.demand(info))
            rejected = await _settle(lambda: core.demands.reject(
                moderator, CONSOLE_PLACE, number, reason))
            if rejected is not None:
                check_message(render_demands.decided(rejected))
        check_message(render_demands.listing(await core.demands.listing(member, CONSOLE_PLACE)))

    harness.run(scenario())


SOUND_BALLOTS = {"unique": "A", "approbation": "A,B", "schulze": "A>B", "irv": "A>B",
                 "jugement": "A=bien B=passable"}


@budget(30)
@given(title=hostile, options=st.lists(hostile, min_size=0, max_size=4),
       method=st.sampled_from(("unique", "approbation", "schulze", "irv", "jugement")),
       ballot=hostile, sound=st.integers(0, 3).map(lambda n: n == 0),
       display=st.one_of(st.none(), hostile))
def test_poll_fields(harness: Harness, title: str, options: list[str], method: str,
                     ballot: str, sound: bool, display: str | None) -> None:
    RUNS["polls"] += 1
    member, moderator = _people(display)
    core = harness.core
    draft = PollDraft(title=title, method=method, options=(*options, "Oui", "Non"),
                      closes="dans 2 jours", live_results=True)

    async def scenario() -> None:
        info = await _settle(lambda: core.polls.create(moderator, CONSOLE_PLACE, draft))
        if info is None:
            return
        _clean(info.title, *(option.label for option in info.options))
        check_message(render_polls.poll(info))
        if sound:  # then results come with a chart (slow to draw: not every time)
            await _dispatch(core, OTHER, CONSOLE_PLACE,
                            f"vote {info.id} {SOUND_BALLOTS[method]}")
        await _dispatch(core, member, CONSOLE_PLACE, f"vote {info.id} {ballot}")
        check_message(render_polls.results(await core.polls.results(
            moderator, CONSOLE_PLACE, info.id)))
        result, announcements = await core.polls.close(info.id, actor=moderator,
                                                       place=CONSOLE_PLACE)
        check_message(render_polls.results(result))
        await core.outbox.deliver(announcements)

    harness.run(scenario())


@budget(60)
@given(title=hostile, where=st.one_of(st.sampled_from(("Lyon", "en ligne")), hostile),
       starts=st.one_of(st.sampled_from(("demain 18h", "2027-01-05T18:30")), hostile),
       address=st.one_of(st.none(), hostile), link=st.one_of(st.none(), hostile),
       description=st.one_of(st.none(), hostile), city=st.one_of(st.none(), hostile),
       display=st.one_of(st.none(), hostile))
def test_meetup_fields(harness: Harness, title: str, where: str, starts: str,
                       address: str | None, link: str | None, description: str | None,
                       city: str | None, display: str | None) -> None:
    RUNS["meetups"] += 1
    member, moderator = _people(display)
    core = harness.core
    draft = MeetupDraft(title=title, where=where, starts=starts, address=address, link=link,
                        description=description, capacity=1)

    async def scenario() -> None:
        created = await _settle(lambda: core.meetups.create(moderator, CONSOLE_PLACE, draft))
        if created is not None:
            info = created.meetup
            _clean(info.title, info.city, info.address)
            check_message(render_meetups.meetup(info))
            await core.outbox.deliver(created.announcements)
            answered = await _settle(lambda: core.meetups.rsvp(member, CONSOLE_PLACE, info.id,
                                                               "going"))
            if answered is not None:
                check_message(render_meetups.answered(answered))
            check_message(render_meetups.calendar(
                await core.meetups.calendar(member, CONSOLE_PLACE, info.id)))
            check_message(render_meetups.attendees(
                await core.meetups.attendees(moderator, CONSOLE_PLACE, info.id)))
        listing = await _settle(lambda: core.meetups.upcoming(member, CONSOLE_PLACE, city))
        if listing is not None:
            check_message(render_meetups.listing(listing))

    harness.run(scenario())


@budget(60)
@given(kind=st.sampled_from(("request", "offer")),
       category=st.one_of(st.sampled_from(("conseil", "coaching")), hostile),
       skills=st.one_of(st.sampled_from(("marketing", "design,marketing")), hostile),
       tags=st.one_of(st.none(), hostile), description=hostile,
       city=st.one_of(st.none(), hostile), hours=st.one_of(st.none(), hostile),
       note=hostile, display=st.one_of(st.none(), hostile))
def test_aid_fields(harness: Harness, kind: str, category: str, skills: str, tags: str | None,
                    description: str, city: str | None, hours: str | None, note: str,
                    display: str | None) -> None:
    RUNS["aid"] += 1
    member, moderator = _people(display)
    core = harness.core
    draft = PostDraft(kind=kind, category=category, skills=skills, tags=tags,
                      description=description, city=city, hours=hours)

    async def scenario() -> None:
        created = await _settle(lambda: core.aid.post(member, CONSOLE_PLACE, draft))
        if created is not None:
            post = created.post
            _clean(post.tags, post.city, post.author)
            check_message(render_aid.post(post))
            await core.outbox.notify(created.notices)
            offer = await _settle(lambda: core.aid.can_help(moderator, CONSOLE_PLACE, post.id))
            if offer is not None:
                check_message(render_aid.help_sent(offer.post))
            recorded = await _settle(lambda: core.aid.record(
                moderator, CONSOLE_PLACE, other=member, hours=hours or "1", gave=True,
                post=post.id, category=None, note=note))
            if recorded is not None:
                check_message(render_aid.exchange(recorded.exchange))
        found = await _settle(lambda: core.aid.search(member, CONSOLE_PLACE, skill=skills,
                                                      city=city))
        if found is not None:
            check_message(render_aid.listing(found))
        profile = await _settle(lambda: core.aid.set_profile(member, CONSOLE_PLACE,
                                                             skills=skills, city=city))
        if profile is not None:
            _clean(profile.city)
            check_message(render_aid.profile(profile))

    harness.run(scenario())


@budget(60)
@given(question=hostile, slug=st.one_of(st.sampled_from(("conge-fuzz", "statuts")), hostile),
       title=hostile, answer=hostile, sources=st.one_of(
           st.sampled_from(("URSSAF|https://www.urssaf.fr",)), hostile),
       topics=st.one_of(st.none(), hostile), questions=st.one_of(st.none(), hostile),
       alias=hostile)
def test_faq_fields(harness: Harness, question: str, slug: str, title: str, answer: str,
                    sources: str, topics: str | None, questions: str | None,
                    alias: str) -> None:
    RUNS["faq"] += 1
    member, moderator = _people(None)
    core = harness.core
    draft = FaqDraft(slug=slug, title=title, answer=answer, sources=sources, topics=topics,
                     questions=questions)

    async def scenario() -> None:
        found = await _settle(lambda: core.faq.search(member, CONSOLE_PLACE, question))
        if found is not None:
            check_message(render_faq.answer(found))
        await _settle(lambda: core.faq.passive(member, CONSOLE_PLACE, question))
        added = await _settle(lambda: core.faq.add(moderator, CONSOLE_PLACE, draft))
        if added is not None:
            _clean(added.title)
            check_message(render_faq.entry(added))
            aliased = await _settle(lambda: core.faq.add_alias(moderator, CONSOLE_PLACE,
                                                               added.slug, alias))
            if aliased is not None:
                check_message(render_faq.aliases(aliased))
        queue = await core.faq.queue(moderator, CONSOLE_PLACE)
        check_message(render_faq.queue(queue))

    harness.run(scenario())


# -- text cleaning ----------------------------------------------------------------------------

@budget(400)
@given(value=st.one_of(hostile, st.text(chars)))
def test_cleaning(value: str) -> None:
    RUNS["cleaning"] += 1
    line = clean_line(value)
    assert visible_is_clean(line) and line == line.strip() and "  " not in line
    assert clean_line(line) == line
    block = clean_block(value)
    assert not any(unicodedata.category(ch) in ("Cf", "Cs") for ch in block)
    assert not any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in block)
    assert clean_block(block) == block



# Every character that can disguise a name: bidi embeddings, overrides, isolates and
# marks, zero-width characters, a byte order mark, controls, a line separator.
DISGUISES = ("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
             "\u200b\u200d\u2060\ufeff\u00ad")
CONTROLS = "\x00\x07\x1b\x7f\u2028"


def disguised(name: str) -> str:
    """``name`` with every disguise inside its first word and controls at both ends."""
    head, _space, tail = name.partition(" ")
    middle = len(head) // 2
    word = head[:middle] + DISGUISES + head[middle:]
    return CONTROLS + (f"{word} {tail}" if tail else word) + CONTROLS


async def test_names_lose_controls_and_bidi_characters(core: Core) -> None:
    actor = Actor(Platform.CONSOLE, "mallory", disguised("Mallory Dupont"))
    moderator = Actor(Platform.CONSOLE, "modo", disguised("Modo"), True)
    assert actor.display_name == "Mallory Dupont"
    place = Place(Platform.CONSOLE, "c1", "general", disguised("Collectif Lyon"))
    assert place.collective_name == "Collectif Lyon"

    signed = await core.tribune.sign(actor, place, SignatureForm(
        name=disguised("Alice Martin"), profession=disguised("Graphiste"),
        city=disguised("Lyon"), collective=disguised("Coop"), public=True, consent=True))
    assert (signed.signature.name, signed.signature.profession, signed.signature.city,
            signed.signature.collective) == ("Alice Martin", "Graphiste", "Lyon", "Coop")
    demand = await core.demands.propose(actor, place, DemandDraft(
        disguised("Assurance chômage"), disguised("Pour tous"), "retraite"), force=True)
    assert demand.created is not None and demand.created.title == "Assurance chômage"
    poll = await core.polls.create(moderator, place, PollDraft(
        title=disguised("Lieu de l'assemblée"), method="unique",
        options=(disguised("Lyon"), "Paris"), closes="dans 2 jours"))
    assert poll.title == "Lieu de l'assemblée"
    assert [option.label for option in poll.options] == ["Lyon", "Paris"]
    meetup = await core.meetups.create(moderator, place, MeetupDraft(
        title=disguised("Apéro des indés"), where=disguised("Lyon"),
        address=disguised("3 place des Terreaux"), starts="demain 18h"))
    assert (meetup.meetup.title, meetup.meetup.city, meetup.meetup.address) == (
        "Apéro des indés", "Lyon", "3 place des Terreaux")
    post = await core.aid.post(actor, place, PostDraft(
        kind="request", category="conseil", skills="marketing",
        description=disguised("Relire ma page"), tags=disguised("lancement"),
        city=disguised("Lyon")))
    assert (post.post.tags, post.post.city, post.post.author) == (
        "lancement", "Lyon", "Mallory Dupont")
    assert visible_is_clean(post.post.description.replace("\n", " "))
    async with core.db.transaction() as session:
        names = set(await session.scalars(select(Member.display_name)))
        collectives = set(await session.scalars(select(Collective.name)))
    assert names == {"Mallory Dupont", "Modo"} and collectives == {"Collectif Lyon"}

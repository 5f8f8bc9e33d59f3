"""One person, one ballot, and secret ballots that stay secret, tried as an adversary.

Who may learn what is written in the README (« Who may learn what »). Each test
below tries to break one of those claims: on the real program (the console) for
what a member or a moderator can do, through the services with two linked
platforms for links and erasures, and by reading every table and file of the data
folder for someone holding a copy of it.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import random
import re
import shutil
import sqlite3
import weakref
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core.app import Core, ballot_key
from bot.core.errors import InvalidInput
from bot.core.i18n import translate, use_locale
from bot.core.services.polls import (
    ALREADY_FINAL,
    LINK_FINAL,
    RESULTS_AT_CLOSE,
    VOTED_ELSEWHERE,
    PollDraft,
    parse_ballot,
)
from bot.core.types import Actor, Place, Platform
from bot.db import migrate
from bot.db.models import Ballot, Member, Person, PollVoter
from tests.conftest import make_settings, member, place
from tests.test_console import run_console

MOD = member("mod", moderator=True)
DISCORD = Place(Platform.DISCORD, "guild", "general", "Guilde")
MATRIX = Place(Platform.MATRIX, "!room:hs", "!room:hs", "Salon")


def fr(message: str, **params: object) -> str:
    with use_locale("fr"):
        return translate(message, **params)


def draft(**overrides: object) -> PollDraft:
    values: dict = dict(title="Priorité", method="single", options=("Oui", "Non", "Plus tard"),
                        closes="dans 3 jours")
    values.update(overrides)
    return PollDraft(**values)  # type: ignore[arg-type]


def accounts(name: str) -> tuple[Actor, Actor]:
    return (Actor(Platform.DISCORD, f"d-{name}", name, False),
            Actor(Platform.MATRIX, f"@{name}:hs", name, False))


async def link(core: Core, discord: Actor, matrix: Actor) -> None:
    code = await core.identity.issue(discord, DISCORD)
    await core.identity.redeem(matrix, MATRIX, code.code)


async def federate(core: Core) -> None:
    """The Discord guild and the Matrix room in one federation sharing polls."""
    mod_d = Actor(Platform.DISCORD, "d-mod", "Mod", True)
    mod_m = Actor(Platform.MATRIX, "@mod:hs", "Mod", True)
    await core.federation.create(mod_d, DISCORD, "Fédé")
    code = await core.federation.issue_code(mod_d, DISCORD)
    await core.federation.join(mod_m, MATRIX, code.code)


async def ballots(core: Core, poll_id: int) -> list[str]:
    async with core.db.transaction() as session:
        return sorted(await session.scalars(select(Ballot.content)
                                            .where(Ballot.poll_id == poll_id)))


# -- on the console: what members and moderators can do ---------------------------


def test_an_erased_members_ballot_is_nobody_elses(tmp_path: Path) -> None:
    """Reproduction 1 (ids reused after erasure) and 8 (erasure traces that act)."""
    result = run_console(tmp_path, "\n".join([
        '!scrutin creer titre="Grève" options="A;B" fin="dans 2 jours" recus=oui',
        ":as alice",
        "!vote 1 B",
        "!oublie-moi confirmer",
        ":as newcomer",
        "!scrutin voir 1",
        "!vote 1 A",
        ":as alice",          # the erased account comes back
        "!scrutin voir 1",
        "!vote 1 A",
        ":as console --mod",
        "!scrutin clore 1",
        "!scrutin resultats 1",
        "",
    ]))
    out = result.stdout
    assert result.returncode == 0, result.stderr
    receipts = re.findall(r"Votre reçu : \*?\*?([0-9A-F]{8})", out)
    assert len(receipts) == 2 and receipts[0] != receipts[1], out
    newcomer = out.split(":as newcomer")[-1] if ":as newcomer" in out else out
    # the newcomer has not voted and casts a ballot of their own
    assert out.count("Votre bulletin est enregistré.") == 2, out
    assert "Votre bulletin est remplacé" not in out
    # the erased account is still known as having voted until the close: no second ballot
    assert fr(VOTED_ELSEWHERE) in out, newcomer
    # both ballots counted: B (alice, erased) and A (the newcomer)
    assert re.search(r"A[^\n]*1 voix", out) and re.search(r"B[^\n]*1 voix", out), out


def test_results_at_the_end_are_hidden_from_moderators_too(tmp_path: Path) -> None:
    """Reproduction 5: live tallies of a poll whose results are shown at the end."""
    result = run_console(tmp_path, "\n".join([
        '!scrutin creer titre="Grève" options="A;B" fin="dans 2 jours" resultats=fin',
        ":as alice",
        "!vote 1 A",
        ":as console --mod",
        "!scrutin resultats 1",
        "!scrutin export 1",
        "!scrutin voir 1",
        "",
    ]))
    out = result.stdout
    assert fr(RESULTS_AT_CLOSE) in out, out
    assert "Décompte provisoire" not in out and "1 voix" not in out
    assert "pourront être exportés une fois celui-ci clos" in out
    assert not (tmp_path / "data" / "exports" / "scrutin-1.json").exists()
    assert re.search(r"Bulletins[^\n]*\n?[^\n]*1", out)  # the count of ballots may show


def test_a_huge_quorum_is_refused_clearly(tmp_path: Path) -> None:
    """Reproduction 11: quorum=99999999999999999999999 crashed poll creation."""
    result = run_console(tmp_path, "\n".join([
        '!scrutin creer titre="Q" options="A;B" fin="dans 2 jours" '
        "quorum=99999999999999999999999",
        '!scrutin creer titre="Q" options="A;B" fin="dans 2 jours" quorum=250%',
        '!scrutin creer titre="Q" options="A;B" fin="dans 2 jours" quorum=²',
        "!scrutin",
        "",
    ]))
    out = result.stdout
    assert out.count("Le quorum est un nombre de bulletins de 1 à 1 000 000") == 3, out
    assert "Traceback" not in result.stderr and "référence" not in out
    assert "Aucun scrutin" in out


def test_final_ballots_on_the_console(tmp_path: Path) -> None:
    result = run_console(tmp_path, "\n".join([
        '!scrutin creer titre="Grève" options="A;B" fin="dans 2 jours" modifiable=non',
        ":as alice",
        "!vote 1 A",
        "!scrutin voir 1",
        "!vote 1 B",
        "",
    ]))
    out = result.stdout
    assert "Vous avez voté. Les bulletins de ce scrutin sont définitifs." in out, out
    assert fr(ALREADY_FINAL) in out
    assert "secret, définitif" in out


# -- links, unlinks and erasures through the services ------------------------------


async def test_unlinking_gives_no_second_ballot(core: Core) -> None:
    """Reproduction 2: vote on Discord, unlink on Matrix, vote again on Matrix."""
    await federate(core)
    poll = await core.polls.create(MOD.__class__(Platform.DISCORD, "d-mod", "Mod", True),
                                   DISCORD, draft())
    ana_d, ana_m = accounts("ana")
    await link(core, ana_d, ana_m)
    await core.polls.vote(ana_d, DISCORD, poll.id, "A")
    await core.identity.unlink(ana_m, MATRIX)
    assert (await core.polls.show(ana_m, MATRIX, poll.id)).voted  # both sides marked
    with pytest.raises(InvalidInput) as refused:
        await core.polls.vote(ana_m, MATRIX, poll.id, "B")
    assert refused.value.args[0] == VOTED_ELSEWHERE
    assert await ballots(core, poll.id) == ['"A"']
    # the side that cast it may still change it
    assert (await core.polls.vote(ana_d, DISCORD, poll.id, "C")).replaced
    assert await ballots(core, poll.id) == ['"C"']
    # and every further link and unlink cycle adds nothing
    for _ in range(3):
        await link(core, ana_d, ana_m)
        await core.identity.unlink(ana_m, MATRIX)
        with pytest.raises(InvalidInput):
            await core.polls.vote(ana_m, MATRIX, poll.id, "B")
    assert len(await ballots(core, poll.id)) == 1


async def test_linking_two_voters_keeps_the_latest_ballot(core: Core) -> None:
    await federate(core)
    mod = Actor(Platform.DISCORD, "d-mod", "Mod", True)
    poll = await core.polls.create(mod, DISCORD, draft(receipts=True))
    public = await core.polls.create(mod, DISCORD, draft(secret=False))
    ana_d, ana_m = accounts("ana")
    await core.polls.vote(ana_m, MATRIX, poll.id, "B")
    await core.polls.vote(ana_d, DISCORD, poll.id, "A")  # the latest
    await core.polls.vote(ana_d, DISCORD, public.id, "A")
    latest = await core.polls.vote(ana_m, MATRIX, public.id, "C")  # the latest
    await link(core, ana_d, ana_m)
    assert await ballots(core, poll.id) == ['"A"']
    assert await ballots(core, public.id) == ['"C"']
    replaced = await core.polls.vote(ana_m, MATRIX, public.id, "B")
    assert replaced.replaced and await ballots(core, public.id) == ['"B"']
    assert latest.receipt is None
    result, _ = await core.polls.close(poll.id, actor=mod, place=DISCORD)
    assert result.ballots == 1 and sum(n for _, n in result.by_collective) == 1


async def test_final_ballots_cannot_be_doubled_by_linking(core: Core) -> None:
    await federate(core)
    mod = Actor(Platform.DISCORD, "d-mod", "Mod", True)
    poll = await core.polls.create(mod, DISCORD, draft(final=True))
    ana_d, ana_m = accounts("ana")
    await core.polls.vote(ana_d, DISCORD, poll.id, "A")
    await core.polls.vote(ana_m, MATRIX, poll.id, "B")
    with pytest.raises(InvalidInput) as refused:
        await link(core, ana_d, ana_m)
    assert refused.value.args[0] == LINK_FINAL
    bob_d, bob_m = accounts("bob")
    await core.polls.vote(bob_d, DISCORD, poll.id, "A")
    await link(core, bob_d, bob_m)  # only one side voted: fine
    with pytest.raises(InvalidInput) as again:
        await core.polls.vote(bob_m, MATRIX, poll.id, "B")
    assert again.value.args[0] == ALREADY_FINAL
    await core.identity.unlink(bob_m, MATRIX)
    with pytest.raises(InvalidInput):
        await core.polls.vote(bob_m, MATRIX, poll.id, "B")
    assert len(await ballots(core, poll.id)) == 3


async def test_erasure_keeps_the_ballot_counted_and_blocks_a_second(core: Core) -> None:
    """Reproduction 8: public ballots of open polls and voter records after erasure."""
    poll = await core.polls.create(MOD, place(), draft(secret=False))
    await core.polls.vote(member("ana"), place(), poll.id, "A")
    await core.polls.vote(member("bob"), place(), poll.id, "B")
    await core.privacy.forget(member("ana"), place(), confirm=True)
    # the rule: the ballot stays counted, without the name
    async with core.db.transaction() as session:
        rows = (await session.execute(select(Ballot.content, Ballot.person_id)
                                      .where(Ballot.poll_id == poll.id))).all()
    assert sorted(c for c, _ in rows) == ['"A"', '"B"']
    assert sorted(p is None for _, p in rows) == [False, True]
    info = await core.polls.show(member("ana"), place(), poll.id)
    assert info.voted and info.ballots == 2
    with pytest.raises(InvalidInput):
        await core.polls.vote(member("ana"), place(), poll.id, "B")
    result, _ = await core.polls.close(poll.id, actor=MOD, place=place())
    assert result.ballots == 2 and result.figures == {"A": "1", "B": "1", "C": "0"}
    async with core.db.transaction() as session:  # voter records go at the close
        assert await session.scalar(select(func.count()).select_from(PollVoter)) == 0


async def test_person_ids_are_never_handed_out_twice(core: Core) -> None:
    await core.polls.listing(member("first"), place())
    async with core.db.transaction() as session:
        first = await session.scalar(select(Member.person_id).where(Member.user_id == "first"))
    await core.privacy.forget(member("first"), place(), confirm=True)
    await core.polls.listing(member("second"), place())
    async with core.db.transaction() as session:
        second = await session.scalar(select(Member.person_id)
                                      .where(Member.user_id == "second"))
        tokens = list(await session.scalars(select(Person.token)))
    assert second is not None and first is not None and second > first
    assert all(len(t) == 64 for t in tokens) and len(set(tokens)) == len(tokens)


# -- the property: ballots counted never exceed the humans who voted ----------------

HUMANS = 3
EXAMPLES = itertools.count()
FEDERATED: weakref.WeakSet[Core] = weakref.WeakSet()
OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("vote"), st.integers(0, HUMANS - 1), st.booleans(),
              st.sampled_from("ABC")),
    st.tuples(st.just("link"), st.integers(0, HUMANS - 1)),
    st.tuples(st.just("unlink"), st.integers(0, HUMANS - 1), st.booleans()),
    st.tuples(st.just("erase"), st.integers(0, HUMANS - 1), st.booleans()),
), min_size=1, max_size=10)


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS, final=st.booleans(), secret=st.booleans())
async def test_ballots_never_exceed_the_humans_who_voted(
    core: Core, operations: list[tuple], final: bool, secret: bool
) -> None:
    """Humans are what the bot can know of them: two accounts are one human for a
    poll once they have been linked while one of them had voted (even if unlinked
    later). Accounts never linked, or unlinked before either voted, are two
    people to anyone."""
    example = next(EXAMPLES)
    if core not in FEDERATED:
        await federate(core)
        FEDERATED.add(core)
    mod = Actor(Platform.DISCORD, "d-mod", "Mod", True)
    poll = await core.polls.create(mod, DISCORD, draft(final=final, secret=secret))
    humans = [accounts(f"h{example}x{i}") for i in range(HUMANS)]
    linked = [False] * HUMANS  # the two accounts are linked now
    joined = [False] * HUMANS  # they were linked while one of them had voted
    voted: set[tuple[int, bool]] = set()  # (human, from Discord) that cast a ballot

    def distinct() -> int:
        return sum(
            (1 if any(w == who for w, _ in voted) else 0) if joined[who]
            else sum(1 for w, _ in voted if w == who)
            for who in range(HUMANS))

    for operation in operations:
        kind, who = operation[0], operation[1]
        discord, matrix = humans[who]
        side = operation[2] if len(operation) > 2 else True
        actor, where = (discord, DISCORD) if side else (matrix, MATRIX)
        try:
            if kind == "vote":
                await core.polls.vote(actor, where, poll.id, operation[3])
                voted.add((who, side))
            elif kind == "link":
                await link(core, discord, matrix)
                linked[who] = True
            elif kind == "unlink":
                await core.identity.unlink(actor, where)
                linked[who] = False
            else:
                await core.privacy.forget(actor, where, confirm=True)
                linked[who] = False
        except InvalidInput:
            pass
        if linked[who] and any(w == who for w, _ in voted):
            joined[who] = True
        counted = len(await ballots(core, poll.id))
        assert counted <= distinct(), (operations, counted, voted, joined)
    result, _ = await core.polls.close(poll.id, actor=mod, place=DISCORD)
    assert result.ballots <= distinct()


# -- a copy of the data folder, without the key ------------------------------------

RANKINGS = ["A>B>C>D", "A>C>B>D", "B>A>C>D", "B>C>A>D", "C>A>B>D", "C>B>A>D", "D>A>B>C",
            "D>C>B>A"]


def _tables(path: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    connection = sqlite3.connect(path)
    try:
        names = [r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        found = {}
        for name in names:
            cursor = connection.execute(f'SELECT * FROM "{name}"')
            found[name] = ([c[0] for c in cursor.description], cursor.fetchall())
        return found
    finally:
        connection.close()


def _dates(value: object) -> bool:
    return isinstance(value, str) and bool(re.match(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d", value))


@pytest.fixture
async def sqlite_core(tmp_path: Path, migrated_sqlite: Path) -> AsyncIterator[Core]:
    """A bot on SQLite, whose whole state is its data folder (and the key in it)."""
    path = tmp_path / "data" / "bot.sqlite3"
    path.parent.mkdir(parents=True)
    shutil.copyfile(migrated_sqlite, path)
    core = Core(make_settings(tmp_path, database={"url": f"sqlite+aiosqlite:///{path}"}))
    await core.start()
    try:
        yield core
    finally:
        await core.close()


@pytest.mark.parametrize("final", [False, True], ids=["changeable", "final"])
async def test_a_copy_of_the_data_folder_does_not_tell_who_voted_what(
    sqlite_core: Core, final: bool
) -> None:
    core = sqlite_core
    rng = random.Random(8)
    poll = await core.polls.create(MOD, place(), draft(
        method="schulze", options=("A", "B", "C", "D"), receipts=not final, final=final))
    voters = [f"voter{i}" for i in range(8)]
    for name in voters[:4]:  # half the members exist before the poll, in a known order;
        await core.polls.listing(member(name), place())  # the others first come to vote
    order = voters[:]
    rng.shuffle(order)
    truth = dict(zip(order, RANKINGS, strict=True))  # each voter's ballot is unique
    for name in order:
        await core.polls.vote(member(name), place(), poll.id,
                              parse_ballot("schulze", truth[name]))
    data_dir = core.settings.bot.data_dir
    tables = _tables(data_dir / "bot.sqlite3")
    columns, rows = tables["ballots"]
    assert set(columns) == {"poll_id", "slot", "person_id", "content", "receipt", "seal"}
    people = {user: pid for user, pid in ((r[tables["members"][0].index("user_id")],
                                           r[tables["members"][0].index("person_id")])
                                          for r in tables["members"][1])}
    known = {str(v) for name, (_c, table_rows) in tables.items()
             if name not in ("ballots", "poll_voters", "poll_turnout", "polls", "poll_options")
             for row in table_rows for v in row if v is not None}
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        assert record["person_id"] is None
        # no value of a ballot appears anywhere else, and none is a date
        for name in ("slot", "receipt", "seal"):
            assert record[name] is None or str(record[name]) not in known
            assert not _dates(record[name])
    # row order: the stored order is the order of the keyed slots, not of arrival
    stored = [dict(zip(columns, r, strict=True)) for r in rows]
    assert [r["slot"] for r in stored] == sorted(r["slot"] for r in stored)
    by_arrival = [truth[name] for name in order]
    assert [r["content"] for r in stored] != [
        '[[' + '], ['.join(f'"{k}"' for k in ranking.split(">")) + ']]'
        for ranking in by_arrival]
    with pytest.raises(sqlite3.OperationalError):  # no hidden rowid to order by
        sqlite3.connect(data_dir / "bot.sqlite3").execute("SELECT rowid FROM ballots")
    voter_columns, voter_rows = tables["poll_voters"]
    assert voter_columns == ["poll_id", "voter_key"]
    assert [r[1] for r in voter_rows] == sorted(r[1] for r in voter_rows)
    # without the key, no guess of a keyed hash matches
    slots = {r["slot"] for r in stored} | {r[1] for r in voter_rows}
    for name, person in people.items():
        for guess in (f"ballot:{poll.id}:{person}", f"voter:{poll.id}:console:{name}"):
            for key in (b"", guess.encode()):
                assert hmac.new(key, guess.encode(), hashlib.sha256).hexdigest() not in slots
            assert hashlib.sha256(guess.encode()).hexdigest() not in slots
    # members, persons and memberships say nothing more precise than the day (those
    # who first came to vote included)
    for name, column in (("members", "created_at"), ("persons", "created_at"),
                         ("memberships", "joined_at")):
        cols, table_rows = tables[name]
        assert table_rows
        for row in table_rows:
            when = datetime.fromisoformat(str(dict(zip(cols, row, strict=True))[column]))
            assert (when.hour, when.minute, when.second, when.microsecond) == (0, 0, 0, 0), (
                name, row)
    # every other file of the data folder: no slot, no ballot, no voter
    for path in data_dir.rglob("*"):
        if path.is_file() and path.name not in ("bot.sqlite3", "bot.sqlite3-wal",
                                                "bot.sqlite3-shm", "ballot.key"):
            text = path.read_bytes()
            assert not any(s.encode() in text for s in slots), path
    if final:
        # with the key too: the operator can tell who voted, not how
        keys = core.polls.keys
        key = ballot_key(core.settings)
        assert key
        async with core.db.transaction() as session:
            tokens = dict((await session.execute(select(Person.id, Person.token))).all())
        for person, token in tokens.items():
            assert keys.slot(poll.id, token) not in {r["slot"] for r in stored}, person
        assert all(r["seal"] is None and r["receipt"] is None for r in stored)
        assert {keys.voter(poll.id, "console", name) for name in voters} == {
            r[1] for r in voter_rows}
    else:
        # with the key, the seals tell when and where, which only the program uses
        assert all(core.polls.keys.unseal(r["seal"]) for r in stored)


# -- ballots written by earlier versions --------------------------------------------


async def test_open_polls_of_earlier_versions_are_keyed_anew(tmp_path: Path) -> None:
    """Rows keyed by person id (before revision 0011) are converted at start, with
    the key: voters keep their ballot, their receipt and their « you have voted »."""
    path = tmp_path / "data" / "bot.sqlite3"
    path.parent.mkdir(parents=True)
    url = f"sqlite+aiosqlite:///{path}"
    await migrate.upgrade(url, "0010")
    core = Core(make_settings(tmp_path, database={"url": url}))
    legacy = core.polls.keys.legacy
    past, future = "2026-01-01 00:00:00", "2099-01-01 00:00:00"
    statements = [
        f"INSERT INTO federations VALUES (1, 'c1', '{past}')",
        "INSERT INTO collectives (id, platform, external_id, name, federation_id, locale,"
        f" timezone, created_at, home_federation_id, welcomed) VALUES (1, 'console', 'c1',"
        f" 'c1', 1, 'fr', 'Europe/Paris', '{past}', 1, 1)",
        f"INSERT INTO tribunes VALUES (1, 1, NULL, 0, '{past}')",
        f"INSERT INTO persons VALUES (1, '{past}'), (2, '{past}'), (3, '{past}')",
        f"INSERT INTO members VALUES (1, 'console', 'ana', 'Ana', 1, '{past}'),"
        f" (2, 'console', 'bob', 'Bob', 2, '{past}'), (3, 'console', 'cyd', 'Cyd', 3, '{past}')",
    ]
    for poll, secret in ((1, 1), (2, 0)):
        statements += [
            "INSERT INTO polls (id, collective_id, title, method, status, opens_at, closes_at,"
            " eligibility, secret, live_results, receipts, created_at) VALUES"
            f" ({poll}, 1, 'P{poll}', 'single', 'open', '{past}', '{future}', 'everyone',"
            f" {secret}, 0, 1, '{past}')",
            f"INSERT INTO poll_options (poll_id, key, label) VALUES ({poll}, 'A', 'Oui'),"
            f" ({poll}, 'B', 'Non')",
        ]
        for person, choice in ((1, "A"), (2, "B")):
            slot = legacy("ballot", poll, person) if secret else f"person:{person}"
            statements += [
                "INSERT INTO ballots (poll_id, slot, person_id, collective_id, content,"
                f" receipt, cast_at) VALUES ({poll}, '{slot}',"
                f" {'NULL' if secret else person}, 1, '\"{choice}\"', 'R{poll}{person}',"
                f" '{past}')",
                "INSERT INTO poll_voters (poll_id, voter_key) VALUES"
                f" ({poll}, '{legacy('voter', poll, person)}')",
            ]
    with sqlite3.connect(path) as connection:
        for statement in statements:
            connection.execute(statement)
    await core.start()
    try:
        for poll in (1, 2):
            assert (await core.polls.show(member("bob"), place(), poll)).voted
            assert not (await core.polls.show(member("cyd"), place(), poll)).voted
            again = await core.polls.vote(member("ana"), place(), poll, "B")
            assert again.replaced and again.receipt == f"R{poll}1"
            assert not (await core.polls.vote(member("cyd"), place(), poll, "A")).replaced
            assert await ballots(core, poll) == ['"A"', '"B"', '"B"']
        result, _ = await core.polls.close(1, actor=MOD, place=place())
        assert result.by_collective == (("c1", 3),)
    finally:
        await core.close()


async def test_after_the_close_even_the_key_leads_to_no_ballot(core: Core) -> None:
    poll = await core.polls.create(MOD, place(), draft(receipts=True))
    receipts = {}
    for name, choice in (("ana", "A"), ("bob", "B"), ("cyd", "A")):
        receipts[name] = (await core.polls.vote(member(name), place(), poll.id, choice)).receipt
    async with core.db.transaction() as session:
        tokens = list(await session.scalars(select(Person.token)))
        before = set(await session.scalars(select(Ballot.slot)))
    assert len(before & {core.polls.keys.slot(poll.id, t) for t in tokens}) == 3
    result, _ = await core.polls.close(poll.id, actor=MOD, place=place())
    assert result.figures["A"] == "2"
    async with core.db.transaction() as session:
        rows = (await session.execute(select(Ballot.slot, Ballot.seal, Ballot.receipt))).all()
        voters = await session.scalar(select(func.count()).select_from(PollVoter))
    slots = {slot for slot, _seal, _receipt in rows}
    assert not slots & {core.polls.keys.slot(poll.id, t) for t in tokens}
    assert all(seal is None for _slot, seal, _receipt in rows) and voters == 0
    assert {r for _s, _seal, r in rows} == set(receipts.values())  # receipts still check

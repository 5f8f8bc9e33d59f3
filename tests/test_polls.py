"""Polls through the service layer on a real database."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from bot.config import Settings
from bot.core.app import Core
from bot.core.errors import InvalidInput, PermissionDenied
from bot.core.scheduler import Scheduler
from bot.core.services.demands import Draft
from bot.core.services.polls import PollDraft, PollService, parse_ballot
from bot.core.services.tribune import SignatureForm
from bot.db.models import Ballot, Poll, PollVoter, utcnow
from bot.recount import summary
from tests.conftest import member, place

MOD = member("mod", moderator=True)


def draft(**overrides) -> PollDraft:
    values = dict(title="Priorité 2027", method="single",
                  options=("Retraite", "Chômage", "Formation"), closes="dans 3 jours")
    values.update(overrides)
    return PollDraft(**values)


async def test_creation_rules(core: Core) -> None:
    with pytest.raises(PermissionDenied):
        await core.polls.create(member("ana"), place(), draft())
    organiser = member("org")
    organiser = type(organiser)(organiser.platform, "org", "Org", False, True)
    assert (await core.polls.create(organiser, place(), draft())).status == "open"
    for bad in (
        draft(options=tuple(f"Option {i}" for i in range(21))),
        draft(options=("Seule",)),
        draft(options=("Oui", "oui")),
        draft(closes="2020-01-01 10:00"),
        draft(closes="n'importe quand"),
        draft(method="tirage au sort"),
        draft(quorum="beaucoup"),
        draft(title=""),
    ):
        with pytest.raises(InvalidInput):
            await core.polls.create(MOD, place(), bad)
    async with core.db.transaction() as session:
        assert len((await session.scalars(select(Poll))).all()) == 1


@pytest.mark.parametrize(
    ("method", "ballots", "winners"),
    [
        ("single", ["B", "B", "A"], ("B",)),
        ("approval", ["A,B", "B", "C,B"], ("B",)),
        ("schulze", ["A>B>C", "B>C>A", "B>A>C"], ("B",)),
        ("irv", ["A>B>C", "C>B>A", "B>C>A", "B>A>C"], ("B",)),
        ("jugement", ["A=bien B=excellent C=passable", "A=passable B=tres-bien", "B=bien"],
         ("B",)),
    ],
)
async def test_each_method_end_to_end(core: Core, method, ballots, winners) -> None:
    poll = await core.polls.create(MOD, place(), draft(method=method))
    for index, text_ballot in enumerate(ballots):
        ballot = parse_ballot(poll.method, text_ballot)
        await core.polls.vote(member(f"v{index}"), place(), poll.id, ballot)
    result, _announcements = await core.polls.close(poll.id)
    assert result.winners == winners and result.ballots == len(ballots)
    export = await core.polls.export(MOD, place(), poll.id)
    assert winners[0] in summary(json.loads(export.content)).split("\n")[3]


async def test_ballot_changes_and_bad_ballots_write_nothing_wrong(core: Core) -> None:
    poll = await core.polls.create(MOD, place(), draft(method="schulze"))
    first = await core.polls.vote(member("ana"), place(), poll.id, parse_ballot("schulze", "A>B"))
    assert not first.replaced
    again = await core.polls.vote(member("ana"), place(), poll.id, parse_ballot("schulze", "C"))
    assert again.replaced
    for bad in ("A>A", "D>A", "A>B>A"):
        with pytest.raises(InvalidInput):
            await core.polls.vote(member("ana"), place(), poll.id, parse_ballot("schulze", bad))
    async with core.db.transaction() as session:
        contents = (await session.scalars(select(Ballot.content))).all()
    assert contents == ['[["C"]]']
    single = await core.polls.create(MOD, place(), draft())
    await core.polls.vote(member("ana"), place(), single.id, "A")
    await core.polls.vote(member("ana"), place(), single.id, "C")  # replaces the first
    result, _ = await core.polls.close(single.id)
    assert result.ballots == 1 and result.figures == {"A": "0", "B": "0", "C": "1"}
    with pytest.raises(InvalidInput, match="closed"):
        await core.polls.vote(member("ana"), place(), single.id, "A")


async def test_eligibility_signatories(core: Core) -> None:
    poll = await core.polls.create(MOD, place(), draft(eligibility="signatories"))
    with pytest.raises(PermissionDenied):
        await core.polls.vote(member("ana"), place(), poll.id, "A")
    await core.tribune.sign(member("ana"), place(), SignatureForm(
        name="Ana", profession="x", city="y", consent=True))
    await core.polls.vote(member("ana"), place(), poll.id, "A")
    async with core.db.transaction() as session:
        assert (await session.scalar(select(Poll.eligible_count))) == 0


async def test_secret_ballots_hold_no_identity(core: Core) -> None:
    poll = await core.polls.create(MOD, place(), draft(receipts=True))
    vote = await core.polls.vote(member("ana"), place(), poll.id, "B")
    assert vote.receipt
    async with core.db.transaction() as session:
        person = (await session.execute(text(
            "SELECT person_id FROM members WHERE user_id = 'ana'"))).scalar()
        ballot = (await session.execute(select(Ballot))).scalar_one()
        voter = (await session.execute(select(PollVoter))).scalar_one()
        columns = [c.name for c in Ballot.__table__.columns]
    assert ballot.person_id is None
    assert not ballot.slot.startswith("person:") and "ana" not in ballot.slot
    # the hashes are keyed: without the key (not in the database) nothing links them
    import hashlib

    for guess in (f"ballot:{poll.id}:{person}", f"voter:{poll.id}:{person}", str(person)):
        assert hashlib.sha256(guess.encode()).hexdigest() not in (ballot.slot, voter.voter_key)
    assert ballot.slot != voter.voter_key and len(ballot.slot) == 64
    assert set(columns) == {"poll_id", "slot", "person_id", "content", "receipt", "seal"}
    with pytest.raises(InvalidInput):  # results at the end: no export while open
        await core.polls.export(MOD, place(), poll.id)
    await core.polls.close(poll.id, actor=MOD, place=place())
    export = json.loads((await core.polls.export(MOD, place(), poll.id)).content)
    assert export["receipts"] == [{"receipt": vote.receipt, "ballot": "B"}]
    public = await core.polls.create(MOD, place(), draft(secret=False))
    await core.polls.vote(member("ana"), place(), public.id, "A")
    async with core.db.transaction() as session:
        row = (await session.execute(select(Ballot).where(Ballot.poll_id == public.id)))
        assert row.scalar_one().person_id == person


async def test_a_thousand_concurrent_ballots(core: Core) -> None:
    poll = await core.polls.create(MOD, place(), draft(method="approval"))
    voters = [member(f"m{i}") for i in range(1000)]

    async def cast(index: int) -> None:
        await core.polls.vote(voters[index], place(), poll.id, ["A", "B"][: 1 + index % 2])

    await asyncio.gather(*(cast(i) for i in range(1000)))
    await asyncio.gather(*(cast(i) for i in range(0, 1000, 10)))  # some vote twice
    async with core.db.transaction() as session:
        ballots = (await session.scalars(select(Ballot.slot))).all()
        voters_rows = (await session.scalars(select(PollVoter.voter_key))).all()
    assert len(ballots) == len(set(ballots)) == 1000
    assert len(voters_rows) == len(set(voters_rows)) == 1000
    result, _ = await core.polls.close(poll.id)
    assert result.figures == {"A": "1000", "B": "500", "C": "0"}


async def test_closing_is_a_durable_job_that_survives_a_restart(settings: Settings) -> None:
    core = Core(settings)
    await core.start()
    demand = (await core.demands.propose(member("ana"), place(), Draft(
        "Ouvrir le chômage", "texte", "unemployment"))).created
    other = (await core.demands.propose(member("ana"), place(), Draft(
        "Crèches", "texte", "parenthood"))).created
    await core.config.set_channel(MOD, place(), "demands", "annonces")
    poll = await core.polls.create(MOD, place(), draft(options=(), proposals=(demand.id,
                                                                               other.id)))
    assert (await core.demands.show(MOD, place(), demand.id)).status == "voting"
    await core.polls.vote(member("ben"), place(), poll.id, "A")
    await core.close()  # the bot stops before closing time
    restarted = Core(settings)
    await restarted.start()
    delivered = []

    async def sender(collective: str, channel: str, message) -> None:
        delivered.append((channel, message.title,
                          [a.content[:4] for a in message.attachments]))

    restarted.outbox.register("console", sender)
    try:
        async with restarted.db.transaction() as session:
            await session.execute(update(Poll).values(closes_at=utcnow() - timedelta(seconds=1)))
            await session.execute(text("UPDATE jobs SET due_at = :now WHERE kind = 'poll.close'"),
                                  {"now": utcnow() - timedelta(seconds=1)})
        assert await restarted.scheduler.run_due() == 1
        assert await Scheduler(restarted.db).run_due() == 0  # never twice
        assert delivered == [("annonces", "Résultat du scrutin 1 : Priorité 2027",
                              [b"\x89PNG"])]  # with its chart
        assert (await restarted.demands.show(MOD, place(), demand.id)).status == "adopted"
        assert (await restarted.demands.show(MOD, place(), other.id)).status == "retained"
        export = json.loads((await restarted.polls.export(MOD, place(), poll.id)).content)
        assert "Winner: A. Ouvrir le chômage" in summary(export)
    finally:
        await restarted.close()


async def test_quorum(core: Core) -> None:
    poll = await core.polls.create(MOD, place(), draft(quorum="3"))
    await core.polls.vote(member("a"), place(), poll.id, "A")
    result, _ = await core.polls.close(poll.id)
    assert not result.quorum_reached and result.winners == ("A",)


async def test_adopted_demands_enter_the_charter(core: Core) -> None:
    first = (await core.demands.propose(member("ana"), place(), Draft(
        "Ouvrir le chômage", "texte", "unemployment"))).created
    second = (await core.demands.propose(member("ana"), place(), Draft(
        "Crèches", "texte", "parenthood"))).created
    assert await core.demands.charter(member("x"), place()) == ()
    poll = await core.polls.create(MOD, place(), draft(options=(), proposals=(first.id,
                                                                              second.id)))
    await core.polls.vote(member("ben"), place(), poll.id, "B")
    await core.polls.close(poll.id)
    charter = await core.demands.charter(member("x"), place())
    assert [(item.demand.id, item.poll_id) for item in charter] == [(second.id, poll.id)]


async def test_quorum_in_percent_of_the_members_the_adapters_count(core: Core) -> None:
    counted: list[tuple[str, str | None]] = []

    async def members(external_id: str, role: str | None) -> int | None:
        counted.append((external_id, role))
        return 4 if role is None else None

    with pytest.raises(InvalidInput, match="number of ballots"):
        await core.polls.create(MOD, place(), draft(quorum="50%"))  # no adapter can count
    core.polls.member_counters[place().platform.value] = members
    poll = await core.polls.create(MOD, place(), draft(quorum="50%"))
    assert counted == [(place().collective_id, None)]
    with pytest.raises(InvalidInput, match="number of ballots"):
        await core.polls.create(MOD, place(), draft(quorum="50%", eligibility="role",
                                                    role="level:50"))
    await core.polls.vote(member("ana"), place(), poll.id, "A")
    result, _ = await core.polls.close(poll.id)
    assert not result.quorum_reached  # 1 ballot of 4 members
    second = await core.polls.create(MOD, place(), draft(quorum="50%"))
    for name in ("ana", "bea"):
        await core.polls.vote(member(name), place(), second.id, "B")
    result, _ = await core.polls.close(second.id)
    assert result.quorum_reached and result.winners == ("B",)


async def test_refused_ballots_are_answered_from_the_batch(
        core: Core, caplog: pytest.LogCaptureFixture) -> None:
    """Ballots with a problem get their own error without making the whole batch fail
    (which would write the others again one by one)."""
    poll = await core.polls.create(MOD, place(), draft())
    votes = [core.polls.vote(member(f"m{i}"), place(), poll.id, "A") for i in range(5)]
    votes.append(core.polls.vote(member("bad"), place(), poll.id, "Z"))
    votes.append(core.polls.vote(member("m0"), place(), poll.id, "B"))  # replaces
    outcomes = await asyncio.gather(*votes, return_exceptions=True)
    assert isinstance(outcomes[5], InvalidInput)
    assert [o.replaced for o in outcomes[:5]] == [False] * 5 and outcomes[6].replaced
    await core.polls.close(poll.id)
    with pytest.raises(InvalidInput, match="closed"):
        await core.polls.vote(member("m1"), place(), poll.id, "A")
    assert "one by one" not in caplog.text


def test_power_level_eligibility_never_breaks_on_a_malformed_level() -> None:
    def check(required: str, *roles: str) -> bool:
        poll = Poll(eligibility="role", eligible_role=required)
        actor = dataclasses.replace(member("ana"), roles=roles)
        try:
            PollService._check_role(actor, poll)
        except PermissionDenied:
            return False
        return True

    assert check("level:50", "level:100") and not check("level:50", "level:10")
    assert check("level:50", "level:oops", "level:60")
    assert not check("level:50", "level:oops")
    assert not check("level:oops", "level:100")  # a stored level that is not a number
    assert check("123", "123") and not check("123", "level:100")

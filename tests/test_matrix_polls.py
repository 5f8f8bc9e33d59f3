"""Native polls, support reactions, images and edits of the Matrix adapter, without a server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from types import SimpleNamespace

from nio import Event, MatrixRoom, SyncResponse, UnknownBadEvent
from sqlalchemy import select

from bot.core import charts
from bot.core.app import Core
from bot.core.i18n import use_locale
from bot.core.render.message import Action, Attachment, Field, Message
from bot.core.services.polls import OptionInfo, PollDraft, PollInfo
from bot.db.models import BotState, ProcessedEvent
from bot.matrix import _aid, _polls
from bot.matrix._render import edit_content, file_content, image_size
from bot.matrix._state import MatrixState
from bot.matrix.adapter import (
    MatrixAdapter,
    _direct_invite,
    _item_number,
    _secret_poll_notice,
    _with_vote_hint,
)
from tests.conftest import member, place

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def info(method: str = "single", *, live: bool = False, options: int = 3,
         status: str = "open", secret: bool = False) -> PollInfo:
    return PollInfo(
        7, "Lunch", method, status,
        tuple(OptionInfo(key, f"Option {key}", None) for key in "ABCDEFGH"[:options]),
        NOW, NOW, "Europe/Paris", secret, live, False, "everyone", None, None, 0, False,
    )


def test_start_content_in_the_unstable_form() -> None:
    content = _polls.start_content(info(), "Poll 7: Lunch")
    start = content["org.matrix.msc3381.poll.start"]
    assert start["question"]["org.matrix.msc1767.text"] == "Poll 7: Lunch"
    assert start["kind"] == "org.matrix.msc3381.poll.undisclosed"
    assert start["max_selections"] == 1
    assert start["answers"] == [
        {"id": "A", "org.matrix.msc1767.text": "A. Option A"},
        {"id": "B", "org.matrix.msc1767.text": "B. Option B"},
        {"id": "C", "org.matrix.msc1767.text": "C. Option C"},
    ]
    assert content["org.matrix.msc1767.text"] == (
        "Poll 7: Lunch\nA. Option A\nB. Option B\nC. Option C"
    )
    assert content["m.mentions"] == {}

    live = _polls.start_content(info("approval", live=True), "Q")
    assert live["org.matrix.msc3381.poll.start"]["kind"] == "org.matrix.msc3381.poll.disclosed"
    assert live["org.matrix.msc3381.poll.start"]["max_selections"] == 3
    limited = _polls.start_content(info("approval", options=4), "Q", max_choices=2)
    assert limited["org.matrix.msc3381.poll.start"]["max_selections"] == 2


def test_max_selections() -> None:
    assert _polls.max_selections(info("single"), None) == 1
    assert _polls.max_selections(info("approval", options=5), None) == 5
    assert _polls.max_selections(info("approval", options=5), 2) == 2
    assert _polls.max_selections(info("approval", options=5), 9) == 5
    assert _polls.is_native("single") and _polls.is_native("approval")
    assert not _polls.is_native("schulze") and not _polls.is_native("majority_judgment")


def test_end_content_references_the_start() -> None:
    content = _polls.end_content("$start", "Result: A")
    assert content["m.relates_to"] == {"rel_type": "m.reference", "event_id": "$start"}
    assert content["org.matrix.msc3381.poll.end"] == {}
    assert content["org.matrix.msc1767.text"] == "Result: A"


def test_responses_in_every_form() -> None:
    relation = {"rel_type": "m.reference", "event_id": "$start"}
    unstable = _polls.parse_response("org.matrix.msc3381.poll.response", {
        "org.matrix.msc3381.poll.response": {"answers": ["B"]}, "m.relates_to": relation,
    })
    assert unstable == _polls.PollResponse("$start", ("B",))
    stable = _polls.parse_response("m.poll.response", {
        "m.selections": ["A", "C"], "m.relates_to": relation,
    })
    assert stable == _polls.PollResponse("$start", ("A", "C"))
    draft = _polls.parse_response("m.poll.response", {
        "m.poll.response": {"answers": ["A"]}, "m.relates_to": relation,
    })
    assert draft == _polls.PollResponse("$start", ("A",))
    v2 = _polls.parse_response("org.matrix.msc3381.v2.poll.response", {
        "org.matrix.msc3381.v2.selections": [], "m.relates_to": relation,
    })
    assert v2 == _polls.PollResponse("$start", ())

    # Not responses: no reference, a wrong relation, no selections, a non-id answer.
    assert _polls.parse_response("m.poll.response", {"m.selections": ["A"]}) is None
    assert _polls.parse_response("m.poll.response", {
        "m.selections": ["A"], "m.relates_to": {"rel_type": "m.annotation", "event_id": "$s"},
    }) is None
    assert _polls.parse_response("m.poll.response", {"m.relates_to": relation}) is None
    assert _polls.parse_response("m.poll.response", {
        "m.selections": [1], "m.relates_to": relation,
    }) is None
    assert _polls.parse_response("m.room.message", {"m.relates_to": relation}) is None
    assert _polls.parse_response("m.poll.response", "nonsense") is None


def test_ballots_from_answers() -> None:
    assert _polls.ballot("single", ("b", "A"), 1) == "B"
    assert _polls.ballot("single", (), 1) is None
    assert _polls.ballot("approval", ("A", "C", "A", "D"), 2) == ["A", "C"]
    assert _polls.ballot("approval", (), 3) == []


def test_support_reactions() -> None:
    for key in ("✅", "👍", "👍🏽", "👍️", "✔️", "☑️"):
        assert _polls.is_support_key(key), key
    for key in ("👎", "❤️", "", None, "ok"):
        assert not _polls.is_support_key(key), key


def test_redacted_event_before_and_after_room_v11() -> None:
    assert _polls.redacted_id({"redacts": "$a", "content": {}}) == "$a"
    assert _polls.redacted_id({"content": {"redacts": "$b"}}) == "$b"
    assert _polls.redacted_id({"content": {}}) is None


def test_action_numbers() -> None:
    message = Message(actions=(
        Action("poll:vote:12", "Vote", command="!vote 12 B"),
        Action("demand:unsupport:3", "Remove"),
        Action("demand:support:x", "Bad"),
    ))
    assert _polls.action_numbers(message, ("poll:vote:",)) == [12]
    assert _polls.action_numbers(message, ("demand:support:", "demand:unsupport:")) == [3]


def test_tally_message_keeps_the_poll_and_adds_the_count() -> None:
    poll = Message(title="Poll 7: Lunch", lines=("**A.** Option A", ""),
                   fields=(Field("Method", "single"), Field("Ballots", "2")),
                   actions=(Action("poll:vote:7", "Vote", command="!vote 7 B"),))
    results = Message(title="Provisional count of poll 7: Lunch", lines=("1. A · 2 votes",),
                      fields=(Field("Ballots", "2"), Field("Blank", "0")),
                      attachments=(Attachment("x.png", b"png", "image/png"),))
    tally = _polls.tally_message(poll, results)
    assert tally.title == "Poll 7: Lunch"
    assert tally.lines == ("**A.** Option A", "", "**Provisional count of poll 7: Lunch**",
                           "1. A · 2 votes")
    assert [f.name for f in tally.fields] == ["Method", "Ballots", "Blank"]
    assert tally.actions == poll.actions
    assert tally.attachments == ()


def test_vote_hint_only_for_polls_without_a_native_form() -> None:
    message = Message(lines=("x",))
    assert _with_vote_hint(message, info("single")) == message
    assert _with_vote_hint(message, info("approval")) == message
    ranked = _with_vote_hint(message, info("schulze"))
    assert ranked.lines[0] == "x"
    assert "!vote 7 B>A>C" in ranked.lines[-1]
    assert _with_vote_hint(message, info("schulze", status="closed")) == message


def test_secret_polls_are_never_native() -> None:
    """Every member of a room reads every poll response sent there."""
    assert _polls.native(info("single")) and _polls.native(info("approval"))
    for method in ("single", "approval", "schulze", "majority_judgment"):
        assert not _polls.native(info(method, secret=True)), method
    assert not _polls.native(info("schulze"))
    message = Message(lines=("x",))
    with use_locale("en"):
        hinted = _with_vote_hint(message, info("single", secret=True))
        assert hinted.lines[0] == "x"
        assert hinted.lines[-1].startswith("This poll is secret: vote in private")
        assert "`!vote 7 B`" in hinted.lines[-1]
        approval = _with_vote_hint(message, info("approval", secret=True, status="scheduled"))
        assert "`!vote 7 A,C`" in approval.lines[-1]
        notice = _secret_poll_notice(7, "approval")
        assert notice.lines[0].startswith("Poll 7 is secret: answers given in the room are "
                                          "not counted")
        assert "`!vote 7 A,C`" in notice.lines[0]
    with use_locale("fr"):
        hinted = _with_vote_hint(message, info("single", secret=True))
        assert hinted.lines[-1].startswith("Ce scrutin est secret : votez en privé")
        assert _secret_poll_notice(7, None).lines[0].startswith("Le scrutin 7 est secret")
    assert _with_vote_hint(message, info("single", secret=True, status="closed")) == message


def test_images_are_sent_as_images() -> None:
    png = charts.bars("T", ["A", "B"], [1.0, 2.0], "votes")
    size = image_size(png, "image/png")
    assert size is not None and size[0] > 100 and size[1] > 100
    content = file_content(Attachment("scrutin-1.png", png, "image/png"), "mxc://hs/img")
    assert content["msgtype"] == "m.image"
    assert content["url"] == "mxc://hs/img"
    assert content["info"] == {"mimetype": "image/png", "size": len(png),
                               "w": size[0], "h": size[1]}
    keys = {"key": {"k": "secret"}, "iv": "iv", "hashes": {"sha256": "h"}, "v": "v2"}
    encrypted = file_content(Attachment("scrutin-1.png", png, "image/png"), "mxc://hs/e", keys)
    assert encrypted["msgtype"] == "m.image"
    assert encrypted["file"]["url"] == "mxc://hs/e" and "url" not in encrypted
    other = file_content(Attachment("a.gif", b"GIF89a", "image/gif"), "mxc://hs/g")
    assert other["msgtype"] == "m.image" and "w" not in other["info"]
    assert image_size(b"not a png at all, really not", "image/png") is None
    csv = file_content(Attachment("a.csv", b"a", "text/csv"), "mxc://hs/c")
    assert csv["msgtype"] == "m.file"


def test_edit_replaces_the_message() -> None:
    content = edit_content(Message(title="T", lines=("new",)), "$old")
    assert content["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$old"}
    assert content["m.new_content"]["body"] == "T\nnew"
    assert content["m.new_content"]["msgtype"] == "m.notice"
    assert "m.relates_to" not in content["m.new_content"]
    assert content["body"] == "* T\nnew"


def test_direct_invites_are_recognised() -> None:
    def sync(is_direct: bool) -> SyncResponse:
        response = SyncResponse.from_dict({
            "next_batch": "s1",
            "rooms": {"invite": {"!dm:hs": {"invite_state": {"events": [{
                "type": "m.room.member", "sender": "@alice:hs", "state_key": "@bot:hs",
                "content": {"membership": "invite", "is_direct": is_direct},
            }]}}}},
        })
        assert isinstance(response, SyncResponse), response
        return response

    assert _direct_invite(sync(True), "!dm:hs", "@bot:hs")
    assert not _direct_invite(sync(False), "!dm:hs", "@bot:hs")
    assert not _direct_invite(sync(True), "!other:hs", "@bot:hs")


async def test_throttle_folds_bursts_and_keeps_the_pace() -> None:
    runs: list[tuple[str, float]] = []
    loop = asyncio.get_running_loop()
    state = {"value": 0}

    async def action(key: str) -> None:
        runs.append((f"{key}={state['value']}", loop.time()))

    throttle: _polls.Throttle[str] = _polls.Throttle(0.2, action)
    start = loop.time()
    throttle.request("p")
    await asyncio.sleep(0)
    assert [name for name, _at in runs] == ["p=0"], "the first request runs at once"
    burst_start = loop.time()
    for value in range(1, 30):  # a burst of ballots
        state["value"] = value
        throttle.request("p")
        if value == 5:
            throttle.request("q")
        await asyncio.sleep(0)
    burst = loop.time() - burst_start
    assert throttle.pending("p")
    await asyncio.sleep(0.35)
    names = [name for name, _at in runs]
    assert "q=5" in names and [n for n in names if n.startswith("q")] == ["q=5"], names
    p_runs = [(name, at) for name, at in runs if name.startswith("p")]
    # The latest state wins; a slow machine may need an extra slot for a long burst,
    # never more than one run per interval.
    assert p_runs[-1][0] == "p=29", names
    assert 2 <= len(p_runs) <= 2 + int(burst / 0.2), (names, burst)
    gaps = [later - earlier for (_a, earlier), (_b, later) in pairwise(p_runs)]
    assert all(gap >= 0.19 for gap in gaps), gaps
    assert p_runs[1][1] - start < 0.3 + burst
    throttle.request("p")
    await throttle.close()
    assert not throttle.pending("p")


async def test_throttle_survives_a_failing_action() -> None:
    calls = 0

    async def action(key: int) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("boom")

    throttle: _polls.Throttle[int] = _polls.Throttle(0.01, action)
    throttle.request(1)
    await asyncio.sleep(0.02)
    throttle.request(1)
    await asyncio.sleep(0.03)
    assert calls == 2
    await throttle.close()


async def test_state_of_polls_and_reactions(core: Core) -> None:
    state = MatrixState(core.db)
    await state.record_poll_start(7, "!a:hs", "$start-a", "approval", 2)
    await state.record_poll_start(7, "!b:hs", "$start-b", "approval", 2)
    await state.record_tally(7, "!a:hs", "$msg-1")
    await state.record_tally(7, "!a:hs", "$msg-2")  # the latest message is the one edited
    await state.record_tally(8, "!c:hs", "$msg-3")
    assert await state.poll_start("$start-b") == {
        "poll": 7, "room": "!b:hs", "method": "approval", "max": 2}
    assert await state.poll_start("$unknown") is None
    assert await state.tallies(7) == {"!a:hs": "$msg-2"}
    assert await state.poll_rooms(7) == ["!a:hs", "!b:hs"]
    assert await state.watched_polls() == {7, 8}

    await state.record_poll_end(7, "!a:hs", "$end-a")
    assert await state.poll_ends(7) == {"!a:hs": "$end-a"}
    await state.mark_poll_done(7)
    assert await state.watched_polls() == {8}
    assert await state.poll_statuses({7, 8}) == {}  # no such polls in the core

    await state.record_demand_message("$demand", 3, "!a:hs")
    assert await state.demand_of("$demand", "!a:hs") == 3
    assert await state.demand_of("$demand", "!other:hs") is None

    # Two support reactions of one member: the support stays until both are gone.
    await state.record_reaction("$r1", 3, "!a:hs", "who")
    await state.record_reaction("$r2", 3, "!a:hs", "who")
    data = await state.reaction("$r1")
    assert data == {"demand": 3, "room": "!a:hs", "who": "who"}
    assert await state.forget_reaction("$r1", data) == 1
    assert await state.reaction("$r1") is None
    data = await state.reaction("$r2")
    assert data is not None
    assert await state.forget_reaction("$r2", data) == 0


async def test_state_reads_poll_status_and_limit(core: Core) -> None:
    mod = member("mod", moderator=True)
    created = await core.polls.create(mod, place(), PollDraft(
        title="T", method="approbation", options=("X", "Y", "Z"), closes="dans 2 jours",
        max_choices=2))
    state = MatrixState(core.db)
    assert await state.max_choices(created.id) == 2
    assert await state.poll_statuses({created.id, 999}) == {created.id: "open"}
    await core.polls.close(created.id, actor=mod, place=place())
    assert await state.poll_statuses({created.id}) == {created.id: "closed"}


async def test_unrelated_reactions_responses_and_redactions_are_ignored(core: Core) -> None:
    adapter = MatrixAdapter(core)
    room = MatrixRoom("!room:hs", "@bot:hs")
    client = SimpleNamespace(user_id="@bot:hs", olm=None)

    def event(kind: str, content: dict, **extra: object) -> Event:
        return Event.parse_event({"type": kind, "event_id": f"${kind}", "sender": "@a:hs",
                                  "origin_server_ts": 1, "content": content, **extra})

    reference = {"rel_type": "m.reference", "event_id": "$not-a-poll"}
    events = [
        UnknownBadEvent({"type": "m.reaction"}),
        event("m.reaction", {"m.relates_to": {"rel_type": "m.annotation",
                                              "event_id": "$not-a-demand", "key": "✅"}}),
        event("m.poll.response", {"m.selections": ["A"], "m.relates_to": reference}),
        event("m.room.redaction", {"redacts": "$not-a-reaction"}),
        event("m.room.redaction", {}, redacts="$not-a-reaction-either"),
    ]
    for item in events:
        await adapter._on_event(client, room, item)  # type: ignore[arg-type]
    for kind in ("m.reaction", "m.poll.response", "m.room.redaction"):
        assert await adapter.state.claim_event(f"${kind}"), f"{kind} was handled"


async def test_throttle_counts_the_interval_from_the_end_of_a_slow_run() -> None:
    loop = asyncio.get_running_loop()
    spans: list[tuple[float, float]] = []

    async def slow(_key: str) -> None:  # building and sending the edit takes time
        began = loop.time()
        await asyncio.sleep(0.15)
        spans.append((began, loop.time()))

    throttle: _polls.Throttle[str] = _polls.Throttle(0.2, slow)
    throttle.request("p")
    await asyncio.sleep(0.05)
    throttle.request("p")  # arrives while the first run is still sending
    for _ in range(100):
        if len(spans) == 2:
            break
        await asyncio.sleep(0.05)
    [(_start, first_end), (second_start, _end)] = spans
    assert second_start - first_end >= 0.19, spans
    await throttle.close()


async def test_member_typed_numbers_never_raise(core: Core) -> None:
    """``!vote ² A`` once raised before the command could answer; now a number that is
    not one, or too large for the database, is left to the command's own answer."""
    adapter = MatrixAdapter(core)
    assert adapter._vote_number("vote 12 A") == 12
    assert adapter._vote_number("vote #12 B>A") == 12
    for word in ("²", "١٢", "99999999999999999999999", "2147483648", "0", "-3", "1_0", "x"):
        assert adapter._vote_number(f"vote {word} A") is None, word
        assert adapter._meetup_number(f"rencontre viens {word}") is None, word
        assert _item_number(word) is None, word
        assert _aid.parse_command(adapter.registry, f"entraide voir {word}") == \
            _aid.AidCommand("show", None), word
    assert adapter._meetup_number("rencontre viens 4") == 4
    assert _item_number("2147483647") == 2**31 - 1


async def test_handled_events_keep_no_event_id_and_no_minute(core: Core) -> None:
    """A record of a handled event (a ``!vote`` among them) says neither which event it
    was nor when, within the hour; the bot's other records carry the hour only."""
    adapter = MatrixAdapter(core)
    state = adapter.state
    assert await state.claim_event("$vote-event:hs")
    assert not await state.claim_event("$vote-event:hs")  # seen twice, run once
    async with core.db.transaction() as session:
        rows = (await session.execute(select(ProcessedEvent))).scalars().all()
        [row] = rows
        assert "vote-event" not in row.event_id
        assert row.event_id == state.event_digest("$vote-event:hs")
        assert (row.seen_at.minute, row.seen_at.second, row.seen_at.microsecond) == (0, 0, 0)
        assert datetime.now(UTC) - row.seen_at < timedelta(hours=1, minutes=1)
    # Another instance (a restart, a standby taking over) knows the event.
    assert not await MatrixState(core.db).claim_event("$vote-event:hs")
    assert await MatrixState(core.db).claim_event("$another-event:hs")

    # A record from before digests (the event id itself) still stops a replay.
    async with core.db.transaction() as session:
        session.add(ProcessedEvent(event_id="$old:hs", platform="matrix",
                                   seen_at=datetime.now(UTC) - timedelta(days=40)))
    assert not await state.claim_event("$old:hs")
    assert await state.forget_events(timedelta(days=30)) == 1  # old records still go

    await state.save_direct_room("@bot:hs", "@ana:hs", "!dm:hs")
    await state.save_next_batch("@bot:hs", "s1_2_3")
    async with core.db.transaction() as session:
        stamps = (await session.execute(
            select(BotState.updated_at).where(BotState.key.startswith("matrix."))
        )).scalars().all()
    assert len(stamps) == 2
    assert all((s.minute, s.second, s.microsecond) == (0, 0, 0) for s in stamps)


async def test_state_finds_the_poll_of_a_message(core: Core) -> None:
    mod = member("mod", moderator=True)
    secret = await core.polls.create(mod, place(), PollDraft(
        title="S", method="unique", options=("X", "Y"), closes="dans 2 jours"))
    public = await core.polls.create(mod, place(), PollDraft(
        title="P", method="approbation", options=("X", "Y"), closes="dans 2 jours",
        secret=False))
    state = MatrixState(core.db)
    await state.record_tally(secret.id, "!a:hs", "$shown")
    assert await state.poll_of_message("$shown", "!a:hs") == secret.id
    assert await state.poll_of_message("$shown", "!b:hs") is None
    assert await state.poll_of_message("$other", "!a:hs") is None
    assert await state.poll_is_secret(secret.id) is True
    assert await state.poll_is_secret(public.id) is False
    assert await state.poll_is_secret(999) is None
    assert await state.poll_method(public.id) == "approval"

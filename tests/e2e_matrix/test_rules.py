"""Pure decisions of the Matrix adapter, checked without a homeserver."""

from __future__ import annotations

from pathlib import Path

from nio import RoomMemberEvent, RoomMessageText

from bot.core.app import Core
from bot.matrix.adapter import (
    MatrixAdapter,
    _creators_are_privileged,
    _departed,
    _reply_relation,
)
from tests.conftest import make_settings

BOT = "@bot:example.org"


def adapter(tmp_path: Path, **matrix: object) -> MatrixAdapter:
    settings = make_settings(
        tmp_path,
        matrix={"homeserver": "https://example.org", "user_id": BOT, "password": "x", **matrix},
    )
    return MatrixAdapter(Core(settings))


def member_event(
    user: str, membership: str, previous: str | None, **prev_content: object
) -> RoomMemberEvent:
    unsigned = {"prev_content": {"membership": previous, **prev_content}} if previous else {}
    return RoomMemberEvent.from_dict({
        "type": "m.room.member", "event_id": f"${user}{membership}", "sender": user,
        "origin_server_ts": 1, "state_key": user, "content": {"membership": membership},
        "unsigned": unsigned,
    })


def text_event(body: str) -> RoomMessageText:
    return RoomMessageText.from_dict({
        "type": "m.room.message", "event_id": f"${body}", "sender": "@a:example.org",
        "origin_server_ts": 1, "content": {"msgtype": "m.text", "body": body},
    })


class _Client:
    user_id = BOT


def test_history_before_the_bot_joined_is_skipped() -> None:
    old, new = text_event("!tribune old"), text_event("!tribune new")
    events = [old, member_event(BOT, "join", "invite"), new]
    assert list(MatrixAdapter._after_own_join(_Client(), events)) == [new]  # type: ignore[arg-type]
    # A profile change of the bot (join -> join) is not a new join.
    events = [old, member_event(BOT, "join", "join"), new]
    assert list(MatrixAdapter._after_own_join(_Client(), events)) == events  # type: ignore[arg-type]
    # Someone else joining changes nothing.
    events = [old, member_event("@c:example.org", "join", None), new]
    assert list(MatrixAdapter._after_own_join(_Client(), events)) == events  # type: ignore[arg-type]


def test_welcome_only_after_an_invite_to_a_shared_room() -> None:
    client = _Client()
    joined = MatrixAdapter._joined_on_invite
    assert joined(client, [text_event("hi"), member_event(BOT, "join", "invite")])  # type: ignore[arg-type]
    # The bot's own direct rooms (created by it), profile changes, others' joins: no.
    assert not joined(client, [member_event(BOT, "join", None)])  # type: ignore[arg-type]
    assert not joined(client, [member_event(BOT, "join", "join")])  # type: ignore[arg-type]
    assert not joined(client, [member_event("@c:example.org", "join", "invite")])  # type: ignore[arg-type]
    # A member opening a direct chat with the bot is not a collective.
    direct = member_event(BOT, "join", "invite", is_direct=True)
    assert not joined(client, [direct])  # type: ignore[arg-type]


def test_departures() -> None:
    user = "@c:example.org"
    assert _departed(member_event(user, "leave", "join"), BOT) == user
    assert _departed(member_event(user, "ban", "join"), BOT) == user
    assert _departed(member_event(user, "leave", None), BOT) == user
    # Declined or withdrawn invites, repeated leaves, joins, the bot itself: no.
    assert _departed(member_event(user, "leave", "invite"), BOT) is None
    assert _departed(member_event(user, "leave", "knock"), BOT) is None
    assert _departed(member_event(user, "ban", "leave"), BOT) is None
    assert _departed(member_event(user, "join", "join"), BOT) is None
    assert _departed(member_event(BOT, "leave", "join"), BOT) is None


def test_odd_member_events_are_ignored() -> None:
    def odd(**fields: object) -> RoomMemberEvent:
        source = {
            "type": "m.room.member", "event_id": "$odd", "sender": "@c:example.org",
            "origin_server_ts": 1, "state_key": "@c:example.org",
            "content": {"membership": "leave"}, "unsigned": {},
        }
        event = RoomMemberEvent.from_dict(source)
        assert isinstance(event, RoomMemberEvent)
        for name, value in fields.items():
            setattr(event, name, value)
        return event

    assert _departed(odd(state_key=""), BOT) is None
    assert _departed(odd(state_key="not-a-user"), BOT) is None
    assert _departed(odd(state_key=None), BOT) is None
    assert _departed(odd(membership=["leave"]), BOT) is None
    assert _departed(odd(membership="vanished"), BOT) is None
    assert _departed(odd(prev_membership={"membership": "join"}), BOT) is None
    assert _departed(odd(prev_membership=["join"]), BOT) is None
    # What the homeserver would not accept, nio does not turn into a member event.
    bad = RoomMemberEvent.from_dict({
        "type": "m.room.member", "event_id": "$bad", "sender": "@c:example.org",
        "origin_server_ts": 1, "state_key": "@c:example.org", "content": {},
    })
    assert not isinstance(bad, RoomMemberEvent)


def test_invites_follow_allowed_servers(tmp_path: Path) -> None:
    anyone = adapter(tmp_path)
    assert anyone._invite_allowed("!r:evil.example", "@x:evil.example")

    limited = adapter(tmp_path, allowed_servers=["Example.org", "collectif.fr"])
    assert limited._invite_allowed("!r:elsewhere.net", "@x:collectif.fr")
    assert not limited._invite_allowed("!r:example.org", "@x:evil.example")
    assert limited._invite_allowed("!r:example.org", None)
    assert not limited._invite_allowed("!opaque-v12-id", None)


def test_room_versions_with_supreme_creators() -> None:
    assert not _creators_are_privileged("10")
    assert not _creators_are_privileged("11")
    assert _creators_are_privileged("12")
    assert _creators_are_privileged("org.matrix.hydra.11")
    assert not _creators_are_privileged("org.example.custom")


def test_replies_stay_in_their_thread() -> None:
    assert _reply_relation("$c", None) == {"m.in_reply_to": {"event_id": "$c"}}
    assert _reply_relation("$c", {"rel_type": "m.thread", "event_id": "$root"}) == {
        "rel_type": "m.thread", "event_id": "$root", "is_falling_back": True,
        "m.in_reply_to": {"event_id": "$c"},
    }

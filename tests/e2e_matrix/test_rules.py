"""Pure decisions of the Matrix adapter, checked without a homeserver."""

from __future__ import annotations

from pathlib import Path

from nio import RoomMemberEvent, RoomMessageText

from bot.core.app import Core
from bot.matrix.adapter import (
    MatrixAdapter,
    _creators_are_privileged,
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


def member_event(user: str, membership: str, previous: str | None) -> RoomMemberEvent:
    unsigned = {"prev_content": {"membership": previous}} if previous else {}
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

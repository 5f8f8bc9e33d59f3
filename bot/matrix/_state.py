"""Durable state of the Matrix adapter: sync token, direct rooms, handled events,
and the events the bot posted for polls, demands, meetups, mutual aid and the FAQ.

Per poll and room, ``posted_messages`` holds the native poll start event
(``matrix.poll.start``), its end event (``matrix.poll.end``) and the message that
shows the poll and its count (``matrix.poll.tally``); ``matrix.poll.done`` marks a
poll whose closing was handled. ``bot_state`` maps event ids back to what they
stand for (a poll start, a demand message, a support reaction). Reactions are
recorded with a keyed digest of their sender, never the user id itself.

Nothing here says who voted when. Handled events (``processed_events``) are kept
as a digest of the event id, with the hour they were handled (enough to forget
them after ``EVENT_MEMORY``), so a record does not name the event, its sender or
its minute. The digest is not keyed: every process sharing the database (a
standby taking the sync over, a restart with another data folder) must recognise
the same events. Whoever can see an event id (its room's members, the
homeserver) can recompute its digest, but learns only the hour it was handled;
the events of ``!vote`` in a direct room are seen by the member and the bot
only; ``bot_state`` rows carry the hour of their last
change too. No record names the member of a ``!vote``.

Meetup messages are remembered per event (``matrix.meetup-msg:<event>``) and per
meetup (``matrix.meetup-msgs:<number>``: the latest few of each room, the ones
edited with fresh counts); RSVP reactions per event, and per meetup, sender digest
and answer, so a redaction knows whether another reaction still says the same.

Per mutual-aid post and room, ``posted_messages`` holds the message that shows the
post (``matrix.aid.post``, edited once the post closes) and the root of its
discussion thread (``matrix.aid.thread``: that message, or the root of the thread
it was posted in); ``matrix.aid.done`` marks a post whose closing was shown. A
rights FAQ answer is remembered per event (``matrix.faq-msg:<event>``: the entry it
shows), for feedback by reaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.core.types import Platform
from bot.db.engine import Database
from bot.db.models import (
    AidPost,
    BotState,
    Collective,
    Exchange,
    Poll,
    PostedMessage,
    ProcessedEvent,
    utcnow,
)

_KEY_LIMIT = 200  # length of BotState.key
MATRIX = Platform.MATRIX.value
POLL_START = "matrix.poll.start"
POLL_END = "matrix.poll.end"
POLL_TALLY = "matrix.poll.tally"
POLL_DONE = "matrix.poll.done"
AID_POST = "matrix.aid.post"
AID_THREAD = "matrix.aid.thread"
AID_DONE = "matrix.aid.done"
# Messages of one meetup edited per room (the latest ones); older ones keep working
# for reactions but are no longer edited.
MEETUP_MESSAGES_PER_ROOM = 3


def hour_of(moment: datetime) -> datetime:
    """``moment`` rounded down to the hour: when bookkeeping happened, not the minute."""
    return moment.replace(minute=0, second=0, microsecond=0)


def _key(kind: str, *parts: str) -> str:
    key = f"matrix.{kind}:" + ":".join(parts)
    if len(key) <= _KEY_LIMIT:
        return key
    return f"matrix.{kind}#" + hashlib.sha256(":".join(parts).encode()).hexdigest()


class MatrixState:
    """Small key/value records in ``BotState`` and de-duplication in ``ProcessedEvent``."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Read-modify-write of list values (one process owns the Matrix sync).
        self._lists = asyncio.Lock()

    def _insert(self, table: type) -> postgresql.Insert | sqlite.Insert:
        return postgresql.insert(table) if self.db.dialect == "postgresql" else sqlite.insert(table)

    async def _get(self, key: str) -> str | None:
        async with self.db.transaction() as session:
            return await session.scalar(select(BotState.value).where(BotState.key == key))

    async def _delete(self, key: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(delete(BotState).where(BotState.key == key))

    async def _get_json(self, key: str) -> Any:
        raw = await self._get(key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    async def _put(self, key: str, value: str) -> None:
        now = hour_of(utcnow())
        statement = self._insert(BotState).values(key=key, value=value, updated_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=[BotState.key], set_={"value": value, "updated_at": now}
        )
        async with self.db.transaction() as session:
            await session.execute(statement)

    async def next_batch(self, user_id: str) -> str | None:
        """The sync token saved after the last fully handled sync."""
        return await self._get(_key("next_batch", user_id))

    async def save_next_batch(self, user_id: str, token: str) -> None:
        await self._put(_key("next_batch", user_id), token)

    async def direct_room(self, bot_id: str, user_id: str) -> str | None:
        return await self._get(_key("dm", bot_id, user_id))

    async def save_direct_room(self, bot_id: str, user_id: str, room_id: str) -> None:
        await self._put(_key("dm", bot_id, user_id), room_id)

    @staticmethod
    def event_digest(event_id: str) -> str:
        """What ``processed_events`` keeps of an event id: a digest (see above)."""
        return "h:" + hashlib.sha256(f"matrix-event:{event_id}".encode()).hexdigest()[:40]

    async def claim_event(self, event_id: str) -> bool:
        """Record ``event_id`` as handled; False when it already was (skip it).

        The record holds the event's keyed digest and the hour, never the id itself
        nor the moment: the event of a ``!vote`` names its sender on the homeserver."""
        statement = (
            self._insert(ProcessedEvent)
            .values(event_id=self.event_digest(event_id), platform=Platform.MATRIX.value,
                    seen_at=hour_of(utcnow()))
            .on_conflict_do_nothing(index_elements=[ProcessedEvent.event_id])
            .returning(ProcessedEvent.event_id)
        )
        async with self.db.transaction() as session:
            inserted = await session.scalar(statement)
            if inserted is None:
                return False
            # Records written by earlier versions hold the event id itself (they are
            # forgotten after EVENT_MEMORY like the others).
            earlier = await session.scalar(
                select(ProcessedEvent.event_id).where(ProcessedEvent.event_id == event_id))
        return earlier is None

    async def forget_events(self, older_than: timedelta) -> int:
        """Drop de-duplication records no sync can bring back any more."""
        limit: datetime = utcnow() - older_than
        async with self.db.transaction() as session:
            result = await session.execute(
                delete(ProcessedEvent).where(
                    ProcessedEvent.platform == Platform.MATRIX.value,
                    ProcessedEvent.seen_at < limit,
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)

    # -- posted messages of polls --------------------------------------------------

    async def _record(self, kind: str, item: int, room_id: str, event_id: str) -> None:
        statement = self._insert(PostedMessage).values(
            kind=kind, item_id=item, platform=MATRIX, collective_id=room_id,
            channel_id=room_id, message_id=event_id, created_at=utcnow(),
        ).on_conflict_do_update(
            index_elements=[PostedMessage.kind, PostedMessage.item_id, PostedMessage.platform,
                            PostedMessage.channel_id],
            set_={"message_id": event_id},
        )
        async with self.db.transaction() as session:
            await session.execute(statement)

    async def _posted(self, kind: str, item: int) -> dict[str, str]:
        """Room id -> event id of what the bot posted of ``kind`` for ``item``."""
        async with self.db.transaction() as session:
            rows = await session.execute(
                select(PostedMessage.channel_id, PostedMessage.message_id).where(
                    PostedMessage.kind == kind, PostedMessage.item_id == item,
                    PostedMessage.platform == MATRIX,
                ).order_by(PostedMessage.id)
            )
            return {room: event for room, event in rows.all()}

    async def record_poll_start(
        self, poll: int, room_id: str, event_id: str, method: str, limit: int
    ) -> None:
        await self._put(_key("poll-start", event_id), json.dumps(
            {"poll": poll, "room": room_id, "method": method, "max": limit}))
        await self._record(POLL_START, poll, room_id, event_id)

    async def poll_start(self, event_id: str) -> dict[str, Any] | None:
        """What the start event ``event_id`` stands for: poll number, room, method, max answers."""
        data = await self._get_json(_key("poll-start", event_id))
        if not isinstance(data, dict) or not isinstance(data.get("poll"), int):
            return None
        return data

    async def poll_starts(self, poll: int) -> dict[str, str]:
        return await self._posted(POLL_START, poll)

    async def poll_ends(self, poll: int) -> dict[str, str]:
        return await self._posted(POLL_END, poll)

    async def record_poll_end(self, poll: int, room_id: str, event_id: str) -> None:
        await self._record(POLL_END, poll, room_id, event_id)

    async def record_tally(self, poll: int, room_id: str, event_id: str) -> None:
        """The bot's latest message showing ``poll`` in ``room_id``: the one edited."""
        await self._record(POLL_TALLY, poll, room_id, event_id)

    async def tallies(self, poll: int) -> dict[str, str]:
        return await self._posted(POLL_TALLY, poll)

    async def poll_rooms(self, poll: int) -> list[str]:
        """Rooms where the bot posted ``poll`` (its message or its native start)."""
        rooms = list(await self.tallies(poll))
        rooms += [room for room in await self.poll_starts(poll) if room not in rooms]
        return rooms

    async def mark_poll_done(self, poll: int) -> None:
        await self._record(POLL_DONE, poll, "", "")

    async def watched_polls(self) -> set[int]:
        """Polls posted by the bot whose closing was not handled yet."""
        async with self.db.transaction() as session:
            posted = set(await session.scalars(
                select(PostedMessage.item_id).where(
                    PostedMessage.kind.in_((POLL_START, POLL_TALLY)),
                    PostedMessage.platform == MATRIX,
                )
            ))
            done = set(await session.scalars(
                select(PostedMessage.item_id).where(
                    PostedMessage.kind == POLL_DONE, PostedMessage.platform == MATRIX,
                )
            ))
        return posted - done

    async def poll_statuses(self, polls: set[int]) -> dict[int, str]:
        """The status of each poll that still exists (open, scheduled, closed, cancelled)."""
        if not polls:
            return {}
        async with self.db.transaction() as session:
            rows = await session.execute(
                select(Poll.id, Poll.status).where(Poll.id.in_(sorted(polls)))
            )
            return {number: status for number, status in rows.all()}

    async def poll_of_message(self, event_id: str, room_id: str) -> int | None:
        """The poll whose latest message in ``room_id`` is the bot's ``event_id``."""
        async with self.db.transaction() as session:
            return await session.scalar(
                select(PostedMessage.item_id).where(
                    PostedMessage.kind == POLL_TALLY, PostedMessage.platform == MATRIX,
                    PostedMessage.channel_id == room_id, PostedMessage.message_id == event_id,
                ).limit(1)
            )

    async def poll_is_secret(self, poll: int) -> bool | None:
        """Whether ``poll`` is secret (None when there is no such poll)."""
        async with self.db.transaction() as session:
            return await session.scalar(select(Poll.secret).where(Poll.id == poll))

    async def poll_method(self, poll: int) -> str | None:
        async with self.db.transaction() as session:
            return await session.scalar(select(Poll.method).where(Poll.id == poll))

    async def max_choices(self, poll: int) -> int | None:
        """The approval limit of ``poll`` (not part of the poll's public summary)."""
        async with self.db.transaction() as session:
            return await session.scalar(select(Poll.max_choices).where(Poll.id == poll))

    # -- demands and reactions ------------------------------------------------------

    async def record_demand_message(self, event_id: str, demand: int, room_id: str) -> None:
        await self._put(_key("demand-msg", event_id),
                        json.dumps({"demand": demand, "room": room_id}))

    async def demand_of(self, event_id: str, room_id: str) -> int | None:
        """The demand shown by the bot's message ``event_id`` in ``room_id``."""
        data = await self._get_json(_key("demand-msg", event_id))
        if not isinstance(data, dict) or data.get("room") != room_id:
            return None
        demand = data.get("demand")
        return demand if isinstance(demand, int) else None

    async def record_reaction(
        self, event_id: str, demand: int, room_id: str, sender_digest: str
    ) -> None:
        await self._put(_key("reaction", event_id), json.dumps(
            {"demand": demand, "room": room_id, "who": sender_digest}))
        key = _key("reacted", room_id, sender_digest, str(demand))
        current = await self._get_json(key)
        events = current if isinstance(current, list) else []
        if event_id not in events:
            events.append(event_id)
        await self._put(key, json.dumps(events))

    async def reaction(self, event_id: str) -> dict[str, Any] | None:
        data = await self._get_json(_key("reaction", event_id))
        if not isinstance(data, dict) or not isinstance(data.get("demand"), int):
            return None
        return data

    async def forget_reaction(self, event_id: str, data: dict[str, Any]) -> int:
        """Drop a redacted reaction; how many support reactions of that sender remain."""
        await self._delete(_key("reaction", event_id))
        key = _key("reacted", str(data.get("room")), str(data.get("who")), str(data["demand"]))
        current = await self._get_json(key)
        events = [e for e in (current if isinstance(current, list) else []) if e != event_id]
        if events:
            await self._put(key, json.dumps(events))
        else:
            await self._delete(key)
        return len(events)

    # -- meetups ----------------------------------------------------------------------

    async def record_meetup_message(
        self, event_id: str, meetup: int, room_id: str, kind: str
    ) -> None:
        """The bot's message ``event_id`` in ``room_id`` shows ``meetup`` (as ``kind``)."""
        await self._put(_key("meetup-msg", event_id),
                        json.dumps({"meetup": meetup, "room": room_id, "kind": kind}))
        async with self._lists:
            key = _key("meetup-msgs", str(meetup))
            current = await self._get_json(key)
            rows = [row for row in (current if isinstance(current, list) else [])
                    if isinstance(row, list) and len(row) == 3 and row[1] != event_id]
            rows.append([room_id, event_id, kind])
            in_room = [row for row in rows if row[0] == room_id]
            for row in in_room[:-MEETUP_MESSAGES_PER_ROOM]:
                rows.remove(row)
            await self._put(key, json.dumps(rows))

    async def meetup_of(self, event_id: str, room_id: str) -> int | None:
        """The meetup shown by the bot's message ``event_id`` in ``room_id``."""
        data = await self._get_json(_key("meetup-msg", event_id))
        if not isinstance(data, dict) or data.get("room") != room_id:
            return None
        meetup = data.get("meetup")
        return meetup if isinstance(meetup, int) else None

    async def meetup_messages(self, meetup: int) -> list[tuple[str, str, str]]:
        """(room id, event id, kind) of the messages showing ``meetup`` that are edited."""
        current = await self._get_json(_key("meetup-msgs", str(meetup)))
        return [
            (row[0], row[1], row[2]) for row in (current if isinstance(current, list) else [])
            if isinstance(row, list) and len(row) == 3 and all(isinstance(x, str) for x in row)
        ]

    async def record_rsvp_reaction(
        self, event_id: str, meetup: int, room_id: str, sender_digest: str, answer: str
    ) -> None:
        await self._put(_key("rsvp-reaction", event_id), json.dumps(
            {"meetup": meetup, "room": room_id, "who": sender_digest, "answer": answer}))
        async with self._lists:
            key = _key("rsvp-reacted", str(meetup), sender_digest, answer)
            current = await self._get_json(key)
            events = current if isinstance(current, list) else []
            if event_id not in events:
                events.append(event_id)
            await self._put(key, json.dumps(events))

    async def rsvp_reaction(self, event_id: str) -> dict[str, Any] | None:
        """What the RSVP reaction ``event_id`` said: meetup, room, sender digest, answer."""
        data = await self._get_json(_key("rsvp-reaction", event_id))
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("meetup"), int)
            or not isinstance(data.get("answer"), str)
        ):
            return None
        return data

    async def forget_rsvp_reaction(self, event_id: str, data: dict[str, Any]) -> int:
        """Drop a redacted RSVP reaction; how many with the same answer of that sender
        remain on this meetup's messages."""
        await self._delete(_key("rsvp-reaction", event_id))
        async with self._lists:
            key = _key("rsvp-reacted", str(data["meetup"]), str(data.get("who")),
                       str(data.get("answer")))
            current = await self._get_json(key)
            events = [e for e in (current if isinstance(current, list) else []) if e != event_id]
            if events:
                await self._put(key, json.dumps(events))
            else:
                await self._delete(key)
        return len(events)

    # -- mutual aid -------------------------------------------------------------------

    async def record_aid_post(
        self, post: int, room_id: str, event_id: str, root_id: str
    ) -> None:
        """The bot's message ``event_id`` shows ``post`` in ``room_id``; ``root_id`` is
        the root of the post's discussion thread there."""
        await self._record(AID_THREAD, post, room_id, root_id)
        await self._record(AID_POST, post, room_id, event_id)

    async def aid_messages(self, post: int) -> dict[str, str]:
        """Room id -> the bot's message showing ``post`` there."""
        return await self._posted(AID_POST, post)

    async def aid_threads(self, post: int) -> dict[str, str]:
        """Room id -> root event of the discussion thread of ``post`` there."""
        return await self._posted(AID_THREAD, post)

    async def mark_aid_post_done(self, post: int) -> None:
        await self._record(AID_DONE, post, "", "")

    async def watched_aid_posts(self) -> set[int]:
        """Posts with a thread whose closing was not shown yet."""
        async with self.db.transaction() as session:
            posted = set(await session.scalars(
                select(PostedMessage.item_id).where(
                    PostedMessage.kind == AID_POST, PostedMessage.platform == MATRIX)
            ))
            done = set(await session.scalars(
                select(PostedMessage.item_id).where(
                    PostedMessage.kind == AID_DONE, PostedMessage.platform == MATRIX)
            ))
        return posted - done

    async def aid_post_statuses(self, posts: set[int]) -> dict[int, str]:
        """The status of each post that still exists (open, fulfilled, expired)."""
        if not posts:
            return {}
        async with self.db.transaction() as session:
            rows = await session.execute(
                select(AidPost.id, AidPost.status).where(AidPost.id.in_(sorted(posts)))
            )
            return {number: status for number, status in rows.all()}

    async def aid_post_room(self, post: int) -> str | None:
        """The Matrix room where ``post`` was written, if it was written on Matrix."""
        async with self.db.transaction() as session:
            return await session.scalar(
                select(Collective.external_id)
                .join(AidPost, AidPost.collective_id == Collective.id)
                .where(AidPost.id == post, Collective.platform == MATRIX)
            )

    async def exchange_room(self, exchange: int) -> str | None:
        """The Matrix room where ``exchange`` was recorded, if it was recorded on Matrix."""
        async with self.db.transaction() as session:
            return await session.scalar(
                select(Collective.external_id)
                .join(Exchange, Exchange.collective_id == Collective.id)
                .where(Exchange.id == exchange, Collective.platform == MATRIX)
            )

    # -- rights FAQ -----------------------------------------------------------------------

    async def record_faq_message(self, event_id: str, slug: str, room_id: str) -> None:
        await self._put(_key("faq-msg", event_id), json.dumps({"slug": slug, "room": room_id}))

    async def faq_of(self, event_id: str, room_id: str) -> str | None:
        """The entry whose answer is the bot's message ``event_id`` in ``room_id``."""
        data = await self._get_json(_key("faq-msg", event_id))
        if not isinstance(data, dict) or data.get("room") != room_id:
            return None
        slug = data.get("slug")
        return slug if isinstance(slug, str) else None

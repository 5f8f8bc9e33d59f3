"""Delivery of announcements to collectives on any connected platform."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from bot.core.i18n import use_locale
from bot.core.notice import Notice
from bot.core.render import aid as aid_render
from bot.core.render import faq as faq_render
from bot.core.render import meetups as meetups_render
from bot.core.render import polls as polls_render
from bot.core.render import tribune as tribune_render
from bot.core.render.message import Message


class Announcement(Protocol):
    platform: str
    collective_id: str
    channel_id: str
    locale: str
    kind: str


RENDERERS: dict[str, Callable[[Any], Message]] = {
    "milestone": tribune_render.announcement,
    "poll.result": polls_render.result_announcement,
    "meetup.new": meetups_render.announcement,
    "aid.digest": aid_render.digest,
    "faq.review": faq_render.review_reminder,
}
NOTICES: dict[str, Callable[[Any], Message]] = {
    "meetup.promoted": meetups_render.promoted,
    "meetup.reminder": meetups_render.reminder,
    "meetup.changed": meetups_render.changed,
    "meetup.cancelled": meetups_render.cancelled,
    "aid.match": aid_render.match,
    "aid.help": aid_render.help_offered,
    "aid.confirm": aid_render.to_confirm,
    "aid.answered": aid_render.exchange,
    "aid.expiring": aid_render.expiring,
    "aid.expired": aid_render.expired,
}

log = logging.getLogger(__name__)

# (collective external id, channel id, message) -> delivered
Sender = Callable[[str, str, Message], Awaitable[None]]
# (user id, message) -> delivered privately
PrivateSender = Callable[[str, Message], Awaitable[None]]


class Outbox:
    """Adapters register a sender for their platform; services' announcements
    are rendered in each target collective's locale and handed to it."""

    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}
        self._private: dict[str, PrivateSender] = {}

    def register(
        self, platform: str, sender: Sender, private: PrivateSender | None = None
    ) -> None:
        self._senders[platform] = sender
        if private is not None:
            self._private[platform] = private

    def unregister(self, platform: str) -> None:
        self._senders.pop(platform, None)
        self._private.pop(platform, None)

    async def notify(self, notices: Iterable[Notice]) -> int:
        """Send private notices; a platform that is not running is skipped."""
        delivered = 0
        for notice in notices:
            sender = self._private.get(notice.platform)
            if sender is None:
                log.info("no %s adapter running; notice to %s skipped",
                         notice.platform, notice.user_id)
                continue
            with use_locale(notice.locale):
                message = NOTICES[notice.kind](notice.data)
            try:
                await sender(notice.user_id, message)
                delivered += 1
            except Exception:
                log.exception("private notice to %s/%s failed", notice.platform,
                              notice.user_id)
        return delivered

    async def deliver(self, announcements: Iterable[Announcement]) -> int:
        delivered = 0
        for item in announcements:
            sender = self._senders.get(item.platform)
            if sender is None:
                log.info("no %s adapter running; announcement for %s skipped",
                         item.platform, item.collective_id)
                continue
            with use_locale(item.locale):
                message = RENDERERS[item.kind](item)
            try:
                await sender(item.collective_id, item.channel_id, message)
                delivered += 1
            except Exception:
                log.exception("announcement to %s/%s failed", item.platform, item.channel_id)
        return delivered

"""Delivery of announcements to collectives on any connected platform."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from bot.core.i18n import use_locale
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
}

log = logging.getLogger(__name__)

# (collective external id, channel id, message) -> delivered
Sender = Callable[[str, str, Message], Awaitable[None]]


class Outbox:
    """Adapters register a sender for their platform; services' announcements
    are rendered in each target collective's locale and handed to it."""

    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}

    def register(self, platform: str, sender: Sender) -> None:
        self._senders[platform] = sender

    def unregister(self, platform: str) -> None:
        self._senders.pop(platform, None)

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

"""The Discord sending policy (bot/discord/sending.py) with discord.py's real HTTP client
against the loopback stand-in: rate limits discord.py gives up on are waited out, order
is kept per channel, a global limit holds everything back, other failures are retried a
few times, and what is given up is logged and counted without its content."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import discord
import pytest
import pytest_asyncio

from bot.discord.sending import ANNOUNCEMENT, EDIT, NotSent, Sending, Superseded, rate_limit_wait
from tests.discord_standin import DiscordEnv, run_client
from tests.discord_standin.fixtures import discord_env, discord_standin  # noqa: F401

POSTS = "/channels/{id}/messages"


@dataclass
class Setup:
    env: DiscordEnv
    client: discord.Client
    sending: Sending

    @property
    def channel(self) -> discord.PartialMessageable:
        return self.client.get_partial_messageable(self.env.channel.id)

    def posted(self) -> list[str]:
        return [m.content for m in self.env.standin.bot_messages_in(self.env.channel)]

    def statuses(self, method: str = "POST", path: str = POSTS) -> list[int | None]:
        return [r.status for r in self.env.standin.requests_to(method, path)]


@pytest_asyncio.fixture
async def setup(discord_env: DiscordEnv) -> AsyncIterator[Setup]:  # noqa: F811
    client = discord.Client(intents=discord.Intents.none(), guild_ready_timeout=0.1)
    sending = Sending(backoff=0.01, backoff_max=0.05)
    sending.install(client.http)
    async with run_client(client, discord_env.standin):
        yield Setup(discord_env, client, sending)


async def test_discord_py_alone_gives_up_after_five_429s(discord_env: DiscordEnv) -> None:  # noqa: F811
    client = discord.Client(intents=discord.Intents.none(), guild_ready_timeout=0.1)
    async with run_client(client, discord_env.standin):
        discord_env.standin.rate_limit("POST", POSTS, count=5, retry_after=0.01)
        with pytest.raises(discord.HTTPException) as raised:
            await client.get_partial_messageable(discord_env.channel.id).send("lost")
    assert raised.value.status == 429
    assert discord_env.standin.bot_messages_in(discord_env.channel) == []


async def test_a_rate_limit_discord_py_gives_up_on_is_waited_out(setup: Setup) -> None:
    setup.env.standin.rate_limit("POST", POSTS, count=12, retry_after=0.01)
    await setup.sending.deliver(ANNOUNCEMENT, "channel", lambda: setup.channel.send("kept"))
    assert setup.posted() == ["kept"]
    assert setup.statuses() == [429] * 12 + [200]
    assert setup.sending.rate_limited == 2 and setup.sending.lost == 0


async def test_order_is_kept_per_channel_through_rate_limits(setup: Setup) -> None:
    setup.env.standin.rate_limit("POST", POSTS, count=7, retry_after=0.01)
    texts = [f"notice {index}" for index in range(5)]
    await asyncio.gather(*(
        setup.sending.deliver(ANNOUNCEMENT, "channel", lambda text=text: setup.channel.send(text),
                              order=setup.env.channel.id)
        for text in texts
    ))
    assert setup.posted() == texts


async def test_a_global_rate_limit_holds_every_request_back(setup: Setup) -> None:
    standin = setup.env.standin
    standin.rate_limit("POST", POSTS, count=5, retry_after=0.2, is_global=True)
    await asyncio.gather(
        setup.sending.deliver(ANNOUNCEMENT, "channel", lambda: setup.channel.send("first")),
        setup.sending.deliver(ANNOUNCEMENT, "channel", lambda: setup.channel.send("second")),
    )
    assert sorted(setup.posted()) == ["first", "second"]
    assert setup.sending.lost == 0


async def test_other_failures_are_retried_then_lost_and_counted(
    setup: Setup, caplog: pytest.LogCaptureFixture,
) -> None:
    standin = setup.env.standin
    standin.fail("POST", POSTS, status=503, code=0, message="Unavailable", count=2)
    await setup.sending.deliver(ANNOUNCEMENT, "channel 1", lambda: setup.channel.send("late"))
    assert setup.posted() == ["late"] and setup.sending.lost == 0

    standin.fail("POST", POSTS, status=503, code=0, message="Unavailable", count=100)
    with caplog.at_level(logging.INFO, logger="bot.discord.sending"), \
            pytest.raises(NotSent):
        await setup.sending.deliver(ANNOUNCEMENT, "channel 1",
                                    lambda: setup.channel.send("secret words"))
    assert setup.sending.lost == 1
    assert setup.statuses().count(503) == 2 + setup.sending.retries + 1
    assert "announcement in channel 1 not sent" in caplog.text
    assert "secret words" not in caplog.text


async def test_a_refusal_is_not_retried(setup: Setup) -> None:
    setup.env.standin.fail("POST", POSTS, status=403, code=50013, count=1)
    with pytest.raises(NotSent) as raised:
        await setup.sending.deliver(ANNOUNCEMENT, "channel", lambda: setup.channel.send("no"))
    assert isinstance(raised.value.__cause__, discord.Forbidden)
    assert setup.statuses() == [403] and setup.sending.lost == 1


async def test_an_edit_replaced_by_a_newer_state_is_dropped(setup: Setup) -> None:
    standin = setup.env.standin
    sent = await setup.channel.send("state 1")
    edits = "/channels/{id}/messages/{id}"
    standin.rate_limit("PATCH", edits, count=5, retry_after=0.01)
    with pytest.raises(Superseded):
        await setup.sending.deliver(EDIT, "channel", lambda: sent.edit(content="state 2"),
                                    superseded=lambda: True)
    assert setup.statuses("PATCH", edits) == [429] * 5
    await setup.sending.deliver(EDIT, "channel", lambda: sent.edit(content="state 3"),
                                superseded=lambda: False)
    assert setup.posted() == ["state 3"] and setup.sending.lost == 0


async def test_a_deleted_message_is_not_a_loss_for_an_edit(setup: Setup) -> None:
    sent = await setup.channel.send("gone soon")
    await sent.delete()
    with pytest.raises(discord.NotFound):
        await setup.sending.deliver(EDIT, "channel", lambda: sent.edit(content="x"),
                                    missing_ok=True)
    assert setup.sending.lost == 0


class _Answer:
    """What discord.HTTPException reads of an HTTP answer."""

    def __init__(self, status: int, headers: dict[str, str]) -> None:
        self.status, self.headers, self.reason = status, headers, "Too Many Requests"


async def test_replies_go_before_bulk_sends_while_they_wait_out_a_rate_limit() -> None:
    sending = Sending()
    order: list[str] = []
    limited = asyncio.Event()

    async def reply() -> None:
        if not limited.is_set():
            limited.set()
            raise discord.HTTPException(_Answer(429, {"X-RateLimit-Reset-After": "0.2"}),
                                        {"message": "You are being rate limited.", "code": 0})
        order.append("reply")

    async def bulk() -> None:
        order.append("bulk")

    replying = asyncio.create_task(sending.request(reply, reply=True))
    await limited.wait()
    await sending.request(bulk)
    await replying
    assert order == ["reply", "bulk"]


async def test_a_global_rate_limit_holds_later_requests_back() -> None:
    sending = Sending()
    order: list[str] = []
    limited = asyncio.Event()

    async def first() -> None:
        if not limited.is_set():
            limited.set()
            raise discord.HTTPException(
                _Answer(429, {"Retry-After": "0.2", "X-RateLimit-Global": "true"}),
                {"message": "You are being rate limited.", "code": 0})
        order.append("first")

    async def second() -> None:
        order.append("second")

    held = asyncio.create_task(sending.request(first))
    await limited.wait()
    await asyncio.sleep(0)
    later = asyncio.create_task(sending.request(second))
    await asyncio.sleep(0.05)
    assert order == [], "nothing is sent while the global limit holds"
    await asyncio.gather(held, later)
    assert sorted(order) == ["first", "second"] and sending.rate_limited == 1
    assert rate_limit_wait(discord.HTTPException(
        _Answer(429, {"Retry-After": "2", "X-RateLimit-Global": "true",
                      "X-RateLimit-Reset-After": "0.1"}), {})) == (2.0, True)

"""Discord faults with the real bot: gateway reconnects resume, a failed message post
is retried and posted once."""

from __future__ import annotations

from tests.e2e_discord.harness import Tribune, count, fr


def identifies(tribune: Tribune) -> int:
    return sum(1 for direction, op, _ in tribune.standin.gateway_log
               if direction == "recv" and op == 2)


async def test_gateway_reconnects_resume_the_session(tribune: Tribune) -> None:
    alice = tribune.member("alice")
    await tribune.standin.force_reconnect("reconnect")  # op 7 from Discord
    await tribune.standin.force_reconnect("close", code=4000)  # a dropped socket
    session = next(iter(tribune.standin.sessions.values()))
    assert session.resumes == 2 and identifies(tribune) == 1
    signed = await tribune.sign(alice, profession="Graphiste", city="Lyon")
    assert count(1) in signed.text


async def test_a_failed_post_is_retried_and_posted_once(tribune: Tribune) -> None:
    announcements = tribune.env.guild.channel("annonces")
    moderator = tribune.moderator("modo")
    await tribune.command("annonces", moderator, options={"salon": announcements})
    path = f"/channels/{announcements.id}/messages"
    tribune.standin.fail("POST", path, status=502, code=0, message="Bad Gateway")
    for index in range(10):
        await tribune.sign(tribune.member(f"m{index}"), profession="Dev", city="Lyon")
    posted = await tribune.env.message_in(announcements, fr(
        "The tribune has reached {count} signatures. Thank you to everyone who signed!",
        count=10))
    assert [r.status for r in tribune.standin.requests_to("POST", path)] == [502, 200]
    assert len(tribune.standin.bot_messages_in(announcements)) == 1
    assert posted.allowed_mentions == {"parse": []}

"""Integer slash options out of their range are refused by the bot itself, clearly.

Discord's client enforces an option's ``min_value``/``max_value``, but discord.py
does not check the value it receives, and an integer option may carry up to
2**53. The stand-in sends what Discord would never let a member type: the bot
must answer with the range, not fail, and write nothing.
"""

from __future__ import annotations

from bot.core.i18n import N_
from bot.core.numbers import ID_MAX, LocalNumber
from tests.e2e_discord.harness import Tribune, database_rows, fr

RANGE = "{field} must be a whole number from {low} to {high}."


async def test_out_of_range_integer_options_are_refused_with_the_range(tribune: Tribune) -> None:
    modo, alice = tribune.moderator("modo"), tribune.member("alice")
    meetup = fr(RANGE, field=N_("The meetup number"), low=1, high=LocalNumber(ID_MAX))
    poll = fr(RANGE, field=N_("The poll number"), low=1, high=LocalNumber(ID_MAX))
    days = fr(RANGE, field=N_("The number of days"), low=1, high=3650)
    page = fr(RANGE, field=N_("The page"), low=1, high=LocalNumber(100_000))
    capacity = fr(RANGE, field=N_("The capacity"), low=1, high=LocalNumber(100_000))
    assert "2\u00a0147\u00a0483\u00a0647" in meetup and "100\u00a0000" in page
    cases = [
        ("rencontre voir", alice, {"numero": 2**53}, meetup),
        ("rencontre voir", alice, {"numero": 0}, meetup),
        ("scrutin voir", alice, {"numero": -(2**53)}, poll),
        ("scrutin resultats", alice, {"numero": ID_MAX + 1}, poll),
        ("config conservation", modo, {"jours": 2**53}, days),
        ("config conservation", modo, {"jours": 0}, days),
        ("tribune liste", alice, {"page": 10**12}, page),
        # Checked by the meetup service itself, whichever adapter sent it.
        ("rencontre creer", modo, {"titre": "Apéro", "lieu": "Lyon", "debut": "2030-07-16 19:30",
                                   "capacite": 2**53}, capacity),
    ]
    for path, user, options, expected in cases:
        answer = await tribune.env.answer(await tribune.send(
            tribune.slash_payload(path, user, options)))
        assert answer.ephemeral and expected in answer.text, (path, options, answer.describe())
    # Nothing was written, and the bot still answers.
    rows = database_rows(tribune.bot)
    assert not rows.get("meetups")
    assert all(row["retention_days"] is None for row in rows.get("collectives", []))
    shown = await tribune.slash("tribune voir", alice)
    assert shown.text and "Un problème est survenu" not in shown.text, shown.describe()

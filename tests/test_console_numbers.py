"""Every number a member types, refused clearly when it is not one we can use.

The real program (``python -m bot console``) gets, on stdin, each bad number
(too large for a database integer, ``²`` which ``str.isdigit`` accepts and ``int``
refuses, negative, with a decimal comma, Arabic-Indic digits, NaN and infinities
for hours) in every command that takes a number. Each must get a clear French
refusal naming what was wrong, never the generic "something went wrong" message,
and the program must keep answering.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_console import run_console

BIG = "99999999999999999999999"  # beyond 64 bits: SQLite and int64 columns overflow
NBSP = "\u00a0"
# Whole numbers: too large, a digit int() refuses, negative, decimal, non-ASCII digits.
WHOLE = (BIG, "²", "-1", "1,5", "١٢", "abc")
# In comma-separated lists "1,5" is two good numbers.
IN_LIST = (BIG, "²", "-1", "١٢")
HOURS = ("nan", "inf", "-inf", "NaN", BIG, "-1", "1e400", "²", "0", "25", "0,1")

ID_RANGE = f"doit être un nombre entier de 1 à 2{NBSP}147{NBSP}483{NBSP}647"
POLL = "Le numéro du scrutin " + ID_RANGE
MEETUP = "Le numéro de la rencontre " + ID_RANGE
DEMAND = "Le numéro de la revendication " + ID_RANGE
POST = "Le numéro de l’annonce " + ID_RANGE
EXCHANGE = "Le numéro de l’échange " + ID_RANGE
QUESTION = "Le numéro de la question " + ID_RANGE
PAGE = f"La page doit être un nombre entier de 1 à 100{NBSP}000."
LEVEL = "Le niveau de pouvoir doit être un nombre entier de 0 à 100."
HOURS_REFUSED = (
    "Le nombre d’heures doit être un nombre de 0,25 à 24, par exemple 1,5.",
    "Le nombre d’heures doit être supérieur à zéro.",
    "Un échange compte au plus 24 heures",
)
NEW_POLL = '!scrutin creer titre=T options="A;B" fin="dans 2 jours" '
NEW_MEETUP = '!rencontre creer titre=R lieu=Lyon debut="dans 3 jours" '
NEW_POST = "!entraide demander type=conseil competences=juridique description=Aide "
GENERIC = "Un problème est survenu de notre côté"

# (command with {n} where the number goes, the values to try, what the answer must say:
# one of these texts; None: any refusal, as long as it is not the generic message).
CASES: list[tuple[str, tuple[str, ...], tuple[str, ...] | None]] = [
    ("!scrutin voir {n}", WHOLE, (POLL,)),
    ("!scrutin resultats {n}", WHOLE, (POLL,)),
    ("!scrutin clore {n}", WHOLE, (POLL,)),
    ("!scrutin export {n}", WHOLE, (POLL,)),
    ("!vote {n} A", WHOLE, (POLL,)),
    (NEW_POLL + "max={n}", WHOLE,
     ("Le nombre maximal de choix doit être un nombre entier de 1 à 20.",)),
    (NEW_POLL + "revendications={n}", IN_LIST, (DEMAND,)),
    (NEW_POLL + "eligibles=niveau:{n}", WHOLE, (LEVEL,)),
    (NEW_POLL + "quorum={n}", WHOLE, None),
    ("!rencontre voir {n}", WHOLE, (MEETUP,)),
    ("!rencontre viens {n}", WHOLE, (MEETUP,)),
    ("!rencontre peut-etre {n}", WHOLE, (MEETUP,)),
    ("!rencontre non {n}", WHOLE, (MEETUP,)),
    ("!rencontre calendrier {n}", WHOLE, (MEETUP,)),
    ("!rencontre inscrits {n}", WHOLE, (MEETUP,)),
    ("!rencontre annuler {n}", WHOLE, (MEETUP,)),
    ("!rencontre modifier {n} titre=Autre", WHOLE, (MEETUP,)),
    (NEW_MEETUP + "capacite={n}", (*WHOLE, "0"),
     (f"La capacité doit être un nombre entier de 1 à 100{NBSP}000.",)),
    (NEW_MEETUP + "rappels={n}", (*IN_LIST, "0", "1,2,3,4,5,6"),
     (f"Chaque rappel (en minutes avant le début) doit être un nombre entier de 1 à "
      f"20{NBSP}160",)),
    ("!revendication voir {n}", WHOLE, (DEMAND,)),
    ("!revendication soutenir {n}", WHOLE, (DEMAND,)),
    ("!revendication retirer-soutien {n}", WHOLE, (DEMAND,)),
    ("!revendication retenir {n}", WHOLE, (DEMAND,)),
    ("!revendication rejeter {n} raison=doublon", WHOLE, (DEMAND,)),
    ("!revendication fusionner {n} 1", WHOLE, (DEMAND,)),
    ("!revendication fusionner 1 {n}", WHOLE, (DEMAND,)),
    ("!revendication liste {n}", WHOLE, (PAGE,)),
    ("!tribune liste {n}", WHOLE, (PAGE,)),
    ("!droits questions {n}", WHOLE, (PAGE,)),
    ("!config journal {n}", WHOLE, (PAGE,)),
    ("!entraide voir {n}", WHOLE, (POST,)),
    ("!entraide aider {n}", WHOLE, (POST,)),
    ("!entraide cloturer {n}", WHOLE, (POST,)),
    ("!entraide modifier {n} tags=x", WHOLE, (POST,)),
    ("!entraide confirmer {n}", WHOLE, (EXCHANGE,)),
    ("!entraide refuser {n}", WHOLE, (EXCHANGE,)),
    ("!entraide echange heures=2 avec=bob annonce={n}", WHOLE, (POST,)),
    ("!entraide echange heures={n} avec=bob", HOURS, HOURS_REFUSED),
    (NEW_POST + "heures={n}", HOURS, HOURS_REFUSED),
    ("!config conservation {n}", (*WHOLE, "0"),
     ("Donnez un nombre de jours de 1 à 3650, ou off.",)),
    ("!config moderateurs {n}", WHOLE, (LEVEL,)),
    ("!config organisateurs {n}", WHOLE, (LEVEL,)),
    ("!droits classer {n}", WHOLE, (QUESTION,)),
    ("!droits alias conge-maternite question={n}", WHOLE, (QUESTION,)),
    ("!federation retirer {n}", WHOLE, ("Donnez le numéro du collectif",)),
]


def test_every_bad_number_gets_a_clear_french_refusal(tmp_path: Path) -> None:
    lines: list[str] = []
    commands: list[tuple[str, tuple[str, ...] | None]] = []
    for template, values, expected in CASES:
        for value in values:
            command = template.replace("{n}", value)
            commands.append((command, expected))
            # A marker of our own before each command: its reply is what follows it.
            lines += [f":as case{len(commands)} --mod", command]
    lines += [":as alice", "!tribune", ""]
    result = run_console(tmp_path, "\n".join(lines))

    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    out = result.stdout
    problems = []
    for index, (command, expected) in enumerate(commands, start=1):
        start = out.index(f"Vous êtes maintenant case{index} (modération).")
        following = re.search(r"Vous êtes maintenant \S+ \(", out[start + 1:])
        assert following is not None
        reply = out[start:start + 1 + following.start()]
        refusals = [line for line in reply.splitlines() if line.startswith("! ")]
        if not refusals or GENERIC in reply:
            problems.append(f"{command!r}: {reply!r}")
        elif expected is not None and not any(text in reply for text in expected):
            problems.append(f"{command!r}: expected one of {expected!r}, got {reply!r}")
    assert not problems, "\n".join(problems)
    # Still answering after all of them.
    assert out.rstrip().endswith("→ Signataires: !tribune liste"), out[-500:]
    assert "0 signature" in out[out.index("Vous êtes maintenant alice"):]

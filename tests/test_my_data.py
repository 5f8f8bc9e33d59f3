"""A member's right of access (``!mes-donnees``): every member gets their data,
whatever they did, as a document in the collective's language and as JSON.

The structure tests keep the export complete by construction: every table that
refers to a person is walked, and every one of its columns has a label.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Column, ForeignKey, Integer, Numeric, Table, select

from bot.core.app import Core
from bot.core.i18n import use_locale
from bot.core.render import admin as render
from bot.core.render.my_data import COMMON_FIELDS, SECTIONS, document
from bot.core.services.persons import person_columns
from bot.core.services.polls import PollDraft, parse_ballot
from bot.core.services.privacy import (
    SECRET_COLUMNS,
    VOTING_TABLES,
    AccountRef,
    DataExport,
    ExportIdentity,
    ExportSection,
    PersonRef,
    RowRef,
    export_tables,
)
from bot.db.models import AuditEntry, Base, Member
from tests.conftest import member, place
from tests.test_console import run_console

MOD = member("mod", moderator=True)


def unlabelled() -> list[str]:
    """Walked tables without a section, and their columns with neither a label nor a
    deliberate place among the hidden ones."""
    missing = []
    for table, _columns in export_tables():
        section = SECTIONS.get(table.name)
        if section is None:
            missing.append(table.name)
            continue
        missing += [f"{table.name}.{column.name}" for column in table.c
                    if column.name not in SECRET_COLUMNS
                    and not section.label(column.name) and not section.hides(column.name)]
    return missing


# -- complete by construction ---------------------------------------------------------

def test_every_reference_to_a_person_is_walked_except_ballots() -> None:
    walked = {table.name: set(columns) for table, columns in export_tables()}
    for table, column in person_columns():
        if table.name in VOTING_TABLES:
            assert table.name not in walked, "ballots are listed by the poll service only"
        else:
            assert column in walked[table.name], f"{table.name}.{column.name}"
    for table in Base.metadata.sorted_tables:
        if "member_id" in table.c and table.name != "members":
            assert table.c.member_id in walked[table.name], table.name
    assert {"ballots", "poll_voters"} == VOTING_TABLES


def test_every_walked_table_and_column_has_a_label() -> None:
    assert unlabelled() == [], (
        "label these in bot/core/render/my_data.py SECTIONS (or hide a purely internal "
        "column there, with a comment saying why)")


def test_a_new_table_about_persons_is_caught_and_still_exported() -> None:
    """The check above fails for a table added without labels, and the document
    still shows its rows (under their internal names) rather than dropping them."""
    table = Table(
        "wishes", Base.metadata,
        Column("id", Integer, primary_key=True),
        Column("person_id", Integer, ForeignKey("persons.id")),
        Column("budget", Numeric(6, 2)),
    )
    try:
        assert unlabelled() == ["wishes"]
        assert "wishes" in {t.name for t, _c in export_tables()}
        SECTIONS["wishes"] = SECTIONS["faq_feedback"]
        try:
            assert unlabelled() == ["wishes.budget"]
        finally:
            del SECTIONS["wishes"]
    finally:
        Base.metadata.remove(table)
    export = DataExport(
        datetime(2026, 3, 1, 12, tzinfo=UTC), "Europe/Paris",
        (ExportIdentity("console", "ana", "Ana", datetime(2026, 1, 1, tzinfo=UTC)),),
        (ExportSection("wishes", ((("id", 1), ("person_id", PersonRef(True)),
                                   ("budget", Decimal("12.50"))),)),),
    )
    with use_locale("fr"):
        text = document(export)
    assert "## wishes" in text and "- **budget** : 12,5" in text


def test_every_value_type_reads_as_words() -> None:
    row = (
        ("id", 7), ("collective_id", RowRef("collectives", 1, "Collectif Zéphyr")),
        ("giver_id", PersonRef(True)), ("receiver_id", PersonRef(False, "Bob")),
        ("recorded_by_id", PersonRef(False, "Bob")), ("post_id", RowRef("aid_posts", 4)),
        ("hours", Decimal("1.50")), ("category", "advice"), ("note", "ligne 1\nligne 2"),
        ("status", "pending"), ("corrects_id", None),
        ("created_at", datetime(2026, 7, 14, 20, 30, tzinfo=UTC)), ("confirmed_at", None),
    )
    export = DataExport(
        datetime(2026, 7, 14, 22, 0, tzinfo=UTC), "Europe/Paris",
        (ExportIdentity("discord", "555", "Ana", datetime(2026, 1, 2, 8, tzinfo=UTC)),),
        (ExportSection("exchanges", (row,)),
         ExportSection("memberships", ((("member_id", AccountRef("discord", "555", "Ana")),
                                        ("joined_at", datetime(2026, 1, 2, tzinfo=UTC)),
                                        ("left_at", None)),)),
         ExportSection("faq_feedback", ((("useful", False),
                                         ("updated_at", date(2026, 2, 3))),)),
         ExportSection("polls", ((("id", 3), ("result", {"winners": ["A"]}),
                                  ("secret", True)),))),
    )
    with use_locale("fr"):
        text = document(export)
    for line in ("### Échange #7", "- **Donné par** : vous", "- **Reçu par** : Bob",
                 "- **Durée** : 1,5 h", "- **Type d’aide** : conseil ponctuel",
                 "- **Statut** : en attente de confirmation", "- **Annonce** : #4",
                 "- **Note** : ligne 1\n  ligne 2", "- **Corrige l’échange** : —",
                 # 20:30 UTC is 22:30 in Paris in July
                 "- **Enregistré le** : 14 juillet 2026 à 22:30",
                 "- **Collectif** : Collectif Zéphyr", "- **Compte** : Discord · Ana (555)",
                 "- **Utile** : non", "- **Dernière modification le** : 3 février 2026",
                 "- **Vote secret** : oui"):
        assert line in text, line
    assert "winners" not in text, "the poll result belongs to the poll (JSON copy only)"
    data = json.loads(export.content)
    [exchange] = data["exchanges"]
    assert exchange["hours"] == "1.50" and exchange["giver_id"] == {"you": True}
    assert exchange["receiver_id"] == {"name": "Bob"}
    assert data["faq_feedback"][0]["updated_at"] == "2026-02-03"
    assert data["polls"][0]["result"] == {"winners": ["A"]}


def test_nothing_held_reads_as_such() -> None:
    with use_locale("en"):
        text = document(DataExport(datetime(2026, 3, 1, tzinfo=UTC), "UTC"))
    assert "The bot holds nothing about you." in text


# -- the service, on SQLite and PostgreSQL --------------------------------------------

async def test_both_sides_of_an_exchange_get_their_data(core: Core) -> None:
    ana, bob = member("ana"), member("bob")
    await core.aid.set_profile(bob, place(), skills="marketing")
    recorded = await core.aid.record(ana, place(), other=bob, hours="2.5", gave=True,
                                     note="Relecture du devis")
    await core.aid.confirm(bob, place(), recorded.exchange.id)
    for who, gave, other in ((ana, "vous", "Bob"), (bob, "Ana", "vous")):
        export = await core.privacy.export(who, place())
        with use_locale("fr"):
            message = render.data_export(export)
        readable, machine = message.attachments
        assert (readable.filename, machine.filename) == ("mes-donnees.md", "mes-donnees.json")
        text = readable.content.decode()
        assert f"- **Donné par** : {gave}" in text and f"- **Reçu par** : {other}" in text
        assert "- **Durée** : 2,5 h" in text and "Relecture du devis" in text
        data = json.loads(machine.content)
        [exchange] = data["exchanges"]
        assert exchange["hours"] == "2.50" and exchange["status"] == "confirmed"
        [entry] = data["ledger_entries"]
        assert entry["amount"] == ("2.50" if who is ana else "-2.50")


async def test_moderation_entries_about_someone_else_withhold_their_detail(core: Core) -> None:
    ana = member("ana", moderator=True)
    await core.config.set_timezone(ana, place(), "Europe/Paris")
    async with core.db.transaction() as session:
        person = await session.scalar(select(Member.person_id)
                                      .where(Member.user_id == "ana"))
        session.add(AuditEntry(person_id=person, actor_label="Ana (console:ana)",
                               action="aid.balance-flag", detail="Bob Secret: 31 h"))
    export = await core.privacy.export(ana, place())
    with use_locale("fr"):
        text = document(export)
    assert "fuseau horaire changé" in text and "Europe/Paris" in text
    assert "solde de banque de temps au-delà de la limite signalé" in text
    assert "Bob Secret" not in text and b"Bob Secret" not in export.content


async def test_polls_voted_in_never_show_a_secret_ballot(core: Core) -> None:
    ana = member("ana")
    secret = await core.polls.create(MOD, place(), PollDraft(
        title="Local secret", method="schulze", options=("Nord", "Sud", "Est"),
        closes="dans 3 jours"))
    public = await core.polls.create(MOD, place(), PollDraft(
        title="Local public", method="single", options=("Nord", "Sud"),
        closes="dans 3 jours", secret=False))
    await core.polls.vote(ana, place(), secret.id, parse_ballot("schulze", "C>A>B"))
    await core.polls.vote(ana, place(), public.id, "B")
    export = await core.privacy.export(ana, place())
    with use_locale("fr"):
        text = document(export)
    assert f"### Scrutin #{secret.id}" in text and "Local secret" in text
    assert f"### Scrutin #{public.id}" in text and "Local public" in text
    assert "- **Votre bulletin** : B" in text
    assert "C>A>B" not in text and "C>A>B" not in export.content.decode()
    data = json.loads(export.content)
    assert "ballots" not in data and "poll_voters" not in data
    voted = {p["title"]: p["ballot"] for p in data["polls_voted_in"]}
    assert voted == {"Local secret": None, "Local public": "B"}


# -- the real program -----------------------------------------------------------------

ALICE = """\
:as bob
!entraide profil competences=marketing ville=Nantes notifications=oui
:as alice --mod
!config fuseau Europe/Paris
!tribune signer nom="Alice Martin" metier=graphiste ville=Lyon public=oui consentement=oui
!revendication proposer titre="Retraite des indépendants" texte="Une retraite digne" theme=retraite
!revendication soutenir 1
!rencontre creer titre="Apéro des indés" lieu=Lyon debut="2030-01-10 19:00" capacite=20
!rencontre viens 1
!entraide demander type=conseil competences=marketing description="Relire mon devis" \
ville=Lyon heures=1,5
!scrutin creer titre="Choix du local" options="Nord;Sud" fin="2030-01-10 18:00" secret=non
!vote 1 B
!droits utile acre
!lier
!entraide echange heures=2 avec=bob sens=donne note="Relecture du devis"
!mes-donnees
"""
BOB = ":as bob\n!entraide confirmer 1\n!mes-donnees\n"
# Internal words that must not reach the member's document.
CODES = ("confirmed", "pending", "advice", "request", "scheduled", "going", "single",
         "everyone", "identity", "True", "False", "None", "retirement", "poll.open",
         "config.timezone", "meetup.create")


def exported(tmp_path: Path, script: str, name: str = "mes-donnees") -> tuple[str, dict]:
    result = run_console(tmp_path, script)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    folder = tmp_path / "data" / "exports"
    text = (folder / f"{name}.md").read_text(encoding="utf-8")
    return text, json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))


def internal_words(text: str, *, english: bool = False) -> list[str]:
    """Table names, column names and codes found in ``text`` (in English, only those
    that are not plain English words: ``user_id``, ``poll.open``, ``None``...)."""
    names = {t.name for t, _c in export_tables()}
    names |= {c.name for t, _c in export_tables() for c in t.c if "_" in c.name}
    names |= set(COMMON_FIELDS) | set(CODES)
    if english:
        names = {n for n in names if "_" in n or "." in n or n[0].isupper()}
    return sorted(word for word in names
                  if re.search(rf"(?<![\w.]){re.escape(word)}(?![\w])", text))


def test_console_both_sides_of_an_exchange_in_french(tmp_path: Path) -> None:
    alice, alice_data = exported(tmp_path, ALICE)
    bob, bob_data = exported(tmp_path, BOB)
    for text in (alice, bob):
        assert text.startswith("# Vos données\n")
        assert internal_words(text) == []
        assert not re.search(r"\d{4}-\d\d-\d\dT", text), "dates are written out"
    assert "### Échange #1" in alice and "- **Reçu par** : bob" in alice
    assert "- **Statut** : en attente de confirmation" in alice
    assert "- **Donné par** : alice" in bob and "- **Reçu par** : vous" in bob
    assert "- **Statut** : confirmé" in bob and "- **Heures (+ données, − reçues)** : −2 h" in bob
    for line in ("- **Nom** : Alice Martin", "- **Affichée publiquement** : oui",
                 "- **Thème** : retraite", "- **Statut** : ouverte",
                 "- **Revendication** : #1 · Retraite des indépendants",
                 "- **Votre réponse** : Je viens", "- **Rappels** : 1 jour, 1 h avant le début",
                 "- **Type d’aide** : conseil ponctuel", "- **Temps prévu** : 1,5 h",
                 "- **Mode de scrutin** : choix unique", "- **Usage** : lier vos comptes",
                 "- **Action** : fuseau horaire changé", "- **Utile** : oui",
                 "## Scrutins où vous avez voté", "- **Votre bulletin** : B"):
        assert line in alice, line
    assert "Alice Martin" not in bob and "Relecture du devis" in bob
    assert "code_hash" not in json.dumps(alice_data)
    assert alice_data["exchanges"][0]["receiver_id"] == {"name": "bob"}
    assert bob_data["ledger_entries"][0]["amount"] == "-2.00"


def test_console_in_english_when_the_collective_is(tmp_path: Path) -> None:
    script = (":as alice --mod\n!config langue en\n"
              "!tribune sign name=Alice profession=designer city=Lyon public=yes consent=yes\n"
              "!my-data\n")
    text, data = exported(tmp_path, script, "my-data")
    assert text.startswith("# Your data\n")
    for line in ("## Your signature of the tribune", "- **Profession**: designer",
                 "- **Shown publicly**: yes", "- **Action**: language changed",
                 "Dates and times are given in the Europe/Paris time zone."):
        assert line in text, line
    assert "Vos données" not in text and "Métier" not in text
    assert internal_words(text, english=True) == []
    assert data["signatures"][0]["city"] == "Lyon"

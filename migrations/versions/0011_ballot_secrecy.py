"""Ballots that hold under ordinary use: person ids never reused, a random token per
person for keyed hashes, ballots and voter records without time, ordered id or
collective, per-collective turnout kept apart, final ballots

Person and member ids were reused by SQLite after an erasure, and secret ballots
were keyed by that id: a newcomer could take over an erased member's ballot. Secret
ballots also kept their casting time, an increasing id and their collective, which
let a reader of the database pair them with the voter's other rows.

Slots and voter records written by earlier versions are keyed by person id; the
program converts those of open polls at start (it holds the ballot key, which the
database does not).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 18:00:00.000000
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _ballots_table() -> None:
    op.create_table(
        "ballots",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("receipt", sa.String(length=16), nullable=True),
        sa.Column("seal", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"],
                                name=op.f("fk_ballots_person_id_persons"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["poll_id"], ["polls.id"], name=op.f("fk_ballots_poll_id_polls"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("poll_id", "slot", name=op.f("pk_ballots")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_ballots_person_id"), "ballots", ["person_id"], unique=False)


def _voters_table() -> None:
    op.create_table(
        "poll_voters",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("voter_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["poll_id"], ["polls.id"],
                                name=op.f("fk_poll_voters_poll_id_polls"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("poll_id", "voter_key", name=op.f("pk_poll_voters")),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    bind = op.get_bind()
    # -- persons: a random token each; ids never reused -------------------------
    with op.batch_alter_table("persons") as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=64), nullable=True))
    ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM persons"))]
    if ids:
        bind.execute(sa.text("UPDATE persons SET token = :token WHERE id = :id"),
                     [{"id": i, "token": secrets.token_hex(32)} for i in ids])
    recreate = "always" if _sqlite() else "auto"
    with op.batch_alter_table("persons", recreate=recreate,
                              table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.alter_column("token", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_persons_token"), ["token"])
    if _sqlite():
        with op.batch_alter_table("members", recreate="always",
                                  table_kwargs={"sqlite_autoincrement": True}):
            pass

    # -- polls: final ballots ---------------------------------------------------
    with op.batch_alter_table("polls") as batch_op:
        batch_op.add_column(sa.Column("final", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("polls") as batch_op:
        batch_op.alter_column("final", existing_type=sa.Boolean(), server_default=None)

    # -- turnout by collective, apart from the ballots --------------------------
    op.create_table(
        "poll_turnout",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("ballots", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["collective_id"], ["collectives.id"],
                                name=op.f("fk_poll_turnout_collective_id_collectives"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["poll_id"], ["polls.id"],
                                name=op.f("fk_poll_turnout_poll_id_polls"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("poll_id", "collective_id", name=op.f("pk_poll_turnout")),
    )
    bind.execute(sa.text(
        "INSERT INTO poll_turnout (poll_id, collective_id, ballots) "
        "SELECT poll_id, collective_id, count(*) FROM ballots "
        "WHERE collective_id IS NOT NULL GROUP BY poll_id, collective_id"))

    # -- ballots and voter records: rebuilt without id, time or collective ------
    ballots = [dict(row._mapping) for row in bind.execute(sa.text(
        "SELECT poll_id, slot, person_id, content, receipt FROM ballots ORDER BY poll_id, slot"))]
    voters = [dict(row._mapping) for row in bind.execute(sa.text(
        "SELECT poll_id, voter_key FROM poll_voters ORDER BY poll_id, voter_key"))]
    op.drop_index("ix_ballots_poll_id", table_name="ballots")
    op.drop_table("ballots")
    op.drop_index("ix_poll_voters_poll_id", table_name="poll_voters")
    op.drop_table("poll_voters")
    _ballots_table()
    _voters_table()
    if ballots:
        bind.execute(sa.text(
            "INSERT INTO ballots (poll_id, slot, person_id, content, receipt) "
            "VALUES (:poll_id, :slot, :person_id, :content, :receipt)"), ballots)
    if voters:
        bind.execute(sa.text("INSERT INTO poll_voters (poll_id, voter_key) "
                             "VALUES (:poll_id, :voter_key)"), voters)
    # Rows were kept: the program rekeys those of open polls with the ballot key.
    bind.execute(sa.text("DELETE FROM bot_state WHERE key = 'polls.keys'"))
    if ballots or voters:
        bind.execute(sa.text(
            "INSERT INTO bot_state (key, value, updated_at) VALUES ('polls.keys', '1', "
            "CURRENT_TIMESTAMP)"))


def downgrade() -> None:
    bind = op.get_bind()
    ballots = [dict(row._mapping) for row in bind.execute(sa.text(
        "SELECT poll_id, slot, person_id, content, receipt FROM ballots"))]
    voters = [dict(row._mapping) for row in bind.execute(sa.text(
        "SELECT poll_id, voter_key FROM poll_voters"))]
    op.drop_index(op.f("ix_ballots_person_id"), table_name="ballots")
    op.drop_table("ballots")
    op.drop_table("poll_voters")
    op.drop_table("poll_turnout")
    op.create_table(
        "ballots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("collective_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("receipt", sa.String(length=16), nullable=True),
        sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["collective_id"], ["collectives.id"],
                                name=op.f("fk_ballots_collective_id_collectives"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"],
                                name=op.f("fk_ballots_person_id_persons"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["poll_id"], ["polls.id"], name=op.f("fk_ballots_poll_id_polls"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballots")),
        sa.UniqueConstraint("poll_id", "slot", name=op.f("uq_ballots_poll_id")),
    )
    op.create_index(op.f("ix_ballots_poll_id"), "ballots", ["poll_id"], unique=False)
    op.create_table(
        "poll_voters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("voter_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["poll_id"], ["polls.id"],
                                name=op.f("fk_poll_voters_poll_id_polls"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_voters")),
        sa.UniqueConstraint("poll_id", "voter_key", name=op.f("uq_poll_voters_poll_id")),
    )
    op.create_index(op.f("ix_poll_voters_poll_id"), "poll_voters", ["poll_id"], unique=False)
    if ballots:
        bind.execute(sa.text(
            "INSERT INTO ballots (poll_id, slot, person_id, content, receipt, cast_at) "
            "VALUES (:poll_id, :slot, :person_id, :content, :receipt, CURRENT_TIMESTAMP)"),
            ballots)
    if voters:
        bind.execute(sa.text("INSERT INTO poll_voters (poll_id, voter_key) "
                             "VALUES (:poll_id, :voter_key)"), voters)
    with op.batch_alter_table("polls") as batch_op:
        batch_op.drop_column("final")
    with op.batch_alter_table("persons") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_persons_token"), type_="unique")
        batch_op.drop_column("token")

"""Mutual aid: posts, skill profiles, notifications, exchanges and a double-entry ledger

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 20:42:05.796830
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "skill_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("skills", sa.String(length=500), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_skill_profiles_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skill_profiles")),
        sa.UniqueConstraint("person_id", name=op.f("uq_skill_profiles_person_id")),
    )
    op.create_table(
        "aid_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("skills", sa.String(length=500), nullable=False),
        sa.Column("tags", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("remote", sa.Boolean(), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_aid_posts_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_aid_posts_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aid_posts")),
    )
    with op.batch_alter_table("aid_posts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_aid_posts_collective_id"), ["collective_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_aid_posts_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_aid_posts_status"), ["status"], unique=False)

    op.create_table(
        "aid_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_aid_notifications_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["aid_posts.id"],
            name=op.f("fk_aid_notifications_post_id_aid_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aid_notifications")),
        sa.UniqueConstraint("person_id", "post_id", name=op.f("uq_aid_notifications_person_id")),
    )
    with op.batch_alter_table("aid_notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_aid_notifications_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "exchanges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=True),
        sa.Column("giver_id", sa.Integer(), nullable=True),
        sa.Column("receiver_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("hours", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_exchanges_collective_id_collectives"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"],
            ["exchanges.id"],
            name=op.f("fk_exchanges_corrects_id_exchanges"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["giver_id"],
            ["persons.id"],
            name=op.f("fk_exchanges_giver_id_persons"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["aid_posts.id"],
            name=op.f("fk_exchanges_post_id_aid_posts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["receiver_id"],
            ["persons.id"],
            name=op.f("fk_exchanges_receiver_id_persons"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["persons.id"],
            name=op.f("fk_exchanges_recorded_by_id_persons"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchanges")),
    )
    with op.batch_alter_table("exchanges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchanges_giver_id"), ["giver_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_exchanges_receiver_id"), ["receiver_id"], unique=False)

    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["exchange_id"],
            ["exchanges.id"],
            name=op.f("fk_ledger_entries_exchange_id_exchanges"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_ledger_entries_person_id_persons"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_entries_exchange_id"), ["exchange_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_entries_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entries_person_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_entries_exchange_id"))

    op.drop_table("ledger_entries")
    with op.batch_alter_table("exchanges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchanges_receiver_id"))
        batch_op.drop_index(batch_op.f("ix_exchanges_giver_id"))

    op.drop_table("exchanges")
    with op.batch_alter_table("aid_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_aid_notifications_person_id"))

    op.drop_table("aid_notifications")
    with op.batch_alter_table("aid_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_aid_posts_status"))
        batch_op.drop_index(batch_op.f("ix_aid_posts_person_id"))
        batch_op.drop_index(batch_op.f("ix_aid_posts_collective_id"))

    op.drop_table("aid_posts")
    op.drop_table("skill_profiles")

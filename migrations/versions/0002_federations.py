"""Federations: home federation per collective, workflow scopes, link codes, federation
moderators, audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:49:55.304029
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "federation_moderators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("federation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["federation_id"],
            ["federations.id"],
            name=op.f("fk_federation_moderators_federation_id_federations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_federation_moderators_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_moderators")),
        sa.UniqueConstraint(
            "federation_id", "person_id", name=op.f("uq_federation_moderators_federation_id")
        ),
    )
    with op.batch_alter_table("federation_moderators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_federation_moderators_federation_id"), ["federation_id"], unique=False
        )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=True),
        sa.Column("federation_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_audit_log_collective_id_collectives"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["federation_id"],
            ["federations.id"],
            name=op.f("fk_audit_log_federation_id_federations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_audit_log_person_id_persons"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_log_collective_id"), ["collective_id"], unique=False
        )

    op.create_table(
        "link_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_link_attempts_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_attempts")),
    )
    with op.batch_alter_table("link_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_attempts_member_id"), ["member_id"], unique=False)

    op.create_table(
        "link_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("federation_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["federation_id"],
            ["federations.id"],
            name=op.f("fk_link_codes_federation_id_federations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_link_codes_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_link_codes_code_hash")),
    )
    with op.batch_alter_table("collective_channels", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shared", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.alter_column("channel_id", existing_type=sa.VARCHAR(length=255), nullable=True)

    with op.batch_alter_table("collectives", schema=None) as batch_op:
        batch_op.add_column(sa.Column("home_federation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("moderator_power_level", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("organiser_role_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("organiser_power_level", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("welcomed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Existing collectives were each created in their own federation.
    op.execute("UPDATE collectives SET home_federation_id = federation_id")
    with op.batch_alter_table("collectives", schema=None) as batch_op:
        batch_op.alter_column("home_federation_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_collectives_home_federation_id_federations"),
            "federations",
            ["home_federation_id"],
            ["id"],
            ondelete="RESTRICT",
        )

    # Signatures belong to the collective where they were made; what counts
    # together is computed from federation membership and workflow scope.
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_index("ix_signatures_federation_id")
        batch_op.drop_constraint("uq_signatures_federation_id", type_="unique")
        batch_op.drop_constraint("fk_signatures_collective_id_collectives", type_="foreignkey")
        batch_op.drop_constraint("fk_signatures_federation_id_federations", type_="foreignkey")
        batch_op.drop_column("federation_id")
        batch_op.alter_column("collective_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_signatures_collective_id_collectives"),
            "collectives",
            ["collective_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_signatures_collective_id"), ["collective_id", "person_id"]
        )
        batch_op.create_index(
            batch_op.f("ix_signatures_collective_id"), ["collective_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_signatures_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("federation_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE signatures SET federation_id = "
        "(SELECT federation_id FROM collectives WHERE collectives.id = signatures.collective_id)"
    )
    # One signature per person and federation before this revision.
    op.execute(
        "DELETE FROM signatures WHERE id NOT IN "
        "(SELECT MAX(id) FROM signatures GROUP BY federation_id, person_id)"
    )
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signatures_person_id"))
        batch_op.drop_index(batch_op.f("ix_signatures_collective_id"))
        batch_op.drop_constraint(batch_op.f("uq_signatures_collective_id"), type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_signatures_collective_id_collectives"), type_="foreignkey"
        )
        batch_op.alter_column("federation_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("collective_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            "fk_signatures_collective_id_collectives",
            "collectives",
            ["collective_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            "fk_signatures_federation_id_federations",
            "federations",
            ["federation_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_unique_constraint(
            "uq_signatures_federation_id", ["federation_id", "person_id"]
        )
        batch_op.create_index("ix_signatures_federation_id", ["federation_id"], unique=False)

    with op.batch_alter_table("collectives", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_collectives_home_federation_id_federations"), type_="foreignkey"
        )
        batch_op.drop_column("welcomed")
        batch_op.drop_column("retention_days")
        batch_op.drop_column("organiser_power_level")
        batch_op.drop_column("organiser_role_id")
        batch_op.drop_column("moderator_power_level")
        batch_op.drop_column("home_federation_id")

    op.execute("DELETE FROM collective_channels WHERE channel_id IS NULL")
    with op.batch_alter_table("collective_channels", schema=None) as batch_op:
        batch_op.alter_column("channel_id", existing_type=sa.VARCHAR(length=255), nullable=False)
        batch_op.drop_column("shared")

    op.drop_table("link_codes")
    with op.batch_alter_table("link_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_attempts_member_id"))

    op.drop_table("link_attempts")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_collective_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    with op.batch_alter_table("federation_moderators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_federation_moderators_federation_id"))

    op.drop_table("federation_moderators")

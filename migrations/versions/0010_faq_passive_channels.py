"""Rights FAQ: channels where passive help is turned on

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "faq_passive_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["collective_id"], ["collectives.id"],
                                name=op.f("fk_faq_passive_channels_collective_id_collectives"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_passive_channels")),
        sa.UniqueConstraint("collective_id", "channel_id",
                            name=op.f("uq_faq_passive_channels_collective_id")),
    )
    op.create_index(op.f("ix_faq_passive_channels_collective_id"), "faq_passive_channels",
                    ["collective_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_faq_passive_channels_collective_id"),
                  table_name="faq_passive_channels")
    op.drop_table("faq_passive_channels")

"""Rights FAQ: entries, aliases, feedback, the unanswered queue, and their full-text index

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 21:30:00.000000

The full-text index depends on the backend: an FTS5 virtual table ``faq_fts`` on
SQLite (filled with the stems computed by ``bot.core.faq_text``); on PostgreSQL
the ``unaccent`` extension, a text-search configuration ``faq_french`` (unaccent
then the French Snowball stemmer, no stop words: questions are filtered before)
and a GIN index on ``faq_entries.search_vector``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WORD_TOKENS = "asciiword, asciihword, hword_asciipart, word, hword, hword_part"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute(
            "CREATE TEXT SEARCH DICTIONARY faq_french_stem "
            "(TEMPLATE = snowball, Language = french)"
        )
        op.execute("CREATE TEXT SEARCH CONFIGURATION faq_french (COPY = french)")
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION faq_french ALTER MAPPING FOR {WORD_TOKENS} "
            "WITH unaccent, faq_french_stem"
        )
    op.create_table(
        "faq_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("questions", sa.Text(), nullable=False),
        sa.Column("topics", sa.String(length=300), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("file_hash", sa.String(length=64), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("search_stems", sa.Text(), nullable=False),
        sa.Column(
            "search_vector",
            sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"),
            nullable=True,
        ),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_entries")),
        sa.UniqueConstraint("slug", name=op.f("uq_faq_entries_slug")),
    )
    with op.batch_alter_table("faq_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_faq_entries_status"), ["status"], unique=False)
        batch_op.create_index(
            "ix_faq_entries_search_vector", ["search_vector"], unique=False,
            postgresql_using="gin",
        )

    op.create_table(
        "faq_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["faq_entries.id"],
            name=op.f("fk_faq_aliases_entry_id_faq_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_aliases")),
        sa.UniqueConstraint("entry_id", "text", name=op.f("uq_faq_aliases_entry_id")),
    )
    with op.batch_alter_table("faq_aliases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_faq_aliases_entry_id"), ["entry_id"], unique=False)

    op.create_table(
        "faq_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("useful", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["faq_entries.id"],
            name=op.f("fk_faq_feedback_entry_id_faq_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_faq_feedback_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_feedback")),
        sa.UniqueConstraint("entry_id", "person_id", name=op.f("uq_faq_feedback_entry_id")),
    )
    with op.batch_alter_table("faq_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_faq_feedback_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "faq_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_faq_questions_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["faq_entries.id"],
            name=op.f("fk_faq_questions_entry_id_faq_entries"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_questions")),
        sa.UniqueConstraint("collective_id", "key", name=op.f("uq_faq_questions_collective_id")),
    )
    with op.batch_alter_table("faq_questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_faq_questions_collective_id"), ["collective_id"], unique=False
        )

    if dialect == "sqlite":
        # rowid = faq_entries.id; columns hold stems, weighted in bm25() by the service.
        op.execute(
            "CREATE VIRTUAL TABLE faq_fts USING fts5("
            "title, questions, topics, body, tokenize = 'unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE IF EXISTS faq_fts")
    with op.batch_alter_table("faq_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_faq_questions_collective_id"))

    op.drop_table("faq_questions")
    with op.batch_alter_table("faq_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_faq_feedback_person_id"))

    op.drop_table("faq_feedback")
    with op.batch_alter_table("faq_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_faq_aliases_entry_id"))

    op.drop_table("faq_aliases")
    with op.batch_alter_table("faq_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_faq_entries_search_vector")
        batch_op.drop_index(batch_op.f("ix_faq_entries_status"))

    op.drop_table("faq_entries")
    if dialect == "postgresql":
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS faq_french")
        op.execute("DROP TEXT SEARCH DICTIONARY IF EXISTS faq_french_stem")
        # unaccent stays: other objects of the database may use it.

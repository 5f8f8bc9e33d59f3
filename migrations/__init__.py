"""Alembic migrations; each revision says in one line why it exists."""

"""Storage: SQLAlchemy 2.0 async models, engine and sessions."""

from bot.db.engine import Database
from bot.db.models import Base

__all__ = ["Base", "Database"]

"""Matrix adapter (matrix-nio): text commands in rooms, HTML replies, end-to-end encryption."""

from bot.matrix.adapter import MatrixAdapter

__all__ = ["MatrixAdapter"]

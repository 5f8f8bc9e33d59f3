"""Discord cogs, one per workflow."""

"""End-to-end tests: the bot process against the Discord stand-in."""

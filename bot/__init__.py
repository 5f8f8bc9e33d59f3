"""independants-bot: a bot for federations of freelancer collectives."""

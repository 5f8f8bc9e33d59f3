"""Command line: ``python -m bot [run|console|migrate|check-config]``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from bot.config import ConfigError, Settings, config_path, load_settings, permission_warning


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="independants-bot",
        description="Bot for federations of freelancer collectives (Discord, Matrix, console).",
    )
    parser.add_argument("-c", "--config", type=Path, default=None,
                        help="configuration file (default: ./config.toml, or $INDEPENDANTS_CONFIG)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run every configured adapter (the default)")
    sub.add_parser("console", help="run the console adapter only, commands on stdin")
    sub.add_parser("migrate", help="apply database migrations and exit")
    sub.add_parser("check-config", help="validate the configuration and exit")
    recount = sub.add_parser("recount", help="recount an exported poll file and print the result")
    recount.add_argument("file", type=Path, help="a poll export (JSON) from !scrutin export")
    return parser


def _logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.bot.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("aiosqlite", "alembic", "discord.gateway", "nio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "recount":
        from bot.recount import recount

        return recount(args.file)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(exc.explain(), file=sys.stderr)
        return 2
    command = args.command or "run"
    warning = permission_warning(config_path(args.config))
    if command == "check-config":
        adapters = [name for name, on in (("discord", settings.discord_enabled),
                                           ("matrix", settings.matrix_enabled)) if on]
        print("Configuration OK. Adapters: " + (", ".join(adapters) or "console")
              + f". Database: {settings.database_url.split('://')[0]}.")
        print("Ballot key: " + _ballot_key_source(settings) + ".")
        if warning:
            print(f"Warning: {warning}.", file=sys.stderr)
        return 0
    # Everything the bot writes (database, exports, keys, Matrix store) is for its
    # user's eyes only, whatever umask it was started with.
    os.umask(0o077)
    _logging(settings)
    if warning:
        logging.getLogger("bot.config").warning("%s", warning)
    from bot.private_files import secure_data_dir

    secure_data_dir(settings.bot.data_dir)
    if command == "migrate":
        from bot.db import migrate

        asyncio.run(migrate.upgrade(settings.database_url))
        print("Database is up to date.")
        return 0
    from bot.runner import serve

    try:
        asyncio.run(serve(settings, console=command == "console"))
    except KeyboardInterrupt:
        return 130
    except ConfigError as exc:  # e.g. a ballot key file too short to be used
        print(exc.explain(), file=sys.stderr)
        return 2
    return 0


def _ballot_key_source(settings: Settings) -> str:
    """Where the ballot key comes from (never the key itself)."""
    if settings.polls.ballot_key:
        return "polls.ballot_key (or BALLOT_KEY)"
    path = settings.ballot_key_path
    if path.exists():
        return f"{path}"
    return f"{path}, made at the first start"


if __name__ == "__main__":
    sys.exit(main())

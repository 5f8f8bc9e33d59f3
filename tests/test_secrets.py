"""Secrets never show in what the bot writes, whatever goes wrong.

The real program (``python -m bot``) is run with recognisable secrets in its
configuration file and environment, then made to fail: a bad configuration, a
Discord token refused by the stand-in (401), a Matrix password and an access
token refused by a homeserver, an unreachable PostgreSQL server, a command that
fails unexpectedly on the console. Its whole output (log and replies) must not
contain any of the secrets. A configuration file holding secrets that other
users may read is reported with a warning, naming keys, never values.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.config import permission_warning
from tests.discord_standin import DiscordStandIn

ROOT = Path(__file__).resolve().parents[1]
RUN_TIMEOUT = 45.0

TOKEN = f"discord-token-{uuid.uuid4().hex}"
PASSWORD = f"matrix-password-{uuid.uuid4().hex}"
ACCESS_TOKEN = f"matrix-access-{uuid.uuid4().hex}"
BALLOT_KEY = f"ballot-key-{uuid.uuid4().hex}"
DB_PASSWORD = f"database-password-{uuid.uuid4().hex}"
SECRETS = (TOKEN, PASSWORD, ACCESS_TOKEN, BALLOT_KEY, DB_PASSWORD)
SECRET_VARIABLES = ("DISCORD_TOKEN", "MATRIX_PASSWORD", "MATRIX_ACCESS_TOKEN", "DATABASE_URL",
                    "BALLOT_KEY", "INDEPENDANTS_CONFIG")


def leaked(text: str) -> list[str]:
    """The secrets (or a recognisable half of one) found in ``text``."""
    return [secret for secret in SECRETS
            if secret in text or secret[-16:] in text]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_config(path: Path, body: str, *, mode: int = 0o644) -> Path:
    data = path.parent / f"{path.stem}-data"
    path.write_text(f'[bot]\ndata_dir = "{data}"\nlog_level = "INFO"\n\n{body}',
                    encoding="utf-8")
    path.chmod(mode)
    return path


async def run_bot(config: Path, *args: str, env: dict[str, str] | None = None,
                  lines: tuple[str, ...] = ()) -> tuple[int, str]:
    """``python -m bot -c config args``; its exit code and everything it wrote."""
    environ = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "-c", str(config), *args, cwd=ROOT,
        env={**environ, **(env or {})}, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        output, _ = await asyncio.wait_for(
            process.communicate("".join(f"{line}\n" for line in lines).encode()), RUN_TIMEOUT)
    except TimeoutError:
        process.kill()
        output, _ = await process.communicate()
        raise AssertionError("the bot did not stop:\n"
                             + output.decode(errors="replace")) from None
    return process.returncode or 0, output.decode("utf-8", errors="replace")


@pytest.fixture
async def homeserver() -> AsyncIterator[str]:
    """A homeserver that refuses every login and every access token."""
    async def refuse(request: web.Request) -> web.Response:
        if request.path.endswith("/versions"):
            return web.json_response({"versions": ["v1.1", "v1.11"]})
        if request.path.endswith("/login") and request.method == "GET":
            return web.json_response({"flows": [{"type": "m.login.password"}]})
        if request.path.endswith("/login"):
            return web.json_response({"errcode": "M_FORBIDDEN", "error": "Invalid password"},
                                     status=403)
        return web.json_response({"errcode": "M_UNKNOWN_TOKEN",
                                  "error": "Invalid access token passed."}, status=401)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", refuse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


# -- the permission warning --------------------------------------------------------------------

def test_permission_warning_names_keys_only(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml",
                          f'[discord]\ntoken = "{TOKEN}"\n[polls]\nballot_key = "{BALLOT_KEY}"\n')
    warning = permission_warning(config)
    assert warning is not None
    assert "discord.token" in warning and "polls.ballot_key" in warning and "644" in warning
    assert "chmod 600" in warning and not leaked(warning)
    config.chmod(0o600)
    assert permission_warning(config) is None
    config.chmod(0o640)  # the group may read it: still too open
    assert permission_warning(config) is not None

    database = write_config(tmp_path / "db.toml", "[database]\n"
                            f'url = "postgresql+asyncpg://bot:{DB_PASSWORD}@db/bot"\n')
    assert "database.url" in (permission_warning(database) or "")
    harmless = write_config(tmp_path / "plain.toml", "[database]\n"
                            'url = "postgresql+asyncpg://bot@db/bot"\n[discord]\ntoken = ""\n')
    assert permission_warning(harmless) is None
    assert permission_warning(tmp_path / "missing.toml") is None


async def test_check_config_warns_about_an_open_file(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml", f'[matrix]\npassword = "{PASSWORD}"\n'
                          'homeserver = "https://matrix.example.org"\n'
                          'user_id = "@bot:example.org"\n')
    code, output = await run_bot(config, "check-config")
    assert code == 0, output
    assert "Configuration OK" in output and "matrix.password" in output
    assert "chmod 600" in output and not leaked(output)
    config.chmod(0o600)
    code, output = await run_bot(config, "check-config")
    assert code == 0 and "chmod" not in output, output


# -- failures ----------------------------------------------------------------------------------

async def test_bad_configuration_names_keys_not_values(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml", (
        f'[discord]\ntoken = "{TOKEN}"\nshard_count = "many"\ntokn = "{TOKEN}"\n'
        f'[matrix]\npassword = "{PASSWORD}"\nhomeserver = "ftp://{ACCESS_TOKEN}"\n'
        f'[database]\nurl = "mysql://bot:{DB_PASSWORD}@db/bot"\n'
        f'[polls]\nballot_key = "{BALLOT_KEY}"\n'))
    for command in ("check-config", "run"):
        code, output = await run_bot(config, command)
        assert code == 2, output
        assert "database.url" in output and "discord.tokn" in output, output
        assert not leaked(output), output

    broken = tmp_path / "broken.toml"
    broken.write_text(f'[discord]\ntoken = "{TOKEN}\n[matrix]\npassword = {PASSWORD}\n')
    code, output = await run_bot(broken, "run")
    assert code == 2 and "not valid TOML" in output, output
    assert not leaked(output), output


async def test_refused_discord_token(tmp_path: Path) -> None:
    standin = DiscordStandIn(token="not-the-one-the-bot-has")
    await standin.start()
    try:
        config = write_config(tmp_path / "config.toml", (
            f'[discord]\napi_base = "{standin.api_base}"\n'
            f'gateway_url = "{standin.gateway_url}"\n'
            f'[polls]\nballot_key = "{BALLOT_KEY}"\n'))
        code, output = await run_bot(config, "run", env={"DISCORD_TOKEN": TOKEN})
    finally:
        await standin.stop()
    assert code != 0, output
    assert any(r.status == 401 for r in standin.requests), standin.requests
    assert " WARNING bot.config: " in output and "polls.ballot_key" in output, output
    assert not leaked(output), output


async def test_refused_matrix_password_and_access_token(tmp_path: Path,
                                                        homeserver: str) -> None:
    matrix = f'[matrix]\nhomeserver = "{homeserver}"\nuser_id = "@bot:localhost"\n'
    with_password = write_config(tmp_path / "config.toml", f'{matrix}password = "{PASSWORD}"\n')
    with_token = write_config(tmp_path / "token.toml", matrix, mode=0o600)
    (code, output), (token_code, token_output) = await asyncio.gather(
        run_bot(with_password, "run"),
        run_bot(with_token, "run", env={"MATRIX_ACCESS_TOKEN": ACCESS_TOKEN}))
    assert code != 0 and "Invalid password" in output, output
    assert not leaked(output), output
    assert token_code != 0 and "access_token was refused" in token_output, token_output
    assert "WARNING bot.config" not in token_output  # that secret is not in the file
    assert not leaked(token_output), token_output


async def test_unreachable_database(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml", "")
    url = f"postgresql+asyncpg://bot:{DB_PASSWORD}@127.0.0.1:{closed_port()}/bot"
    code, output = await run_bot(config, "console", env={"DATABASE_URL": url})
    assert code != 0 and "Traceback" in output, output
    assert not leaked(output), output


async def test_failing_console_command(tmp_path: Path) -> None:
    """A command that fails on the bot's side (its table is gone) is logged with a
    traceback and answered with a reference: still no secret in either."""
    config = write_config(tmp_path / "config.toml", (
        f'[discord]\ntoken = "{TOKEN}"\n[matrix]\npassword = "{PASSWORD}"\n'
        'homeserver = "http://127.0.0.1:1"\nuser_id = "@bot:localhost"\n'
        f'[polls]\nballot_key = "{BALLOT_KEY}"\n'))
    code, output = await run_bot(config, "migrate")
    assert code == 0, output
    with sqlite3.connect(tmp_path / "config-data" / "bot.sqlite3") as database:
        database.execute("DROP TABLE proposal_supports")
        database.execute("DROP TABLE proposals")
    code, output = await run_bot(
        config, "console", env={"MATRIX_ACCESS_TOKEN": ACCESS_TOKEN},
        lines=("!tribune signer nom=Alice metier=Graphiste ville=Lyon consentement=oui",
               "!revendication liste", '!scrutin creer titre="x', ":quit"))
    assert code == 0, output
    assert "Traceback" in output and "console command failed" in output, output
    assert not leaked(output), output

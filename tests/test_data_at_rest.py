"""Members' data at rest: private files, exports that expire, durable commits.

The real program (``python -m bot console``) is started under the umasks an
operator may have (022, the usual one, and 000), then every file and folder
under its ``data_dir`` is looked at, while it runs (the SQLite ``-wal`` and
``-shm`` files exist then) and after it stopped.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update

from bot.core.app import EXPORTS_JOB, Core
from bot.db.engine import Database
from bot.db.models import Job
from tests.conftest import make_settings, postgres_database, postgres_url

ROOT = Path(__file__).resolve().parents[1]

SIGN_AND_EXPORT = (
    ':as alice\n!tribune signer nom="Alice Martin" metier=graphiste ville=Lyon '
    "consentement=oui\n:as modo --mod\n!tribune export\n"
)


def write_config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'[bot]\ndata_dir = "{tmp_path / "data"}"\n{extra}', encoding="utf-8")
    return config


def start_console(tmp_path: Path, umask: int, extra: str = "") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "-c", str(write_config(tmp_path, extra)), "console"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=tmp_path, preexec_fn=lambda: os.umask(umask),
    )


def run_console(tmp_path: Path, script: str, extra: str = "",
                umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    process = start_console(tmp_path, umask, extra)
    stdout, stderr = process.communicate(script, timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def modes(folder: Path) -> dict[str, int]:
    """Permissions of ``folder`` and of everything under it, by relative path."""
    found = {".": stat.S_IMODE(folder.stat().st_mode)}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def too_open(found: dict[str, int], data: Path) -> dict[str, str]:
    return {name: f"{mode:03o}" for name, mode in found.items()
            if mode != (0o700 if (data / name).is_dir() else 0o600)}


# -- 2. private files -----------------------------------------------------------------------

@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask-022", "umask-000"])
def test_every_file_under_data_dir_is_private(tmp_path: Path, umask: int) -> None:
    data = tmp_path / "data"
    process = start_console(tmp_path, umask)
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(SIGN_AND_EXPORT)
        process.stdin.flush()
        while "Fichier enregistré" not in (line := process.stdout.readline()):
            assert line, process.stderr.read() if process.stderr else ""
        running = modes(data)  # the database is open: its -wal and -shm are there
    finally:
        _stdout, stderr = process.communicate(":quit\n", timeout=60)
    assert process.returncode == 0, stderr
    assert {"bot.sqlite3", "bot.sqlite3-wal", "bot.sqlite3-shm", "ballot.key",
            "exports"} <= set(running), running
    assert any(name.startswith("exports/") for name in running), running
    assert too_open(running, data) == {}
    assert too_open(modes(data), data) == {}


def test_files_left_open_by_an_older_version_are_corrected(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_console(tmp_path, SIGN_AND_EXPORT).returncode == 0
    (data / "matrix-store").mkdir()
    (data / "matrix-store" / "bot.db").write_text("keys")
    for path in data.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    data.chmod(0o755)
    assert too_open(modes(data), data)  # the test sets things up as they were

    result = run_console(tmp_path, "!tribune\n", extra="export_retention_days = 30\n")
    assert result.returncode == 0, result.stderr
    assert too_open(modes(data), data) == {}
    assert "made " in result.stderr and "readable by its owner only (was 755)" in result.stderr


async def test_the_database_files_are_private_without_the_program_umask(
        tmp_path: Path) -> None:
    """The engine alone (as tests and benchmarks use it) makes the SQLite files 0600:
    SQLite gives -wal and -shm the database file's permissions."""
    previous = os.umask(0)
    try:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.sqlite3'}")
        try:
            async with database.transaction() as session:
                await session.execute(text("CREATE TABLE t (x INTEGER)"))
                await session.execute(text("INSERT INTO t VALUES (1)"))
            found = modes(tmp_path / "data")
        finally:
            await database.dispose()
    finally:
        os.umask(previous)
    assert set(found) == {".", "bot.sqlite3", "bot.sqlite3-wal", "bot.sqlite3-shm"}
    assert too_open(found, tmp_path / "data") == {}


# -- 3. exports expire ----------------------------------------------------------------------

def old_and_new_exports(data: Path) -> tuple[Path, Path]:
    exports = data / "exports"
    exports.mkdir(parents=True)
    old, new = exports / "signatures-old.csv", exports / "signatures-new.csv"
    for path in (old, new):
        path.write_text("Alice Martin,graphiste,Lyon\n")
    eight_days_ago = time.time() - 8 * 86400
    os.utime(old, (eight_days_ago, eight_days_ago))
    return old, new


def test_exports_older_than_the_retention_are_deleted_at_start(tmp_path: Path) -> None:
    old, new = old_and_new_exports(tmp_path / "data")
    result = run_console(tmp_path, "!tribune\n")
    assert result.returncode == 0, result.stderr
    assert not old.exists() and new.exists()
    assert "retention: deleted 1 export file(s)" in result.stderr
    with sqlite3.connect(tmp_path / "data" / "bot.sqlite3") as database:
        due = database.execute("select due_at from jobs where kind = ? and status = 'pending'",
                               (EXPORTS_JOB,)).fetchall()
    assert len(due) == 1  # and every day after
    when = datetime.fromisoformat(due[0][0]).replace(tzinfo=UTC)
    assert timedelta(0) < when - datetime.now(UTC) <= timedelta(days=1)


def test_a_retention_of_zero_keeps_no_export(tmp_path: Path) -> None:
    old, new = old_and_new_exports(tmp_path / "data")
    result = run_console(tmp_path, "!tribune\n", extra="export_retention_days = 0\n")
    assert result.returncode == 0, result.stderr
    assert not old.exists() and not new.exists()


def test_the_retention_is_bounded(tmp_path: Path) -> None:
    config = write_config(tmp_path, "export_retention_days = 400\n")
    result = subprocess.run([sys.executable, "-m", "bot", "-c", str(config), "check-config"],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 2
    assert "bot.export_retention_days: Input should be less than or equal to 365" \
        in result.stderr, result.stderr


async def test_the_daily_job_deletes_old_exports(tmp_path: Path) -> None:
    core = Core(make_settings(tmp_path, bot={"export_retention_days": 7}))
    try:
        await core.start()
        old, new = old_and_new_exports(tmp_path / "data")
        now = datetime.now(UTC)
        async with core.db.transaction() as session:  # as if planned yesterday for now
            await session.execute(update(Job).where(Job.kind == EXPORTS_JOB).values(
                due_at=now - timedelta(minutes=1), key=f"{EXPORTS_JOB}:{now.date()}"))
        assert await core.scheduler.run_due() == 1
        assert not old.exists() and new.exists()
        async with core.db.transaction() as session:
            pending = (await session.execute(
                text("select count(*) from jobs where kind = :kind and status = 'pending'"),
                {"kind": EXPORTS_JOB})).scalar()
        assert pending == 1  # planned again for the next day
    finally:
        await core.close()


# -- 4. durable commits ---------------------------------------------------------------------

async def test_sqlite_commits_are_synced_to_disk(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.sqlite3'}")
    try:
        async with database.transaction() as session:
            journal = (await session.execute(text("PRAGMA journal_mode"))).scalar()
            synchronous = (await session.execute(text("PRAGMA synchronous"))).scalar()
    finally:
        await database.dispose()
    assert (journal, synchronous) == ("wal", 2)  # 2: FULL, a sync at every commit


@pytest.mark.skipif(postgres_url() is None, reason="no PostgreSQL server")
async def test_postgresql_commits_are_synchronous_whatever_the_database_says() -> None:
    import asyncpg

    async with postgres_database() as url:
        name = url.rsplit("/", 1)[1]
        plain = re.sub(r"^postgresql\+asyncpg", "postgresql", url)
        admin = await asyncpg.connect(plain)
        try:  # an operator's default on this database, not the server's configuration
            await admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        finally:
            await admin.close()
        other = await asyncpg.connect(plain)
        try:  # a connection that does not ask gets that default
            assert await other.fetchval("SHOW synchronous_commit") == "off"
        finally:
            await other.close()
        database = Database(url)
        try:
            async with database.transaction() as session:
                value = (await session.execute(text("SHOW synchronous_commit"))).scalar()
        finally:
            await database.dispose()
        assert value == "on"

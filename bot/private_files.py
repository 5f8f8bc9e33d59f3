"""The files the bot keeps on disk are readable by its own user only.

``bot.data_dir`` holds members' personal data: the SQLite database (and its
``-wal`` and ``-shm`` files), moderators' exports, the Matrix encryption store
and, by default, the ballot key. The folder is made ``0700`` and every file the
bot writes there ``0600``, whatever the umask it was started with; folders and
files left more open by an older version are corrected at start.

Exports (``data_dir/exports``) hold members' names: they are deleted once older
than ``bot.export_retention_days``, at start and every day.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
EXPORTS_DIR = "exports"
# Entries of data_dir the bot writes (besides the SQLite files, see engine.py).
KNOWN_ENTRIES = ("ballot.key", EXPORTS_DIR, "matrix-store")
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) readable by this user only, or make an
    existing one so; a folder that cannot be changed is reported, not fatal."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    tighten(path)
    return path


def tighten(path: Path) -> None:
    """Take the group's and others' rights off ``path`` if it has any (no-op when it
    does not exist). Symbolic links are left alone."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode) or not info.st_mode & 0o077:
        return
    wanted = PRIVATE_DIR if stat.S_ISDIR(info.st_mode) else PRIVATE_FILE
    try:
        path.chmod(wanted)
    except OSError as exc:
        log.warning("%s can be read by other users of this machine and its permissions "
                    "could not be changed (%s): run chmod %o %s", path, exc.strerror,
                    wanted, path)
    else:
        log.info("made %s readable by its owner only (was %03o)", path,
                 stat.S_IMODE(info.st_mode))


def tighten_tree(path: Path) -> None:
    """:func:`tighten` ``path`` and everything under it."""
    tighten(path)
    if not path.is_dir() or path.is_symlink():
        return
    for folder, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            tighten(Path(folder) / name)


def secure_data_dir(data_dir: Path) -> None:
    """Make ``data_dir`` private and correct what the bot keeps in it (at start)."""
    private_dir(data_dir)
    for name in KNOWN_ENTRIES:
        tighten_tree(data_dir / name)
    for suffix in SQLITE_SUFFIXES:
        tighten(data_dir / f"bot.sqlite3{suffix}")


def write_private(path: Path, content: bytes) -> Path:
    """Write ``content`` to ``path``, a file readable by this user only from the
    moment it exists (an existing file is made so before it is overwritten)."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
    return path


def exports_dir(data_dir: Path) -> Path:
    return data_dir / EXPORTS_DIR


def expire_exports(data_dir: Path, retention_days: int, now: float | None = None) -> int:
    """Delete the export files of ``data_dir`` last written more than
    ``retention_days`` days ago (0: every export file); return how many."""
    folder = exports_dir(data_dir)
    if not folder.is_dir():
        return 0
    limit = (time.time() if now is None else now) - retention_days * 86400
    deleted = 0
    for entry in folder.iterdir():
        try:
            info = entry.lstat()
            if stat.S_ISDIR(info.st_mode) or (retention_days and info.st_mtime > limit):
                continue
            entry.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.warning("could not delete the old export %s: %s", entry, exc.strerror)
            continue
        deleted += 1
    return deleted

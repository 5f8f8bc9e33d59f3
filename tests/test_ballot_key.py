"""The ballot key: never shorter than 32 bytes, made once and atomically, kept where
the operator says (``polls.ballot_key_file``), never shown.

Driven through the real program (``python -m bot check-config`` and ``console``)
and, for processes starting at the same moment, through ``ballot_key`` in
separate processes and threads.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core.app import ballot_key

ROOT = Path(__file__).resolve().parents[1]
GOOD_KEY = "k" * 32
SHORT_KEY = "K" * 31  # one byte short


def bot(tmp_path: Path, config: str, *args: str, script: str = ":quit\n",
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.toml"
    path.write_text(f'[bot]\ndata_dir = "{tmp_path / "data"}"\n{config}', encoding="utf-8")
    path.chmod(0o600)
    environ = {k: v for k, v in os.environ.items()
               if k not in {"BALLOT_KEY", "INDEPENDANTS_CONFIG", "DATABASE_URL"}}
    return subprocess.run([sys.executable, "-m", "bot", "-c", str(path), *args],
                          input=script, capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, env={**environ, **(env or {})})


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


@pytest.mark.parametrize("where", ["file", "environment"])
def test_a_short_configured_key_is_refused(tmp_path: Path, where: str) -> None:
    config = f'[polls]\nballot_key = "{SHORT_KEY}"\n' if where == "file" else ""
    env = {"BALLOT_KEY": SHORT_KEY} if where == "environment" else {}
    for command in ("check-config", "console"):
        result = bot(tmp_path, config, command, env=env)
        text = output(result)
        assert result.returncode == 2, text
        assert "polls.ballot_key: too short" in text and "at least 32 bytes" in text, text
        assert "secrets.token_hex(32)" in text
        assert SHORT_KEY not in text
    assert not (tmp_path / "data" / "bot.sqlite3").exists()  # refused before anything
    result = bot(tmp_path, f'[polls]\nballot_key = "{GOOD_KEY}"\n', "check-config")
    assert result.returncode == 0, output(result)
    assert "Ballot key: polls.ballot_key" in result.stdout and GOOD_KEY not in output(result)


@pytest.mark.parametrize("content", [b"", b"\n", b"0123456789abcdef\n"])
def test_a_short_key_file_is_refused_with_what_to_do(tmp_path: Path, content: bytes) -> None:
    key_file = tmp_path / "data" / "ballot.key"
    key_file.parent.mkdir()
    key_file.write_bytes(content)
    for command in ("check-config", "console"):
        result = bot(tmp_path, "", command)
        text = output(result)
        assert result.returncode == 2, text
        assert f"polls.ballot_key_file: {key_file} holds" in text, text
        assert "needs at least 32" in text
        assert "restore it" in text and "delete the file" in text
        assert "no secret poll is open" in text
        assert "Configuration OK" not in text and "starting adapters" not in text
    assert key_file.read_bytes() == content  # left for the operator to decide
    assert not (tmp_path / "data" / "bot.sqlite3").exists()


def test_the_key_file_is_made_once_where_configured(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "ballot.key"
    config = f'[polls]\nballot_key_file = "{key_file}"\n'
    before = bot(tmp_path, config, "check-config")
    assert before.returncode == 0, output(before)
    assert f"Ballot key: {key_file}, made at the first start." in before.stdout
    assert not key_file.exists()  # check-config writes nothing

    first = bot(tmp_path, config, "console", script="!scrutin\n:quit\n")
    assert first.returncode == 0, output(first)
    key = key_file.read_bytes()
    assert len(key.strip()) == 64 and bytes.fromhex(key.decode().strip())
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert not (tmp_path / "data" / "ballot.key").exists()
    assert [p.name for p in key_file.parent.iterdir()] == ["ballot.key"]  # no temporary

    again = bot(tmp_path, config, "console", script="!scrutin\n:quit\n")
    assert again.returncode == 0, output(again)
    assert key_file.read_bytes() == key
    checked = bot(tmp_path, config, "check-config")
    assert f"Ballot key: {key_file}." in checked.stdout
    for result in (first, again, checked):
        assert key.decode().strip() not in output(result)


KEY_OF_A_PROCESS = """
import hashlib, sys, time
from bot.config import Settings
from bot.core.app import ballot_key
settings = Settings.model_validate({"bot": {"data_dir": sys.argv[1]}})
while time.time() < float(sys.argv[2]):
    pass
print(hashlib.sha256(ballot_key(settings)).hexdigest())
"""


def test_processes_starting_together_end_up_with_one_key(tmp_path: Path) -> None:
    for attempt in range(5):
        data = tmp_path / f"data-{attempt}"
        start = time.time() + 1.5  # every process imports first, then all go at once
        processes = [subprocess.Popen([sys.executable, "-c", KEY_OF_A_PROCESS, str(data),
                                       str(start)], stdout=subprocess.PIPE, text=True,
                                      cwd=ROOT)
                     for _ in range(6)]
        digests = {process.communicate(timeout=60)[0].strip() for process in processes}
        assert all(process.returncode == 0 for process in processes)
        key = (data / "ballot.key").read_text().strip().encode()
        assert digests == {hashlib.sha256(key).hexdigest()}
        assert sorted(p.name for p in data.iterdir()) == ["ballot.key"]


def test_threads_starting_together_end_up_with_one_key(tmp_path: Path) -> None:
    settings = Settings.model_validate({"bot": {"data_dir": str(tmp_path / "data")}})
    barrier = threading.Barrier(16)
    keys: list[bytes] = []

    def start() -> None:
        barrier.wait()
        keys.append(ballot_key(settings))

    threads = [threading.Thread(target=start) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 16 and len(set(keys)) == 1 and len(keys[0]) == 64

"""The console adapter, driven as a user would: lines on stdin of ``python -m bot``."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

SCRIPT = """\
!tribune
:as alice
!tribune signer nom="Alice Martin" metier=graphiste ville=Lyon public=oui consentement=oui
:as bob
tribune signer nom=Bob metier=développeur ville=Nantes consentement=oui
!tribune
:as alice
!tribune retirer
!tribune
"""


def run_console(tmp_path: Path, script: str, *extra: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.toml"
    if not config.exists():
        config.write_text(f'[bot]\ndata_dir = "{tmp_path / "data"}"\n')
    return subprocess.run(
        [sys.executable, "-m", "bot", "-c", str(config), "console", *extra],
        input=script, capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )


def test_scripted_session_counts_0_2_1(tmp_path: Path) -> None:
    result = run_console(tmp_path, SCRIPT)
    assert result.returncode == 0, result.stderr
    counts = [int(n) for n in re.findall(r"^(\d+) signatures?$", result.stdout, re.M)]
    # the three "!tribune" views show 0, 2 then 1; sign replies show 1 and 2, withdrawal 1
    assert counts == [0, 1, 2, 2, 1, 1]
    assert "Merci, votre signature est enregistrée." in result.stdout
    assert "Traceback" not in result.stderr


def test_refusals_write_nothing(tmp_path: Path) -> None:
    script = "\n".join([
        ":as dan",
        "!tribune signer nom=Dan metier=dev ville=Lille",  # no consent
        "!tribune signer nom=" + "x" * 81 + " metier=dev ville=Lille consentement=oui",
        "!tribune signer nom=Dan metier=" + "p" * 81 + " ville=Lille consentement=oui",
        "!tribune signer nom=Dan metier=dev ville=" + "v" * 81 + " consentement=oui",
        "!tribune signer nom=Dan metier=dev ville=Lille consentement=peut-être",
        "!tribune signer nom=Dan metier=dev ville=Lille age=40 consentement=oui",
        "!tribune export",
        "!tribun",
        "!tribune signe",
        "",
    ])
    result = run_console(tmp_path, script)
    out = result.stdout
    assert "consentement explicite est nécessaire" in out
    assert out.count("80 caractères au maximum") == 3
    for label in ("nom", "métier", "ville"):
        assert f"Le champ {label} est trop long" in out
    assert "« peut-être » n’est pas compris pour consentement" in out
    assert "Champ inconnu « age »" in out
    assert "Seuls les modérateurs peuvent faire cela." in out
    assert "Vouliez-vous dire !tribune ?" in out
    assert "Vouliez-vous dire !tribune signer ?" in out
    database = tmp_path / "data" / "bot.sqlite3"
    with sqlite3.connect(database) as connection:
        assert connection.execute("select count(*) from signatures").fetchone() == (0,)


def test_moderator_export_lands_in_a_private_file(tmp_path: Path) -> None:
    script = (
        ':as alice\n!tribune signer nom="Alice" metier=a ville=b consentement=oui\n'
        ":as modo --mod\n!tribune export\n"
    )
    result = run_console(tmp_path, script)
    match = re.search(r"Fichier enregistré : (\S+\.csv)", result.stdout)
    assert match, result.stdout
    path = Path(match.group(1))
    path = path if path.is_absolute() else tmp_path / path
    assert path.read_text(encoding="utf-8-sig").splitlines()[1].startswith("Alice,a,b")
    assert path.stat().st_mode & 0o077 == 0


def test_english_collective(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        f'[bot]\ndata_dir = "{tmp_path / "data"}"\nlocale = "en"\n'
    )
    result = run_console(tmp_path, "!help\n!tribune sign name=A profession=b city=c consent=yes\n")
    assert "Thank you, your signature has been recorded." in result.stdout
    assert "!tribune sign" in result.stdout


def test_a_signal_stops_the_console_while_it_waits_for_a_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[bot]\ndata_dir = "{tmp_path / "data"}"\n')
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "-c", str(config), "console"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("!tribune\n")
        process.stdin.flush()
        while "signature" not in process.stdout.readline():  # the reply: it is serving
            assert process.poll() is None
        process.send_signal(signal.SIGINT)  # Ctrl-C; stdin stays open, no line comes
        assert process.wait(timeout=15) == 0
        assert "stopped" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

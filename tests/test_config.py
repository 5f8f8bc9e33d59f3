"""Configuration loading, validation and the check-config command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_example_file_is_valid_and_matches_defaults() -> None:
    example = load_settings(ROOT / "config.example.toml", environ={})
    assert example.bot.locale == "fr"
    assert example.bot.timezone == "Europe/Paris"
    assert example.matrix.moderator_power_level == 50
    assert not example.discord_enabled and not example.matrix_enabled


def test_every_settings_key_is_documented_in_the_example() -> None:
    import tomllib

    from bot.config import Settings

    documented = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    for section, model in Settings.model_fields.items():
        assert section in documented, f"[{section}] missing from config.example.toml"
        for key in model.annotation.model_fields:
            assert f"{key} =" in text or f"# {key} =" in text, f"{section}.{key} undocumented"


def test_missing_default_file_means_defaults(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.database_url.startswith("sqlite+aiosqlite:///data/")


def test_secrets_from_environment(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[matrix]\nhomeserver = "https://m.example.org"\nuser_id = "@bot:example.org"\n'
    )
    settings = load_settings(path, environ={"MATRIX_ACCESS_TOKEN": "secret", "DISCORD_TOKEN": "t"})
    assert settings.matrix_enabled and settings.matrix.access_token == "secret"
    assert settings.discord_enabled


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[bot]\nlocale = 'de'\n", "bot.locale"),
        ("[bot]\ntimezone = 'Mars/Olympus'\n", "bot.timezone: unknown time zone"),
        ("[matrix]\nmoderator_power_level = 500\n", "matrix.moderator_power_level"),
        ("[matrix]\nhomeserver = 'matrix.org'\n", "matrix.homeserver: must be an http"),
        ("[discord]\ntokne = 'x'\n", "discord.tokne: unknown key"),
        ("[database]\nurl = 'mysql://x'\n", "database.url"),
        ("[bot\nlocale = 'fr'\n", "not valid TOML"),
        ("[tribune]\ntext_file = 'nope.md'\n", "tribune.text_file: file nope.md not found"),
    ],
)
def test_problems_name_the_key_path(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})


def test_check_config_reports_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[bot]\nlocale = 'xx'\n[matrix]\nencryption = 'maybe'\n")
    result = run_cli("check-config", cwd=tmp_path)
    assert result.returncode == 2
    assert "bot.locale" in result.stderr and "matrix.encryption" in result.stderr
    assert "Traceback" not in result.stderr
    (tmp_path / "config.toml").write_text("[bot]\nlocale = 'en'\n")
    result = run_cli("check-config", cwd=tmp_path)
    assert result.returncode == 0 and "Configuration OK" in result.stdout


def test_bad_config_stops_the_bot_with_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("this is not toml")
    result = run_cli("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "not valid TOML" in result.stderr and "Traceback" not in result.stderr

"""Crash safety: a process killed (SIGKILL) in a ballot storm loses no acknowledged
ballot and counts nobody twice. bench/crash_stress.py repeats this many times."""

from __future__ import annotations

from pathlib import Path

from tests.crash_run import crash_run


async def test_acknowledged_ballots_survive_a_sigkill(tmp_path: Path) -> None:
    result = await crash_run(tmp_path, voters=2000, seed=7)
    assert result.acknowledged >= 200  # the kill landed mid-storm
    assert result.lost == 0
    assert result.duplicates == 0
    assert result.ballots == result.voters  # the restarted process finished the storm

"""Run the fuzz tests under the stress profile: how many inputs ran, how many failed.

    .venv/bin/python bench/fuzz_stress.py [--postgresql] [-- pytest options]

``tests/test_fuzz.py`` runs with ``FUZZ_PROFILE=stress``: random seeds and 25 times
the generated inputs of the default test run (over 100,000 in all). Printed: the
command that was run, the number of inputs of each fuzz target and in all, and the
failures (each failing target stops at its first failing input, which Hypothesis
shrinks and shows in the pytest output above the summary). With ``--postgresql``
the core runs on the PostgreSQL server of the tests instead of SQLite. The exit
code is pytest's.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def failures(junit: Path) -> list[str]:
    """Names of the tests that failed or errored, from pytest's JUnit report."""
    if not junit.exists():
        return []
    failed = []
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(case.get("name", "?"))
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", action="store_true",
                        help="run the core on PostgreSQL instead of SQLite")
    parser.add_argument("pytest_args", nargs="*", help="more pytest options (after --)")
    options = parser.parse_args()
    backend = "postgresql" if options.postgresql else "sqlite"
    with tempfile.TemporaryDirectory() as scratch:
        report, junit = Path(scratch) / "runs.json", Path(scratch) / "junit.xml"
        command = [sys.executable, "-m", "pytest", "tests/test_fuzz.py", "-q",
                   "-p", "no:cacheprovider", f"--junitxml={junit}", *options.pytest_args]
        environment = {"FUZZ_PROFILE": "stress", "FUZZ_BACKEND": backend}
        started = time.monotonic()
        result = subprocess.run(command, cwd=ROOT, check=False, env={
            **os.environ, **environment, "FUZZ_REPORT": str(report)})
        elapsed = time.monotonic() - started
        runs: dict[str, int] = json.loads(report.read_text()) if report.exists() else {}
        failed = failures(junit)
    shown = " ".join(f"{key}={value}" for key, value in environment.items())
    print()
    print(f"command: {shown} {shlex.join(command[:7] + command[8:])}")
    print(f"backend: {backend}, time: {elapsed:.0f} s")
    for name, count in sorted(runs.items()):
        print(f"  {name:<10} {count:>8,} inputs")
    print(f"inputs: {sum(runs.values()):,}")
    print(f"failures: {len(failed)}" + (f" ({', '.join(failed)})" if failed else ""))
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())

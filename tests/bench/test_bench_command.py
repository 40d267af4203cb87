"""`python -m tests.bench` with a name it does not know: one sentence, a non-zero exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.bench.__main__ import BENCHMARKS

ROOT = Path(__file__).resolve().parents[2]


def test_an_unknown_benchmark_name_ends_in_one_sentence_naming_the_known_ones() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench", "--quick", "nosuchname"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert lines[0].startswith("There is no benchmark nosuchname;")
    assert all(name in lines[0] for name in BENCHMARKS)


def test_a_known_name_among_unknown_ones_runs_nothing() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench", "--quick", "startup", "flod"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("There is no benchmark flod;")

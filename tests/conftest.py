"""Session-wide test set-up: no real AWS reachable, and figures the suite prints at the end.

Tests run in parallel (pytest-xdist), where a worker's own prints are not shown; a test that
measures a figure calls `record_figure`, and the controller prints every figure in the
terminal summary, under "keyroll figures".
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

FIGURES_ENV = "KEYROLL_TEST_FIGURES"


def pytest_configure(config: pytest.Config) -> None:
    # botocore must never reach the instance-metadata address from a test.
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    if not hasattr(config, "workerinput") and FIGURES_ENV not in os.environ:
        os.environ[FIGURES_ENV] = tempfile.mkdtemp(prefix="keyroll-figures-")


def record_figure(line: str) -> None:
    """Print `line` in the run's closing summary (from any worker)."""
    directory = os.environ.get(FIGURES_ENV)
    if not directory:
        print(line)
        return
    with open(Path(directory) / f"{os.getpid()}.txt", "a", encoding="utf-8") as out:
        out.write(line.rstrip("\n") + "\n")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if hasattr(terminalreporter.config, "workerinput"):
        return
    directory = os.environ.get(FIGURES_ENV)
    if not directory or not Path(directory).is_dir():
        return
    lines = [
        line
        for path in sorted(Path(directory).glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    if lines:
        terminalreporter.write_sep("-", "keyroll figures")
        for line in sorted(lines):
            terminalreporter.write_line(line)

"""The flake finder, run for real on a throwaway test directory: one test file that passes, one
test that fails on every run; its lines, its exit status, and no burner left behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WAIT_S = 60.0  # a bound only a broken flake finder reaches


def throwaway_suite(directory: Path, *, failing: bool) -> Path:
    directory.mkdir()
    (directory / "pytest.ini").write_text("[pytest]\n")  # its own root: short ids, no addopts
    (directory / "test_passes.py").write_text("def test_adds():\n    assert 1 + 1 == 2\n")
    if failing:
        (directory / "test_fails.py").write_text(
            "def test_always_fails():\n    assert 1 + 1 == 3\n"
        )
    return directory


def flakes(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.flakes", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=WAIT_S * 2,
    )


def burner_pids(output: str) -> list[int]:
    match = re.search(r"\(pid ([\d, ]+)\)", output)
    assert match, f"no burner pid in {output!r}"
    return [int(pid) for pid in match.group(1).split(", ")]


def gone(pid: int) -> bool:
    """Whether no process (not even a zombie) has `pid`."""
    return not Path(f"/proc/{pid}").exists()


def test_every_run_is_a_line_with_its_failed_test_and_the_burners_go(tmp_path: Path) -> None:
    suite = throwaway_suite(tmp_path / "suite", failing=True)
    ini = str(suite / "pytest.ini")
    done = flakes("--runs", "2", "--burn", "2", "--", str(suite), "-q", "-c", ini)
    lines = done.stdout.splitlines()
    assert done.returncode == 1, done.stdout + done.stderr
    assert lines[0].startswith(f"pytest {suite} -q -c {ini}: 2 run(s), 2 burner(s) (pid ")
    runs = [line for line in lines if line.startswith("run ")]
    assert len(runs) == 2
    failed_id = os.path.relpath(suite / "test_fails.py", ROOT) + "::test_always_fails"
    for number, line in enumerate(runs, 1):
        shown = re.fullmatch(
            rf"run {number} of 2: failed \(exit 1\) in [\d.]+s; failed: {re.escape(failed_id)}"
            r"; output in (\S+)",
            line,
        )
        assert shown, line
        assert "assert 1 + 1 == 3" in Path(shown.group(1)).read_text()  # pytest's own report
    assert re.fullmatch(r"0 of 2 passed; times [\d.]+s [\d.]+s", lines[-1]), lines[-1]
    pids = burner_pids(lines[0])
    assert len(pids) == 2
    assert all(gone(pid) for pid in pids), f"burners left running: {pids}"


def test_all_runs_passing_exit_zero(tmp_path: Path) -> None:
    suite = throwaway_suite(tmp_path / "suite", failing=False)
    done = flakes("--runs", "2", "--", str(suite), "-q", "-c", str(suite / "pytest.ini"))
    assert done.returncode == 0, done.stdout + done.stderr
    runs = [line for line in done.stdout.splitlines() if line.startswith("run ")]
    assert [line.split(" in ")[0] for line in runs] == ["run 1 of 2: passed", "run 2 of 2: passed"]
    assert done.stdout.splitlines()[-1].startswith("2 of 2 passed; times ")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_ctrl_c_or_a_kill_mid_run_stops_the_burners(tmp_path: Path, stop: signal.Signals) -> None:
    suite = throwaway_suite(tmp_path / "suite", failing=False)
    started = tmp_path / "started"
    release = tmp_path / "release"
    (suite / "test_waits.py").write_text(
        "import time\nfrom pathlib import Path\n\n"
        "def test_waits_for_release():\n"
        f"    Path({str(started)!r}).write_text('1')\n"
        f"    while not Path({str(release)!r}).exists():\n"
        "        time.sleep(0.05)\n"
    )
    finder = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.flakes",
            "--runs",
            "3",
            "--burn",
            "1",
            "--",
            str(suite / "test_waits.py"),
            "-c",
            str(suite / "pytest.ini"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # as `cmd &` starts it
    )
    try:
        deadline = time.monotonic() + WAIT_S
        while not started.exists():
            assert finder.poll() is None, "the flake finder ended before its first run began"
            assert time.monotonic() < deadline, "the first run never began"
            time.sleep(0.05)
        finder.send_signal(stop)  # to the finder alone: it must stop what it started
        output, _ = finder.communicate(timeout=WAIT_S)
    finally:
        release.write_text("1")  # whatever happened, the throwaway test may end
        if finder.poll() is None:
            finder.kill()
            finder.wait()
    assert finder.returncode == 130, output
    assert "interrupted after 0 run(s); burners stopped" in output
    pids = burner_pids(output.splitlines()[0])
    assert all(gone(pid) for pid in pids), f"burners left running: {pids}"

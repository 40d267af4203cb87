"""Flake finder: run pytest N times in a row, optionally beside CPU burners, and say which runs
failed and which tests failed in them.

    python -m tests.flakes --runs 5 --burn 1 -- tests/tui -q -n 2 --dist loadfile

Without pytest arguments it runs the README's test command (`-q -n 4 --dist loadfile`, the
whole suite); `--workers W` sets its `-n` (or adds `-n W` to the arguments given). Each run
prints one line (number, passed/failed, duration, failed test ids, and for a failed run the file
holding its output); the last line sums them up. Exit status 0 only if every run passed. The
burners (busy loops, one process each) start before the first run and are killed after the
last, also on Ctrl+C.
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PYTEST_ARGS = ("-q", "-n", "4", "--dist", "loadfile")
FAILED_LINE = re.compile(r"^(?:FAILED|ERROR) (\S+)")


@dataclass
class RunResult:
    number: int
    returncode: int
    seconds: float
    failed: list[str] = field(default_factory=list)
    log: Path | None = None

    @property
    def passed(self) -> bool:
        return self.returncode == 0

    def line(self, runs: int) -> str:
        verdict = "passed" if self.passed else f"failed (exit {self.returncode})"
        text = f"run {self.number} of {runs}: {verdict} in {duration(self.seconds)}"
        if self.failed:
            text += "; failed: " + " ".join(self.failed)
        if not self.passed and self.log is not None:
            text += f"; output in {self.log}"
        return text


def duration(seconds: float) -> str:
    """4m02s, or 12.3s under a minute."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def failed_ids(output: str) -> list[str]:
    """The test ids pytest's short summary names as failed or in error, in order, once each."""
    ids: list[str] = []
    for line in output.splitlines():
        match = FAILED_LINE.match(line.strip())
        if match and match.group(1) not in ids:
            ids.append(match.group(1))
    return ids


def burn() -> None:
    """Keep one core busy until killed."""
    while True:
        pass


@contextmanager
def burners(count: int) -> Iterator[list[multiprocessing.Process]]:
    """`count` CPU burner processes, killed (and reaped) however the block ends."""
    context = multiprocessing.get_context("spawn")
    started: list[multiprocessing.Process] = []
    try:
        for _ in range(count):
            process = context.Process(target=burn, name="flakes-burner", daemon=True)
            process.start()
            started.append(process)
        yield started
    finally:
        for process in started:
            process.kill()
        for process in started:
            process.join()


def run_pytest(number: int, pytest_args: Sequence[str], log: Path) -> RunResult:
    """One pytest run in a child process; its output goes to `log` and is parsed."""
    command = [sys.executable, "-m", "pytest", *pytest_args]
    started = time.monotonic()
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    output: list[str] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            output.append(line)
        returncode = child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    seconds = time.monotonic() - started
    log.write_text("".join(output))
    return RunResult(number, returncode, seconds, failed_ids("".join(output)), log)


def summary(results: Sequence[RunResult]) -> str:
    passed = sum(r.passed for r in results)
    times = " ".join(duration(r.seconds) for r in results)
    return f"{passed} of {len(results)} passed; times {times}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.flakes",
        description="Run pytest N times in a row, optionally beside CPU burners.",
        epilog="Arguments after `--` go to pytest (default: "
        + " ".join(DEFAULT_PYTEST_ARGS)
        + ", the whole suite).",
    )
    parser.add_argument("--runs", type=int, default=3, help="how many runs (default 3)")
    parser.add_argument("--burn", type=int, default=0, help="CPU burner processes beside them")
    parser.add_argument("--workers", type=int, help="pytest-xdist workers (`-n`)")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs < 1 or args.burn < 0 or (args.workers is not None and args.workers < 0):
        parser.error("--runs takes 1 or more, --burn and --workers 0 or more")
    given = args.pytest_args[1:] if args.pytest_args[:1] == ["--"] else args.pytest_args
    pytest_args = list(given) or list(DEFAULT_PYTEST_ARGS)
    if args.workers is not None:
        pytest_args += ["-n", str(args.workers)]  # the last -n wins
    results: list[RunResult] = []
    logs = Path(tempfile.mkdtemp(prefix="keyroll-flakes-"))
    # Ctrl+C, and a kill, stop the runs and the burners even where the shell started this in the
    # background with SIGINT ignored
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with burners(args.burn) as burning:
            pids = ", ".join(str(p.pid) for p in burning)
            print(
                f"pytest {' '.join(pytest_args)}: {args.runs} run(s), {args.burn} burner(s)"
                + (f" (pid {pids})" if pids else ""),
                flush=True,
            )
            for number in range(1, args.runs + 1):
                result = run_pytest(number, pytest_args, logs / f"run-{number}.log")
                results.append(result)
                print(result.line(args.runs), flush=True)
    except KeyboardInterrupt:
        print(f"interrupted after {len(results)} run(s); burners stopped", flush=True)
        if results:
            print(summary(results), flush=True)
        return 130
    print(summary(results), flush=True)
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

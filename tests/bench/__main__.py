"""`python -m tests.bench [--quick]`: every benchmark, one `name value target` line each.

Figures are ratios (or counts) measured side by side in one run, so they hold on a noisy
machine; nothing here asserts a wall-clock time.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import time

BENCHMARKS = [
    "startup",
    "event_latency",
    "pages_per_poll",
    "fleet_refresh",
    "flood",
    "detect_lag",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (under 3 minutes)")
    parser.add_argument("only", nargs="*", help="run only these benchmarks")
    args = parser.parse_args(argv)
    unknown = [name for name in args.only if name not in BENCHMARKS]
    if unknown:
        print(
            f"There is no benchmark {', '.join(unknown)}; the benchmarks are "
            f"{', '.join(BENCHMARKS)}.",
            file=sys.stderr,
        )
        return 2
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    names = args.only or BENCHMARKS
    began = time.perf_counter()
    if len(names) == 1:
        missed = _run_here(names[0], args.quick)
    else:
        # Each in a fresh interpreter: threads, sockets and garbage an earlier benchmark
        # leaves behind (a sandbox's servers, an app's workers) must not share the GIL
        # with the next one's measurements.
        quick = ["--quick"] if args.quick else []
        missed = 0
        for name in names:
            done = subprocess.run([sys.executable, "-m", "tests.bench", *quick, name], check=False)
            missed += done.returncode != 0
    print(f"# {time.perf_counter() - began:.0f} s in all", flush=True)
    return 1 if missed else 0


def _run_here(name: str, quick: bool) -> int:
    """Run one benchmark in this process; the number of its figures that missed."""
    module = importlib.import_module(f"tests.bench.{name}")
    missed = 0
    for figure in module.run(quick):
        print(figure.line(), flush=True)
        missed += not figure.meets
    return missed


if __name__ == "__main__":
    sys.exit(main())

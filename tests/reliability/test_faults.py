"""Rolls of every kind and route under faults a seeded generator places at random moments.

Rack API 502s, stalls then 504s, connection resets and answers lost after the work was
done; CloudFormation throttling; the Console going down; forced rollbacks. After each run
the world is asked which keys it accepts, and keyroll's keystore, Convox CLI `auth` file and
journal must agree with it: no key lost, no outcome that says something the world denies.
`KEYROLL_FAULTS_SEED` replays another seed; the seed is printed with the counts.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.aws_support import scrub_aws_env
from tests.conftest import record_figure
from tests.reliability.faults_support import Tally, run_lanes

SEED = int(os.environ.get("KEYROLL_FAULTS_SEED", "20261122"))
LANES, RUNS_PER_LANE = 6, 35  # 210 runs


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    scrub_aws_env(monkeypatch, tmp_path)


def test_rolls_under_faults_lose_no_key_and_tell_the_truth() -> None:
    tally = Tally()
    run_lanes(SEED, LANES, RUNS_PER_LANE, tally)
    faults = ", ".join(f"{kind} {n}" for kind, n in sorted(tally.faults.items()) if n)
    outcomes = ", ".join(f"{kind} {n}" for kind, n in sorted(tally.outcomes.items()))
    record_figure(
        f"faults (seed {SEED}): {tally.runs} in-process runs; faults injected: {faults}; "
        f"outcomes: {outcomes}; left open then resumed: {tally.left_open}; rolls without "
        f"AWS that could not see whether a rollback happened and said so (failed; through the "
        f"Console, re-link advised and done): {tally.unseen_rollbacks}; "
        f"keys lost: {len(tally.lost)}; outcomes mismatched: {len(tally.mismatched)}"
    )
    assert tally.runs == LANES * RUNS_PER_LANE
    assert sum(tally.faults.values()) >= tally.runs  # the faults really struck
    assert not tally.lost, "\n".join(tally.lost[:20])
    assert not tally.mismatched, "\n".join(tally.mismatched[:20])

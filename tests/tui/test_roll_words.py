"""What a rolled-back instance keyroll says, on screen and headless, on a real sandbox roll.

The plan names no placeholder for the key pair the rack has yet to make; a rollback's batches
say what the rollback does (instances with the new key pair give way to ones with the old);
the retry hint is a command that runs: a forced roll's hint keeps `--force`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.tui.roll_harness import (
    FAST,
    RollHarness,
    isolate_aws,
    sandbox_workspaces,
    until_roll_outcome,
)
from tui.commands.roll_progress import event_line as progress_line
from tui.core.roll_runs import Emit
from tui.core.roll_targets import target_for
from tui.core.rolls.base import Roll
from tui.core.rolls.events import InstanceProgress, Note, Phase, PhaseChanged
from tui.core.rolls.instance_key import InstanceKeyRoll
from tui.services.workspace import Workspace

__all__ = ["sandbox_workspaces"]  # the fixture is used by name


@pytest.fixture(autouse=True)
def _no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_aws(monkeypatch, tmp_path)


async def test_a_rolled_back_forced_keyroll_words_its_plan_batches_and_retry(
    sandbox_workspaces: Callable[..., Workspace],
) -> None:
    ws = sandbox_workspaces(scenario="rollback", speed=40.0)
    target = target_for(ws, "acme/production")  # services under 3 processes: needs force

    def make(emit: Emit, cancel: threading.Event) -> Roll:
        return InstanceKeyRoll(target, "rack", options=FAST, force=True, emit=emit, cancel=cancel)

    app = RollHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        run = app.start_roll("acme/production", "instance-key", "rack", make)
        app.open_roll(run)
        screen = await until_roll_outcome(pilot, run)
        log = "\n".join(screen.log_view.lines)

    assert run.summary is not None and run.summary.outcome is not None
    assert run.summary.outcome.value == "rolled_back"
    plan = next(
        e for e in run.events if isinstance(e, PhaseChanged) and e.phase is Phase.UPDATE_REQUESTED
    )
    assert "new key pair -" not in plan.detail
    assert "a new key pair the rack makes" in plan.detail
    printed_plan = progress_line(plan)
    assert printed_plan is not None and " -;" not in printed_plan

    rollback = [e for e in run.events if isinstance(e, InstanceProgress) and e.rolling_back]
    assert rollback, "no batch of the rollback was reported"
    for progress in rollback:
        line = progress_line(progress)
        assert line is not None and "rolling back" in line
        assert "with the new key pair still to replace by ones with the old" in line
        assert "new in service" not in line  # the instances it brings back have the old key
    assert "── instances: rolling back, batch" in log
    last = rollback[-1]
    assert last.new_key_left == 0  # the rollback replaced every instance with the new key pair

    retries = [e.text for e in run.events if isinstance(e, Note) and "Retry" in e.text]
    assert retries == [
        "Retry once the stack is stable: `keyroll roll instance-key acme/production --force`."
    ]

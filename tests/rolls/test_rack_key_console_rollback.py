"""A Console rack-key roll whose update rolls back: the Console already stored the new key,
which the rack refuses. keyroll must see the rollback (not wait for the watch's time limit),
say what the Console was left with, and its advice must work."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.rolls.instance_key_support import aws_env, sandbox_workspace, target
from tui.core.rolls.events import Outcome
from tui.core.rolls.rack_key import RackKeyRoll
from tui.core.rolls.target import RollOptions

__all__ = ["aws_env"]
FAST = RollOptions(poll_s=0.05, probe_s=0.05, poll_jitter=0.0, verify_s=5.0, watch_timeout_s=30)


def console_reaches(sandbox: object, name: str = "acme/staging") -> bool:
    world = sandbox.world  # type: ignore[attr-defined]
    with world.locked():
        return bool(world.rack(name).accepts(world.console.rack_keys[name].reveal()))


@pytest.mark.parametrize("with_aws", [False, True], ids=["rack-status", "cloudformation"])
def test_a_rolled_back_console_roll_is_seen_and_its_advice_works(
    aws_env: Path, tmp_path: Path, with_aws: bool
) -> None:
    with sandbox_workspace(tmp_path / "w", speed=100.0, aws=with_aws) as ws:
        ws.sandbox.world.fail_next_update()
        started = time.monotonic()
        summary = RackKeyRoll(target(ws, "acme/staging"), "console", options=FAST).run()
        assert summary.outcome is Outcome.ROLLED_BACK, summary.messages
        assert time.monotonic() - started < 15  # seen, not waited out until the time limit
        assert not console_reaches(ws.sandbox)
        advice = summary.messages[-1]
        assert "Console cannot reach it" in advice
        assert "keyroll roll rack-key acme/staging --via cloudformation --relink" in advice
        if not with_aws:
            return
        follow = RackKeyRoll(
            target(ws, "acme/staging"), "cloudformation", options=FAST, relink=True
        ).run()
        assert follow.outcome is Outcome.SUCCEEDED, follow.messages
        assert console_reaches(ws.sandbox)


def test_a_console_roll_that_simply_fails_keeps_the_old_key_reachable(
    aws_env: Path, tmp_path: Path
) -> None:
    with sandbox_workspace(tmp_path / "w", speed=100.0) as ws:
        ws.sandbox.console_api.down = True
        summary = RackKeyRoll(target(ws, "acme/staging"), "console", options=FAST).run()
        ws.sandbox.console_api.down = False
        assert summary.outcome is Outcome.FAILED
        assert console_reaches(ws.sandbox)

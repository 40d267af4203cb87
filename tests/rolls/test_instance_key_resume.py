"""Resuming an instance keyroll that stopped at a journal step (as `keyroll resume` does).

A stop is simulated by an exception raised from the event callback right after the journal
recorded the step, so the record is left unfinished exactly as a killed process leaves it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.aws_support import aws_env
from tests.rolls.instance_key_support import (
    FAST,
    fleet_polls,
    sandbox_workspace,
    scale_services,
    target,
    with_aws,
)
from tests.stepping import stepping
from tui.core.journal import RollRecord
from tui.core.roll_targets import journal_for
from tui.core.rolls.events import Outcome, PhaseChanged, RollEvent
from tui.core.rolls.instance_key import SSH_KEY_MISMATCH, InstanceKeyRoll
from tui.core.rolls.summary import RollSummary
from tui.sandbox.runtime import Sandbox
from tui.services.workspace import Workspace

__all__ = ["aws_env", "with_aws"]
pytestmark = pytest.mark.usefixtures("aws_env")


class Stopped(BaseException):
    """Stands in for the process dying right after a journal step."""


def _stop_after(step: str) -> Callable[[RollEvent], None]:
    def emit(event: RollEvent) -> None:
        if isinstance(event, PhaseChanged) and event.phase.value == step:
            raise Stopped(step)

    return emit


def _stopped_roll(ws: Workspace, step: str, rack: str = "acme/staging") -> RollRecord:
    roll = InstanceKeyRoll(
        target(ws, rack), "rack", force=True, options=FAST, emit=_stop_after(step)
    )
    with pytest.raises(Stopped):
        roll.run()
    (record,) = journal_for(ws).unfinished()
    assert record.last_step == step
    return record


def _key(sandbox: Sandbox, stack: str = "staging") -> str:
    with sandbox.world.locked():
        return sandbox.world.rack(stack).stack.parameters["Key"]


def _wait_until_rested(sandbox: Sandbox, stack: str = "staging") -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with sandbox.world.locked():
            rack = sandbox.world.rack(stack)
            if rack.update is None or rack.update.done:
                return
        time.sleep(0.05)
    raise AssertionError("the sandbox update did not finish")


def _resume(ws: Workspace, record: RollRecord, answer: bool) -> tuple[RollSummary, list[str]]:
    asked: list[str] = []

    def confirm(question: str) -> bool:
        asked.append(question)
        return answer

    roll = InstanceKeyRoll(target(ws, record.rack), record.route, options=FAST)
    return roll.run_resumed(record, confirm), asked


def test_stopped_before_the_request_asks_and_then_rolls(tmp_path: Path, with_aws: bool) -> None:
    with sandbox_workspace(tmp_path, aws=with_aws) as ws:
        scale_services(ws.sandbox, "staging", 3)
        old = _key(ws.sandbox)
        record = _stopped_roll(ws, "update-requested")
        assert _key(ws.sandbox) == old  # the request never went out

        summary, asked = _resume(ws, record, True)

        assert len(asked) == 1 and "Request it now?" in asked[0]
        assert summary.outcome is Outcome.SUCCEEDED, summary.messages
        assert _key(ws.sandbox) != old
        assert journal_for(ws).get(record.roll_id).outcome == "succeeded"


def test_stopped_before_the_request_and_declined_changes_nothing(
    tmp_path: Path, with_aws: bool
) -> None:
    with sandbox_workspace(tmp_path, aws=with_aws) as ws:
        old = _key(ws.sandbox)
        record = _stopped_roll(ws, "update-requested")

        summary, asked = _resume(ws, record, False)

        assert asked and summary.outcome is Outcome.FAILED
        assert "Abandoned" in summary.messages[-1]
        assert _key(ws.sandbox) == old
        assert journal_for(ws).unfinished() == []


def test_stopped_while_watching_watches_the_update_to_its_end(
    tmp_path: Path, with_aws: bool
) -> None:
    with sandbox_workspace(tmp_path, aws=with_aws, stepped=True) as ws:
        old = _key(ws.sandbox)
        record = _stopped_roll(ws, "watching")  # the world stands still: the update goes on

        with stepping(ws.sandbox.world, fleet_polls("staging"), polled_by="the fleet watch"):
            summary, asked = _resume(ws, record, True)

        assert asked == []
        assert summary.outcome is Outcome.SUCCEEDED, summary.messages
        assert summary.events  # the update was still moving: the resumed roll watched it
        assert _key(ws.sandbox) != old
        assert journal_for(ws).get(record.roll_id).outcome == "succeeded"


def test_stopped_while_watching_and_resumed_after_the_end_verifies(
    tmp_path: Path, with_aws: bool
) -> None:
    with sandbox_workspace(tmp_path, aws=with_aws) as ws:
        record = _stopped_roll(ws, "watching")
        _wait_until_rested(ws.sandbox)

        summary, asked = _resume(ws, record, True)

        assert asked == []
        assert summary.outcome is Outcome.SUCCEEDED, summary.messages
        assert any("all 2 instance(s) are new" in m for m in summary.messages)
        assert summary.events == []  # judged from the resting stack, nothing to watch


def test_a_rollback_found_on_resume_is_the_ssh_key_mismatch(tmp_path: Path, with_aws: bool) -> None:
    with sandbox_workspace(tmp_path, scenario="rollback", aws=with_aws) as ws:
        old = _key(ws.sandbox, "production")
        record = _stopped_roll(ws, "watching", rack="acme/production")
        _wait_until_rested(ws.sandbox, "production")

        summary, _ = _resume(ws, record, True)

        assert summary.outcome is Outcome.ROLLED_BACK
        assert SSH_KEY_MISMATCH in summary.messages
        assert _key(ws.sandbox, "production") == old
        assert journal_for(ws).get(record.roll_id).outcome == "rolled_back"

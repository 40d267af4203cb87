"""A Console rack-key roll whose update rolls back: the Console already stored the new key,
which the rack refuses. keyroll must see the rollback (not wait for the watch's time limit),
say what the Console was left with, and its advice must work."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.aws_support import aws_env
from tests.rolls.instance_key_support import sandbox_workspace, target
from tests.stepping import stepping
from tui.core.roll_targets import journal_for, target_for
from tui.core.rolls.events import Outcome, Phase, PhaseChanged, RollEvent
from tui.core.rolls.rack_key import RackKeyRoll
from tui.core.rolls.resume import resume_all
from tui.core.rolls.target import RollOptions

__all__ = ["aws_env"]
FAST = RollOptions(poll_s=0.05, probe_s=0.05, poll_jitter=0.0, verify_s=5.0, watch_timeout_s=30)


def console_reaches(sandbox: object, name: str = "acme/staging") -> bool:
    world = sandbox.world  # type: ignore[attr-defined]
    with world.locked():
        return bool(world.rack(name).accepts(world.console.rack_keys[name].reveal()))


def watch_polls(with_aws: bool) -> str:
    """The request only a Console roll's watch makes, once per poll: CloudFormation's events,
    or (the proxied rack refusing the Console's new key) the Console's list of racks."""
    return "DescribeStackEvents" if with_aws else "console GET /racks"


@pytest.mark.parametrize("with_aws", [False, True], ids=["rack-status", "cloudformation"])
def test_a_rolled_back_console_roll_is_seen_and_its_advice_works(
    aws_env: Path, tmp_path: Path, with_aws: bool
) -> None:
    with sandbox_workspace(tmp_path / "w", aws=with_aws, stepped=True) as ws:
        world = ws.sandbox.world
        world.fail_next_update()
        with stepping(world, watch_polls(with_aws)) as stepper:
            summary = RackKeyRoll(target(ws, "acme/staging"), "console", options=FAST).run()
        assert summary.outcome is Outcome.ROLLED_BACK, summary.messages
        # seen, not waited out: the watch reported the rollback as it ran, and the roll ended
        # with the world's clock where the update ended, not past it
        seen = [e.status for e in summary.events]
        assert ("UPDATE_ROLLBACK_IN_PROGRESS" if with_aws else "rollback") in seen, seen
        update = world.rack("acme/staging").update
        assert update is not None and update.done
        assert stepper.elapsed == (update.ends_at - world.clock.start).total_seconds()
        assert not console_reaches(ws.sandbox)
        advice = summary.messages[-1]
        assert "Console cannot reach it" in advice
        assert "keyroll roll rack-key acme/staging --via cloudformation --relink" in advice
        if not with_aws:
            return
        with stepping(world, watch_polls(with_aws)):
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
        assert summary.outcome is Outcome.REFUSED  # down at the pre-flight: nothing changed
        assert console_reaches(ws.sandbox)


def test_a_console_roll_leaves_no_thread_on_a_closed_connection(
    aws_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe rides on the Console's connection: it stops before that connection closes
    (it used to die with a RuntimeError traceback on the closed client)."""
    crashes: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: crashes.append(args.exc_value))
    before = set(threading.enumerate())
    with sandbox_workspace(tmp_path / "w", speed=100.0, aws=True) as ws:
        summary = RackKeyRoll(target(ws, "acme/staging"), "console", options=FAST).run()
        assert summary.outcome is Outcome.SUCCEEDED, summary.messages
        # no probe outlives the roll, so none can strike later on the closed connection
        left = [t.name for t in set(threading.enumerate()) - before]
        assert "availability-probe" not in left, left
    assert crashes == []


def test_a_console_down_at_verification_leaves_the_roll_open_and_resume_finishes_it(
    aws_env: Path, tmp_path: Path
) -> None:
    with sandbox_workspace(tmp_path / "w", speed=100.0, aws=True) as ws:

        def emit(event: RollEvent) -> None:
            if isinstance(event, PhaseChanged) and event.phase is Phase.VERIFYING:
                ws.sandbox.console_api.down = True

        options = RollOptions(poll_s=0.05, probe_s=0.05, poll_jitter=0.0, verify_s=2.0)
        roll = RackKeyRoll(target(ws, "acme/staging"), "console", options=options, emit=emit)
        summary = roll.run()
        assert summary.outcome is None, summary.messages
        assert "Console does not answer" in summary.messages[-1]
        ws.sandbox.console_api.down = False
        done = list(
            resume_all(
                journal_for(ws),
                lambda record: target_for(ws, record.rack),
                options=lambda _t: FAST,
                confirm=lambda _q: True,
            )
        )
        assert [getattr(d, "outcome", None) for d in done] == [Outcome.SUCCEEDED]
        assert console_reaches(ws.sandbox)


def test_a_rollback_seen_while_the_console_is_down_still_says_how_to_recover(
    aws_env: Path, tmp_path: Path
) -> None:
    with sandbox_workspace(tmp_path / "w", speed=100.0, aws=True) as ws:
        ws.sandbox.world.fail_next_update()

        def emit(event: RollEvent) -> None:
            if isinstance(event, PhaseChanged) and event.phase is Phase.WATCHING:
                ws.sandbox.console_api.down = True  # CloudFormation still shows the rollback

        summary = RackKeyRoll(target(ws, "acme/staging"), "console", options=FAST, emit=emit).run()
        assert summary.outcome is Outcome.ROLLED_BACK, summary.messages
        assert "--via cloudformation --relink" in summary.messages[-1]
        assert not console_reaches(ws.sandbox)

"""A roll whose new key cannot be checked yet says "run `keyroll resume`": it must then stay
open in the journal (a finished `failed` record is one resume never looks at, which left
the pending key stuck and the next roll refused), and resume must finish it."""

from __future__ import annotations

from pathlib import Path

from tests.aws_support import aws_env
from tests.rolls.instance_key_support import sandbox_workspace, target
from tui.core.roll_targets import account_target, journal_for, target_for
from tui.core.rolls.account_key import AccountKeyRoll
from tui.core.rolls.events import Outcome, Phase, PhaseChanged, RollEvent
from tui.core.rolls.rack_key import RackKeyRoll
from tui.core.rolls.resume import resume_all
from tui.core.rolls.target import RollOptions
from tui.services.workspace import Workspace

__all__ = ["aws_env"]
FAST = RollOptions(poll_s=0.05, probe_s=0.05, poll_jitter=0.0, verify_s=5.0)
IMPATIENT = RollOptions(poll_s=0.05, probe_s=0.05, poll_jitter=0.0, verify_s=0.5)


def resume(ws: Workspace) -> list[Outcome | None]:
    done = resume_all(
        journal_for(ws),
        lambda r: account_target(ws) if r.kind == "account-key" else target_for(ws, r.rack),
        options=lambda _t: FAST,
        confirm=lambda _q: True,
    )
    return [getattr(d, "outcome", None) for d in done]


def test_a_rack_key_unchecked_at_verification_stays_open_until_resume(
    aws_env: Path, tmp_path: Path
) -> None:
    with sandbox_workspace(tmp_path / "w", scenario="flaky", speed=100.0) as ws:
        gate = ws.sandbox.flaky
        assert gate is not None
        gate.share, gate.stall_seconds = 0.0, 0.05
        host = ws.sandbox.rack_host("dev")

        def emit(event: RollEvent) -> None:
            if isinstance(event, PhaseChanged) and event.phase is Phase.VERIFYING:
                gate.share = 0.999  # the rack stops answering as keyroll checks the new key

        summary = RackKeyRoll(target(ws, "dev"), "rack", options=IMPATIENT, emit=emit).run()
        assert summary.outcome is None, summary.messages
        assert [r.last_step for r in journal_for(ws).unfinished()] == ["verifying"]
        assert ws.keystore.pending(host) is not None
        gate.share = 0.0
        assert resume(ws) == [Outcome.SUCCEEDED]
        new = ws.keystore.current(host)
        with ws.sandbox.world.locked():
            assert new is not None and ws.sandbox.world.rack("dev").accepts(new.reveal())
        assert journal_for(ws).unfinished() == []


def test_an_account_key_unchecked_while_the_console_is_down_stays_open_until_resume(
    aws_env: Path, tmp_path: Path
) -> None:
    with sandbox_workspace(tmp_path / "w", speed=100.0) as ws:
        console = ws.sandbox.console_api

        def emit(event: RollEvent) -> None:
            if isinstance(event, PhaseChanged) and event.phase is Phase.VERIFYING:
                console.down = True

        options = RollOptions(poll_s=0.05, probe_s=0.05, verify_s=1.0)
        roll = AccountKeyRoll(account_target(ws), "console", options=options, emit=emit)
        summary = roll.run()
        assert summary.outcome is None, summary.messages
        assert "keyroll resume" in summary.messages[-1]
        console.down = False
        assert resume(ws) == [Outcome.SUCCEEDED]
        with ws.sandbox.world.locked():
            assert ws.keystore.current(ws.sandbox.console_host) == ws.sandbox.world.console.api_key

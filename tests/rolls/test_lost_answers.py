"""A write whose answer is lost after the rack did the work (a load balancer giving up on a
slow backend): the roll must find out what happened instead of calling it refused, and when
the rack stays silent it must leave the roll open for `keyroll resume`, keys and all."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.aws_support import aws_env
from tests.rolls.instance_key_support import sandbox_workspace, target
from tests.stepping import POLL_TIMEOUT_S, step_until
from tui.core.roll_targets import journal_for, target_for
from tui.core.rolls.events import Outcome, Phase, PhaseChanged, RollEvent
from tui.core.rolls.instance_key import InstanceKeyRoll
from tui.core.rolls.lost_answer import ROLLBACK_UNSEEN
from tui.core.rolls.rack_key import RackKeyRoll
from tui.core.rolls.resume import resume_all
from tui.core.rolls.target import RollOptions
from tui.services.workspace import Workspace

__all__ = ["aws_env"]
FAST = RollOptions(poll_s=0.05, probe_s=0.05, poll_jitter=0.0, verify_s=5.0, watch_timeout_s=30)


def lose_answers_from_the_request(ws: Workspace, silent_s: float) -> object:
    """An `emit` that, once the update is requested, makes the rack do the work of each call
    but lose its answer, for `silent_s` seconds."""
    gate = ws.sandbox.flaky
    assert gate is not None

    def emit(event: RollEvent) -> None:
        if isinstance(event, PhaseChanged) and event.phase is Phase.UPDATE_REQUESTED:
            gate.stall_seconds, gate.lost_answer_share, gate.share = 0.05, 1.0, 0.999
            threading.Timer(silent_s, lambda: setattr(gate, "share", 0.0)).start()

    return emit


def lose_answers_until_reopened(ws: Workspace) -> object:
    """An `emit` that, once the update is requested, makes the rack do the work of each call
    but lose its answer, until the test sets the gate's share back to 0."""
    gate = ws.sandbox.flaky
    assert gate is not None

    def emit(event: RollEvent) -> None:
        if isinstance(event, PhaseChanged) and event.phase is Phase.UPDATE_REQUESTED:
            gate.stall_seconds, gate.lost_answer_share, gate.share = 0.05, 1.0, 0.999

    return emit


class UnseenUpdate:
    """In a stepped world: once the update of `stack` begins (its answer lost), runs it to its
    end while the rack stays silent, then lets the rack answer again. Whatever the machine's
    speed, the roll sees nothing of the update until it is over."""

    def __init__(self, ws: Workspace, stack: str = "dev") -> None:
        self.world = ws.sandbox.world
        self.gate = ws.sandbox.flaky
        self.stack = stack
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="unseen-update", daemon=True)
        self.thread.start()

    def _began(self) -> bool:
        return self.world.rack(self.stack).update is not None

    def _ended(self) -> bool:
        update = self.world.rack(self.stack).update
        return update is not None and update.done

    def _run(self) -> None:
        try:
            assert self.world.wait_for(self._began, POLL_TIMEOUT_S), "the update never began"
            step_until(self.world, self._ended, what=f"the end of {self.stack}'s update")
        except BaseException as error:  # reported by `join()` in the test's thread
            self.failure = error
        finally:
            assert self.gate is not None
            self.gate.share = 0.0

    def join(self) -> None:
        self.thread.join(POLL_TIMEOUT_S)
        assert not self.thread.is_alive(), "the unseen update never ended"
        if self.failure is not None:
            raise self.failure


def test_a_rack_key_update_whose_answer_was_lost_is_watched_to_success(
    aws_env: Path, tmp_path: Path
) -> None:
    with sandbox_workspace(tmp_path / "w", scenario="flaky", speed=100.0) as ws:
        ws.sandbox.flaky.share = 0.0  # type: ignore[union-attr]
        emit = lose_answers_from_the_request(ws, 0.3)
        summary = RackKeyRoll(target(ws, "dev"), "rack", options=FAST, emit=emit).run()  # type: ignore[arg-type]
        assert ws.sandbox.flaky.injected["answer-lost"] >= 1  # type: ignore[union-attr]
        assert summary.outcome is Outcome.SUCCEEDED, summary.messages
        assert any("answer to the update was lost" in m for m in summary.messages)
        new = ws.keystore.current(ws.sandbox.rack_host("dev"))
        with ws.sandbox.world.locked():
            assert new is not None and ws.sandbox.world.rack("dev").accepts(new.reveal())


def test_a_rack_silent_after_a_lost_answer_leaves_the_roll_open_for_resume(
    aws_env: Path, tmp_path: Path
) -> None:
    with sandbox_workspace(tmp_path / "w", scenario="flaky", speed=100.0) as ws:
        gate = ws.sandbox.flaky
        assert gate is not None
        gate.share = 0.0
        host = ws.sandbox.rack_host("dev")
        options = RollOptions(poll_s=0.05, probe_s=0.05, poll_jitter=0.0, verify_s=0.5)
        emit = lose_answers_until_reopened(ws)  # silent for the whole roll
        summary = RackKeyRoll(target(ws, "dev"), "rack", options=options, emit=emit).run()  # type: ignore[arg-type]
        assert summary.outcome is None, summary.messages  # neither succeeded nor failed
        assert "keyroll resume" in summary.messages[-1]
        journal = journal_for(ws)
        assert [r.last_step for r in journal.unfinished()] == ["update-requested"]
        assert ws.keystore.pending(host) is not None
        gate.share = 0.0  # the rack answers again
        done = list(
            resume_all(
                journal,
                lambda record: target_for(ws, record.rack),
                options=lambda _t: FAST,
                confirm=lambda _q: True,
            )
        )
        assert [getattr(d, "outcome", None) for d in done] == [Outcome.SUCCEEDED]
        new = ws.keystore.current(host)
        with ws.sandbox.world.locked():
            assert new is not None and ws.sandbox.world.rack("dev").accepts(new.reveal())


def test_an_instance_keyroll_whose_answer_was_lost_is_watched_to_success(
    aws_env: Path, tmp_path: Path
) -> None:
    with sandbox_workspace(tmp_path / "w", scenario="flaky", speed=100.0) as ws:
        ws.sandbox.flaky.share = 0.0  # type: ignore[union-attr]
        with ws.sandbox.world.locked():
            before = ws.sandbox.world.rack("dev").stack.parameters["Key"]
        emit = lose_answers_from_the_request(ws, 0.3)
        roll = InstanceKeyRoll(target(ws, "dev"), "rack", options=FAST, emit=emit, force=True)  # type: ignore[arg-type]
        summary = roll.run()
        assert summary.outcome is Outcome.SUCCEEDED, summary.messages
        assert any("answer to the keyroll was lost" in m for m in summary.messages)
        with ws.sandbox.world.locked():
            assert ws.sandbox.world.rack("dev").stack.parameters["Key"] != before


def test_an_update_over_before_the_rack_answered_again_keeps_the_new_key(
    aws_env: Path, tmp_path: Path
) -> None:
    """The rack rests when keyroll can ask again: it already takes the new key, so the update
    ran to its end. Retiring the new key here would lose the only key the rack accepts."""
    with sandbox_workspace(tmp_path / "w", scenario="flaky", stepped=True) as ws:
        ws.sandbox.flaky.share = 0.0  # type: ignore[union-attr]
        host = ws.sandbox.rack_host("dev")
        emit = lose_answers_until_reopened(ws)
        unseen = UnseenUpdate(ws)  # the whole update runs while the rack is silent
        summary = RackKeyRoll(target(ws, "dev"), "rack", options=FAST, emit=emit).run()  # type: ignore[arg-type]
        unseen.join()
        assert summary.outcome is Outcome.SUCCEEDED, summary.messages
        new = ws.keystore.current(host)
        with ws.sandbox.world.locked():
            assert new is not None and ws.sandbox.world.rack("dev").accepts(new.reveal())
        assert ws.keystore.pending(host) is None


def test_an_update_that_rolled_back_unseen_is_told_as_a_rollback_with_aws(
    aws_env: Path, tmp_path: Path
) -> None:
    """The rack took the update, which rolled back while it did not answer: it rests with the
    old key as if nothing happened. CloudFormation's events since the baseline say otherwise,
    and the roll must say what the stack did (the fault suite caught it saying "refused")."""
    with sandbox_workspace(tmp_path / "w", scenario="flaky", aws=True, stepped=True) as ws:
        ws.sandbox.flaky.share = 0.0  # type: ignore[union-attr]
        ws.sandbox.world.fail_next_update()
        host = ws.sandbox.rack_host("dev")
        old = ws.keystore.current(host)
        emit = lose_answers_until_reopened(ws)
        unseen = UnseenUpdate(ws)  # the update and its rollback run while the rack is silent
        summary = RackKeyRoll(target(ws, "dev"), "rack", options=FAST, emit=emit).run()  # type: ignore[arg-type]
        unseen.join()
        assert summary.outcome is Outcome.ROLLED_BACK, summary.messages
        assert summary.final_stack_status == "UPDATE_ROLLBACK_COMPLETE"
        assert not any("refused the update" in m for m in summary.messages)
        assert ws.keystore.current(host) == old and ws.keystore.pending(host) is None
        with ws.sandbox.world.locked():
            assert old is not None and ws.sandbox.world.rack("dev").accepts(old.reveal())


def test_without_aws_an_update_that_rolled_back_unseen_says_it_cannot_tell(
    aws_env: Path, tmp_path: Path
) -> None:
    """Without AWS nothing can tell "never began" from "rolled back while silent": the roll
    fails saying both are possible, never that the rack refused it."""
    with sandbox_workspace(tmp_path / "w", scenario="flaky", stepped=True) as ws:
        ws.sandbox.flaky.share = 0.0  # type: ignore[union-attr]
        ws.sandbox.world.fail_next_update()
        host = ws.sandbox.rack_host("dev")
        old = ws.keystore.current(host)
        emit = lose_answers_until_reopened(ws)
        unseen = UnseenUpdate(ws)
        summary = RackKeyRoll(target(ws, "dev"), "rack", options=FAST, emit=emit).run()  # type: ignore[arg-type]
        unseen.join()
        assert summary.outcome is Outcome.FAILED, summary.messages
        assert any(ROLLBACK_UNSEEN in m for m in summary.messages), summary.messages
        assert not any("refused the update" in m for m in summary.messages)
        assert ws.keystore.current(host) == old and ws.keystore.pending(host) is None
        with ws.sandbox.world.locked():
            assert ws.sandbox.world.rack("dev").stack.status == "UPDATE_ROLLBACK_COMPLETE"


def test_an_instance_keyroll_that_rolled_back_unseen_is_told_as_a_rollback_with_aws(
    aws_env: Path, tmp_path: Path
) -> None:
    with sandbox_workspace(tmp_path / "w", scenario="flaky", aws=True, stepped=True) as ws:
        ws.sandbox.flaky.share = 0.0  # type: ignore[union-attr]
        ws.sandbox.world.fail_next_update()
        with ws.sandbox.world.locked():
            before = ws.sandbox.world.rack("dev").stack.parameters["Key"]
        emit = lose_answers_until_reopened(ws)
        unseen = UnseenUpdate(ws)
        roll = InstanceKeyRoll(target(ws, "dev"), "rack", options=FAST, emit=emit, force=True)  # type: ignore[arg-type]
        summary = roll.run()
        unseen.join()
        assert summary.outcome is Outcome.ROLLED_BACK, summary.messages
        assert not any("refused the keyroll" in m for m in summary.messages)
        with ws.sandbox.world.locked():
            assert ws.sandbox.world.rack("dev").stack.parameters["Key"] == before

"""What every roll shares: the rack lock, the write-ahead journal, the probe, the summary."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from typing import ClassVar

from tui.base.errors import KeyrollError, RefusedError
from tui.base.secret import Secret
from tui.clients.models import System
from tui.clients.rack import RackClient
from tui.clients.stack_events import StackEvent
from tui.clients.stack_status import Outcome as StackOutcome
from tui.core.availability import AvailabilityProbe, ProbeResult
from tui.core.journal import RackLock, RollRecord
from tui.core.rolls.events import (
    Finished,
    Note,
    Outcome,
    Phase,
    PhaseChanged,
    ProbeSeen,
    RollEvent,
    StackEventSeen,
)
from tui.core.rolls.summary import RollSummary, now_iso
from tui.core.rolls.target import RollOptions, RollTarget
from tui.core.rolls.watch import UpdateWatch, WatchCancelled, WatchResult

log = logging.getLogger("keyroll.roll")

Confirm = Callable[[str], bool]  # asks the person a yes/no question; headless: --yes

# Test-only: SIGKILL this process right after the journal records this step, to prove that
# `keyroll resume` finishes a roll from any step. Never set outside the test suite.
CRASH_AFTER_ENV = "KEYROLL_TEST_CRASH_AFTER"

STACK_TO_ROLL_OUTCOME = {
    StackOutcome.SUCCEEDED: Outcome.SUCCEEDED,
    StackOutcome.ROLLED_BACK: Outcome.ROLLED_BACK,
    StackOutcome.FAILED: Outcome.FAILED,
    StackOutcome.NEEDS_ATTENTION: Outcome.FAILED,
}


class RollFailed(KeyrollError):
    """A roll step failed; the message says what state the rack and keys are left in."""


def preflight_refusal(sentence: str) -> RefusedError:
    """A pre-flight call that failed (no answer, a refused connection, the Console down, a
    refused key): nothing is stored or requested yet, so the roll is refused (exit 3), not
    failed. Only for failures before the journal's first step: after it, failures are failed."""
    return RefusedError(sentence)


class Detached(KeyrollError):
    """The roll was started without waiting: the journal keeps it for `keyroll resume`."""


class LeftOpen(KeyrollError):
    """keyroll cannot tell how a step ended (the rack stopped answering): the journal keeps
    the roll open, keys and all, for `keyroll resume`."""


class Roll:
    """A synchronous, cancellable roll of one kind on one rack, reporting typed events.

    `run()` never raises for an expected failure: it returns the summary with the outcome
    and the sentences that explain it. The journal records each step before it is taken.
    """

    kind: ClassVar[str] = ""

    def __init__(
        self,
        target: RollTarget,
        route: str,
        *,
        options: RollOptions | None = None,
        emit: Callable[[RollEvent], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.target = target
        self.route = route
        self.options = options or RollOptions.from_settings(target.settings)
        self._emit = emit
        self.cancel = cancel or threading.Event()
        self.summary = RollSummary(kind=self.kind, rack=target.name, via=route)
        self.probe: AvailabilityProbe | None = None
        self.roll_id = ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.target.name!r}, via={self.route!r})"

    # reporting -----------------------------------------------------------------------------

    def emit(self, event: RollEvent) -> None:
        if isinstance(event, StackEventSeen):
            self.summary.events.append(event)
        elif isinstance(event, Note) and event.level == "warning":
            self.summary.warnings.append(event.text)
        if self._emit is not None:
            self._emit(event)

    def note(self, text: str, level: str = "info") -> None:
        if level != "warning":
            self.summary.messages.append(text)
        self.emit(Note(text, level))

    # the journal ---------------------------------------------------------------------------

    def begin(
        self, *, host: str | None, new_key: Secret | None = None, old_key: Secret | None = None
    ) -> None:
        record = self.target.journal.begin(
            self.kind, self.target.name, self.route, host=host, new_key=new_key, old_key=old_key
        )
        self.roll_id = self.summary.roll_id = record.roll_id
        self.summary.started_at = record.started
        self._phase(Phase.PLANNED)

    def step(
        self,
        phase: Phase,
        *,
        message: str | None = None,
        new_key: Secret | None = None,
        detail: str | None = None,
    ) -> None:
        """Write the step to the journal, then report it (and let a crash test strike).

        The report's detail is the journal's `message` unless `detail` words it for a person.
        """
        self.target.journal.step(self.roll_id, phase.value, message=message, new_key=new_key)
        self._phase(phase, (message or "") if detail is None else detail)

    def detach_if_not_waiting(self) -> None:
        """Without `wait`, stop here (after the update was requested and the step recorded)."""
        if not self.options.wait:
            raise Detached(
                f"The update of {self.target.name} is under way; `keyroll resume` (or the "
                "dashboard) watches it to the end and finishes the roll."
            )

    def _phase(self, phase: Phase, detail: str = "") -> None:
        self.emit(PhaseChanged(phase, detail))
        if os.environ.get(CRASH_AFTER_ENV) == phase.value:
            os.kill(os.getpid(), signal.SIGKILL)

    # the probe -----------------------------------------------------------------------------

    def start_probe(self, client: RackClient) -> None:
        self.probe = AvailabilityProbe(client, self._probed, interval=self.options.probe_s)
        self.probe.start()

    def _probed(self, result: ProbeResult) -> None:
        detail = result.status if result.up else result.error
        self.emit(ProbeSeen(result.up, round(result.latency_s, 3), detail))

    def stop_probe(self) -> None:
        if self.probe is None:
            return
        timeline = self.probe.stop()
        self.summary.record_availability(
            timeline.downtime_s, timeline.longest_outage_s, timeline.probes
        )
        self.probe = None

    # watching ------------------------------------------------------------------------------

    def watcher(
        self,
        client: RackClient | None,
        *,
        applied: Callable[[System], bool | None] | None = None,
        on_stack_event: Callable[[StackEvent], None] | None = None,
        use_aws: bool = True,
    ) -> UpdateWatch:
        return UpdateWatch(
            rack=self.target.name,
            stack=self.target.rack.stack,
            aws=self.target.aws if use_aws else None,
            client=client,
            options=self.options,
            emit=self.emit,
            cancel=self.cancel,
            applied=applied,
            on_stack_event=on_stack_event,
        )

    def record_watch(self, result: WatchResult) -> Outcome:
        self.summary.watched_with = result.mode
        self.summary.final_stack_status = result.final_status
        self.summary.failure_reasons = list(result.reasons)
        return STACK_TO_ROLL_OUTCOME.get(result.outcome, Outcome.FAILED)

    # running -------------------------------------------------------------------------------

    def execute(self) -> Outcome:
        """The roll's own steps; returns the outcome or raises `KeyrollError`."""
        raise TypeError(f"{type(self).__name__} must define execute()")

    def continue_from(self, record: RollRecord, confirm: Confirm) -> Outcome:
        """Finish a roll the journal left unfinished, from its last recorded step."""
        raise TypeError(f"{type(self).__name__} cannot resume a roll")

    def run(self) -> RollSummary:
        """Run the roll under the rack's lock; the summary says how it ended."""
        return self._locked(self.execute)

    def run_resumed(self, record: RollRecord, confirm: Confirm) -> RollSummary:
        """Resume `record` (same kind, rack and route) under the rack's lock."""
        self.roll_id = self.summary.roll_id = record.roll_id
        self.summary.started_at = record.started
        self.note(f"Resuming roll {record.roll_id} after its step '{record.last_step}'.")
        return self._locked(lambda: self.continue_from(record, confirm))

    def _locked(self, body: Callable[[], Outcome]) -> RollSummary:
        lock = RackLock(self.target.name, self.target.locks_dir)
        try:
            lock.acquire()
        except RefusedError as error:
            # another process holds the roll: its journal record is not ours to finish
            return self._end(Outcome.REFUSED, str(error), journal=False)
        outcome: Outcome | None = None
        message = ""
        try:
            outcome = body()
        except (WatchCancelled, Detached, LeftOpen) as error:
            message = str(error)
        except RefusedError as error:
            outcome, message = Outcome.REFUSED, str(error)
        except KeyrollError as error:
            outcome, message = Outcome.FAILED, str(error)
        finally:
            self.stop_probe()
            lock.release()
        return self._end(outcome, message)

    def _end(self, outcome: Outcome | None, message: str, *, journal: bool = True) -> RollSummary:
        if message:
            self.summary.messages.append(message)
            bad = outcome is not None and outcome is not Outcome.SUCCEEDED
            self.emit(Note(message, "error" if bad else "info"))
        self.summary.outcome = outcome
        if outcome is None or outcome is Outcome.REFUSED:
            self.summary.forget_availability()  # a roll not carried out measured nothing
        if outcome is not None:
            self.summary.finished_at = now_iso()
            if self.roll_id and journal:
                self.target.journal.finish(
                    self.roll_id,
                    outcome.value,
                    downtime_s=self.summary.downtime_s,
                    longest_outage_s=self.summary.longest_outage_s,
                    old_key_refused=self.summary.old_key_refused,
                    message=message or None,
                )
        self.emit(Finished(outcome, self.summary))
        return self.summary

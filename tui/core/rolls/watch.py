"""Watching one stack update to its end: CloudFormation events, or the rack's status without AWS.

Call `baseline()` before the update is requested, then `run()`. The baseline marks every
event already in the stack's history as seen, so what follows belongs to this roll whatever
the clocks of AWS and this machine say, and a steady-state poll reads one page.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from tui.base.errors import KeyrollError
from tui.clients.aws_backoff import Backoff, CancelledError, ThrottleNotice
from tui.clients.aws_errors import AwsError
from tui.clients.aws_session import AwsTarget
from tui.clients.errors import ClientError
from tui.clients.models import System
from tui.clients.rack import RackClient
from tui.clients.stack_events import StackEvent, StackEventTail
from tui.clients.stack_status import Outcome, describe_stack, failure_messages, outcome_for
from tui.core.rolls.events import (
    BackoffNotice,
    Note,
    RollEvent,
    StackEventSeen,
    StackEventSource,
)
from tui.core.rolls.target import RollOptions

MODE_CLOUDFORMATION, MODE_RACK_API = "cloudformation", "rack-api"
MOVING_RACK_STATUSES = frozenset({"updating", "rollback", "converging"})
AWS_ERRORS_BEFORE_FALLBACK = 5
QUIET_POLLS_BEFORE_GIVING_UP = 8  # the rack reads running and nothing says the update began


def wait_words(delay_s: float) -> str:
    """A back-off delay as people read it: `8 s`, or tenths below two seconds (`1.7 s`)."""
    if delay_s < 2:
        return f"{delay_s:.1f} s"
    return f"{round(delay_s)} s"


class WatchCancelled(KeyrollError):
    """The watch was stopped; the update itself goes on in CloudFormation."""


class WatchTimedOut(WatchCancelled):
    """No end seen in `watch_timeout_s`: the roll stays open in the journal, keys and all."""


@dataclass
class WatchResult:
    """How the update ended, as CloudFormation (or the rack's status) tells it."""

    outcome: Outcome
    final_status: str
    mode: str
    reasons: list[str] = field(default_factory=list)
    events: list[StackEvent] = field(default_factory=list)


class UpdateWatch:
    """Follows one stack update of one rack until the stack rests."""

    def __init__(
        self,
        *,
        rack: str,
        stack: str,
        aws: AwsTarget | None,
        client: RackClient | None,
        options: RollOptions,
        emit: Callable[[RollEvent], None],
        cancel: threading.Event,
        applied: Callable[[System], bool | None] | None = None,
        on_stack_event: Callable[[StackEvent], None] | None = None,
    ) -> None:
        self.rack, self.stack = rack, stack
        self.aws = aws
        self.client = client
        self.options = options
        self.emit = emit
        self.cancel = cancel
        self.applied = applied
        self.on_stack_event = on_stack_event
        self.mode = MODE_RACK_API
        # Through the Console, a rack whose key is being rolled answers 502: that is the
        # update under way (the Console already holds the new key), not silence.
        self.failures_mean_moving = False
        # Where the rack's status comes from when its API does not answer (the Console's
        # `GET /racks`): without it, a Console rack left with a key it refuses after a
        # rollback would read as "updating" until the watch times out.
        self.status_fallback: Callable[[], str] | None = None
        # Set once the request was accepted: a resting rack then means the update already
        # ended (a fast one, or one that ran while the rack did not answer), not "not begun".
        self.update_started = False
        self.tail: StackEventTail | None = None
        self._held: list[StackEvent] = []  # read by `began()`, reported by `run()`
        self._last_status = ""
        self._rng = random.Random()
        self._started = time.monotonic()

    # set-up --------------------------------------------------------------------------------

    def baseline(self, region_hint: str = "") -> str:
        """Mark the present as seen and choose how to watch; returns the mode."""
        if self.aws is not None:
            try:
                self._baseline_aws(region_hint)
                self.mode = MODE_CLOUDFORMATION
                return self.mode
            except (AwsError, CancelledError) as error:
                self.emit(
                    Note(
                        "CloudFormation events need AWS access "
                        f"({str(error).rstrip('.')}); watching the rack's status instead.",
                        "warning",
                    )
                )
        if self.client is None:
            raise KeyrollError(
                f"keyroll can watch {self.rack} neither through CloudFormation nor through its "
                "API; configure AWS access for the rack, then run `keyroll resume`."
            )
        self.mode = MODE_RACK_API
        self._last_status = self._system_status()
        return self.mode

    def _baseline_aws(self, region_hint: str) -> None:
        assert self.aws is not None
        if not self.aws.region and region_hint:
            self.aws = replace(self.aws, region=region_hint)
        backoff = Backoff(
            self.options.backoff_schedule, stop=self.cancel, on_throttle=self._throttled
        )
        describe_stack(self.aws, self.stack, backoff)  # fails fast without access
        self.tail = StackEventTail(self.aws, self.stack, backoff=backoff)
        self.tail.poll()

    def began(self) -> bool | None:
        """Has the stack begun an update since the baseline? None when only CloudFormation
        could tell and it does not answer (or this watch has no AWS access).

        For a request whose answer was lost: a rack that rests with its old settings may never
        have taken the update, or may have run it and rolled back while it did not answer. The
        events read here are held, and `run()` reports them first.
        """
        if self.mode != MODE_CLOUDFORMATION or self.tail is None:
            return None
        try:
            self._held += self.tail.poll()
        except (AwsError, CancelledError):
            return None
        return any(e.is_stack_itself and e.status == "UPDATE_IN_PROGRESS" for e in self._held)

    def _throttled(self, notice: ThrottleNotice) -> None:
        self.emit(BackoffNotice(notice.delay, f"AWS {notice.code or 'throttled'} {notice.action}"))

    # the watch -----------------------------------------------------------------------------

    def run(self) -> WatchResult:
        """Poll until the stack rests; raises `WatchCancelled` if cancelled (or timed out)."""
        self._started = time.monotonic()
        if self.mode == MODE_CLOUDFORMATION:
            result = self._run_cloudformation()
            if result is not None:
                return result
        return self._run_rack_api()

    def _wait(self, since: float | None = None) -> None:
        """Sleep one jittered poll interval, counted from `since` (a poll's start) if given."""
        if time.monotonic() - self._started > self.options.watch_timeout_s:
            minutes = self.options.watch_timeout_s / 60
            raise WatchTimedOut(
                f"{self.rack} showed no end of its update after {minutes:.0f} min; keyroll "
                "keeps the roll and both keys: check the stack in the AWS console, then run "
                "`keyroll resume`."
            )
        spread = self.options.poll_jitter
        delay = self.options.poll_s * (1 + self._rng.uniform(-spread, spread))
        if since is not None:
            delay -= time.monotonic() - since  # steady polls keep their rate, however slow AWS
        if self.cancel.wait(max(0.0, delay)):
            raise WatchCancelled(
                f"Stopped watching {self.rack}; the update goes on in CloudFormation: "
                "`keyroll resume` watches it to the end."
            )

    def _run_cloudformation(self) -> WatchResult | None:
        assert self.tail is not None and self.aws is not None
        seen: list[StackEvent] = []
        started = False
        errors = polls = 0
        while True:
            if self.cancel.is_set():
                self._wait()
            began = time.monotonic()
            try:
                fresh, self._held = self._held + self.tail.poll(), []
                errors = 0
            except CancelledError:
                self._wait()
                continue
            except AwsError as error:
                errors += 1
                self.emit(Note(f"CloudFormation did not answer: {error}", "warning"))
                if errors >= AWS_ERRORS_BEFORE_FALLBACK and self.client is not None:
                    self.emit(Note("Watching the rack's status until AWS answers again."))
                    self.mode = MODE_RACK_API
                    self._last_status = ""
                    return None
                self._wait()
                continue
            polls += 1
            for event in fresh:
                seen.append(event)
                self._report(event)
                if event.is_stack_itself and event.status == "UPDATE_IN_PROGRESS":
                    started = True
                if started and event.is_terminal:
                    return WatchResult(
                        outcome_for(event.status),
                        event.status,
                        MODE_CLOUDFORMATION,
                        failure_messages(seen),
                        seen,
                    )
            if not started and polls % QUIET_POLLS_BEFORE_GIVING_UP == 0:
                snapshot = describe_stack(self.aws, self.stack)
                if snapshot.outcome.is_final:
                    return WatchResult(
                        snapshot.outcome, snapshot.status, MODE_CLOUDFORMATION, [], seen
                    )
            self._wait(since=began)

    def _report(self, event: StackEvent) -> None:
        self.emit(
            StackEventSeen(
                event.timestamp,
                event.logical_id,
                event.status,
                event.reason,
                event.resource_type,
                event.physical_id,
            )
        )
        if self.on_stack_event is not None:
            self.on_stack_event(event)

    def _system_status(self) -> str:
        assert self.client is not None
        try:
            return self.client.system().status
        except ClientError:
            return ""

    def _fallback_status(self) -> str:
        if self.status_fallback is None:
            return ""
        try:
            return self.status_fallback()
        except ClientError:
            return ""

    def _run_rack_api(self) -> WatchResult:
        assert self.client is not None
        moving, rollback = self.update_started, False
        quiet = 0
        while True:
            system: System | None = None
            began = time.monotonic()
            try:
                # with a fallback, a failed call is not retried: the fallback answers at once
                system = self.client.system(retries=0 if self.status_fallback else None)
            except ClientError:
                if self.status_fallback is None:
                    moving = moving or self.failures_mean_moving
            status = system.status if system is not None else self._fallback_status()
            if not status:
                self._wait()  # the probe records the outage; the watch just keeps asking
                continue
            if status != self._last_status:
                self._last_status = status
                self.emit(
                    StackEventSeen(
                        datetime.now(UTC),
                        self.rack,
                        status,
                        source=StackEventSource.RACK_STATUS,
                    )
                )
            if status in MOVING_RACK_STATUSES:
                moving = True
                rollback = rollback or status == "rollback"
            elif status == "failed":
                return WatchResult(Outcome.NEEDS_ATTENTION, status, MODE_RACK_API)
            elif status == "running":
                applied = self.applied(system) if self.applied and system is not None else None
                if rollback or (moving and applied is False):
                    return WatchResult(Outcome.ROLLED_BACK, status, MODE_RACK_API)
                if moving or applied:
                    return WatchResult(Outcome.SUCCEEDED, status, MODE_RACK_API)
                quiet += 1
                if quiet >= QUIET_POLLS_BEFORE_GIVING_UP:
                    return WatchResult(
                        Outcome.FAILED,
                        status,
                        MODE_RACK_API,
                        [f"{self.rack} reads running and shows no sign of the update"],
                    )
            self._wait(since=began)  # as the CloudFormation watch: the rate holds, however slow

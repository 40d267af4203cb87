"""Stepping a sandbox world whose clock stands still (`Sandbox(..., stepped=True)`).

The world moves only when a test says so, one step at a time, and between two steps the
code under test must poll the world: every state of an update (UPDATE_ROLLBACK_IN_PROGRESS,
a rack reading `rollback`, ...) is then seen before the clock moves past it, however loaded
the machine. A step ends at the next update step the world has scheduled, or `step_s`
simulated seconds on, whichever comes first, so one step changes the world once at most.

How a poll is recognised: by the world's request counters (`world.requests`), for operations
that only the watch under test makes, one request after another (e.g. `DescribeStackEvents`
for a CloudFormation watch, `console GET /racks` for a Console rack's status). A request is
counted before it reads the world, so after each step the stepper waits for TWO more
requests: the second one is sent only once the answer of the first (which read the world as
this step left it) came back. The bounds (`max_steps`, `poll_timeout_s`) only matter when
something is broken; the failure names what never happened.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from tui.sandbox.world import World

STEP_S = 5.0  # simulated seconds a step moves at most (the next update step comes sooner)
MAX_STEPS = 400
POLL_TIMEOUT_S = 60.0  # real seconds without a poll before the stepper gives up (broken)
POLLS_PER_STEP = 2  # see the module's docstring: the first one after a step is the one that saw it


def requests_of(world: World, *operations: str) -> Callable[[], int]:
    """How many requests of `operations` the world has counted (read under the world's lock)."""

    def count() -> int:
        return sum(world.requests[operation] for operation in operations)

    return count


def step(world: World, step_s: float = STEP_S) -> float:
    """Advance the world to its next scheduled update step, or `step_s` on if that is sooner;
    returns the simulated seconds moved."""
    before = world.clock.now()
    target = before + timedelta(seconds=step_s)
    due = world.next_due()
    if due is not None and due < target:
        target = due
    return (world.advance_to(target) - before).total_seconds()


def simulated_elapsed(world: World) -> float:
    """Simulated seconds the world's clock has moved since the world was made."""
    return (world.clock.now() - world.clock.start).total_seconds()


def step_until(
    world: World,
    condition: Callable[[], bool],
    *,
    polls: Callable[[], int] | None = None,
    polled_by: str = "the code under test",
    what: str = "the condition",
    step_s: float = STEP_S,
    max_steps: int = MAX_STEPS,
    poll_timeout_s: float = POLL_TIMEOUT_S,
) -> int:
    """Step the world until `condition()` holds; returns the number of steps taken.

    With `polls` (a request counter, e.g. `requests_of(world, "DescribeStackEvents")`),
    every state is first polled (`POLLS_PER_STEP` more requests) before the next step;
    `condition` is then read under the world's lock, so it must be cheap and make no
    request (a flag, a counter). Without `polls`, the caller's own reads are its polls: it
    reads the world in `condition()` between steps.
    """
    for taken in range(max_steps + 1):
        if polls is not None:
            wanted = polls() + POLLS_PER_STEP
            if not world.wait_for(
                lambda wanted=wanted: condition() or polls() >= wanted,
                poll_timeout_s,
            ):
                raise AssertionError(
                    f"{polled_by} made no poll for {poll_timeout_s:g} s after step {taken} "
                    f"(the world's clock at +{simulated_elapsed(world):.1f} s)"
                )
        if condition():
            return taken
        if taken < max_steps:
            step(world, step_s)
    raise AssertionError(
        f"{what} did not happen in {max_steps} steps of at most {step_s:g} simulated s "
        f"(the world's clock at +{simulated_elapsed(world):.1f} s)"
    )


class Stepper:
    """Steps a world from a thread of its own while the test's thread runs the code under
    test (a roll's `run()` blocks); see `stepping()`."""

    def __init__(
        self,
        world: World,
        polls: Callable[[], int],
        *,
        polled_by: str,
        step_s: float,
        max_steps: int,
        poll_timeout_s: float,
    ) -> None:
        self.world = world
        self.steps = 0
        self.failure: str | None = None
        self._stop = False
        self._arguments = {
            "polls": polls,
            "polled_by": polled_by,
            "what": "the end of the stepping",
            "step_s": step_s,
            "max_steps": max_steps,
            "poll_timeout_s": poll_timeout_s,
        }
        self._thread = threading.Thread(target=self._run, name="world-stepper", daemon=True)

    @property
    def elapsed(self) -> float:
        """Simulated seconds the world moved since it was made."""
        return simulated_elapsed(self.world)

    def _stopped(self) -> bool:
        return self._stop

    def _run(self) -> None:
        try:
            self.steps = step_until(self.world, self._stopped, **self._arguments)  # type: ignore[arg-type]
        except AssertionError as error:
            self.failure = str(error)

    def start(self) -> None:
        self._thread.start()

    def ended(self, timeout: float = POLL_TIMEOUT_S) -> bool:
        """Wait (up to `timeout` real seconds) for the stepper to end by itself, as it does
        when it fails; whether it ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def stop(self) -> None:
        with self.world.changed:
            self._stop = True
            self.world.changed.notify_all()
        self._thread.join(timeout=POLL_TIMEOUT_S)
        assert not self._thread.is_alive(), "the world's stepper did not stop"


@contextmanager
def stepping(
    world: World,
    *operations: str,
    polls: Callable[[], int] | None = None,
    polled_by: str = "the roll's watch",
    step_s: float = STEP_S,
    max_steps: int = MAX_STEPS,
    poll_timeout_s: float = POLL_TIMEOUT_S,
) -> Iterator[Stepper]:
    """While the block runs, step the world each time the code under test has polled it
    (`operations`: request counters only it increments, one request after another; or
    `polls`, any counter of completed polls, read under the world's lock after each request).

    A failure of the stepper (no poll for `poll_timeout_s`, `max_steps` used up) is raised as
    the block ends, unless the block itself raised.
    """
    stepper = Stepper(
        world,
        polls or requests_of(world, *operations),
        polled_by=f"{polled_by} ({' / '.join(operations)})" if operations else polled_by,
        step_s=step_s,
        max_steps=max_steps,
        poll_timeout_s=poll_timeout_s,
    )
    stepper.start()
    try:
        yield stepper
    finally:
        stepper.stop()
    assert stepper.failure is None, stepper.failure

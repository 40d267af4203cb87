"""event_latency_p95_over_poll: a stack event's creation to its painted log line, over the poll.

The real app on an in-process sandbox with its AWS endpoint, so the roll is watched through
CloudFormation (DescribeStackEvents) at a 1 s poll. Instance keyrolls of acme/production
(three instances: about 30 stack events each) are started through the screens. An event is
created at its simulated timestamp, converted to `time.monotonic()` by the world's clock; its
line appears when the frame after the log's write has been painted (`call_after_refresh`).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.bench.common import Figure, at_most, p95, spread
from tests.bench.dashboard_driver import (
    SIZE,
    SandboxWorkspace,
    dashboard_args,
    start_instance_keyroll,
    wait_until,
)
from tui.app import KeyrollApp
from tui.clients.aws_session import forget_clients
from tui.core.rolls.events import Outcome, StackEventSeen
from tui.sandbox.clock import Clock
from tui.sandbox.runtime import Sandbox

POLL_S = 1.0  # the product polls every 2 s; at 1 s the fixed costs weigh twice as much
SPEED = 5.0  # a 60 s simulated keyroll of three instances takes about 12 s: a dozen polls
RACK = "acme/production"


class LineStamps:
    """Latency of every stack event's log line on one roll screen, from the world's clock."""

    def __init__(self, screen: Any, clock: Clock) -> None:
        self.screen, self.clock = screen, clock
        self.latencies: list[float] = []
        self._upto = screen._seen
        log = screen.log_view
        write = log.flush

        def flush() -> int:
            count: int = write()
            self._written()
            return count

        log.flush = flush  # observe the screen's own batches, change nothing

    def _written(self) -> None:
        run = self.screen.roll_run
        fresh, self._upto = run.events[self._upto : self.screen._seen], self.screen._seen
        born = [
            self.clock.monotonic_at(e.timestamp) for e in fresh if isinstance(e, StackEventSeen)
        ]
        if born:
            self.screen.call_after_refresh(self._painted, born)

    def _painted(self, born: list[float]) -> None:
        now = time.monotonic()
        self.latencies.extend(now - b for b in born)


async def _one_roll(pilot: Any, app: KeyrollApp, sandbox: Sandbox) -> list[float]:
    """One instance keyroll through the screens, to its outcome; its events' latencies."""
    screen = await start_instance_keyroll(pilot, app, RACK)
    stamps = LineStamps(screen, sandbox.world.clock)
    run = screen.roll_run
    await wait_until(pilot, lambda: not run.running, 60.0, "the keyroll's end")
    await wait_until(pilot, lambda: screen.outcome.has_class("-shown"), 10.0, "its outcome")
    summary = run.summary
    if summary is None or summary.outcome is not Outcome.SUCCEEDED:
        raise RuntimeError(f"the benchmark's keyroll did not succeed: {summary}")
    if screen.header_state.watched_with != "CloudFormation":
        raise RuntimeError("the benchmark's keyroll was not watched through CloudFormation")
    await pilot.press("escape", "escape")
    return stamps.latencies


async def _rolls(app: KeyrollApp, sandbox: Sandbox, count: int) -> list[float]:
    latencies: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(count):
            latencies.extend(await _one_roll(pilot, app, sandbox))
        app.exit()
    return latencies


def run(quick: bool) -> list[Figure]:
    rolls = 2 if quick else 5
    sandbox = Sandbox(speed=SPEED, seed=11)
    opener = SandboxWorkspace(sandbox, poll_active_s=POLL_S)
    app = KeyrollApp(dashboard_args(), opener=opener)
    try:
        latencies = asyncio.run(_rolls(app, sandbox, rolls))
    finally:
        forget_clients()
    value = p95(latencies) / POLL_S
    detail = (
        f"{len(latencies)} events over {rolls} keyrolls, poll {POLL_S} s; latency in s: "
        f"{spread(latencies, 3).replace(' rounds', ' events')}, p95 {p95(latencies):.3f}"
    )
    return [at_most("event_latency_p95_over_poll", value, 1.1, detail)]

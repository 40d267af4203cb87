"""flood_keypress_p95_ms and flood_rss_mb: the racks table while one roll floods 10,000 events.

The real app on an in-process sandbox. A `FloodRoll` (a real `Roll`, run by the app's own
roll worker under the rack's lock) emits 10,000 stack events at 2,000 a second: what no
CloudFormation stack sends, to find where the dashboard stops keeping up. Meanwhile Pilot
moves the cursor in the racks table; a key's delay runs from the press to the painted frame
after the table's `RowHighlighted` (seen through `run_test(message_hook=...)`). Then the
roll's screen opens on its 10,000 events, and the process's resident memory is read.

The measurement runs in a fresh interpreter (`python -m tests.bench.flood`), so the memory
figure is this benchmark's alone, not what the benchmarks before it left behind.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.bench.common import Figure, p95, spread, under
from tests.bench.dashboard_driver import SIZE, SandboxWorkspace, dashboard_args, wait_until
from tui.app import KeyrollApp
from tui.core.roll_runs import RollRun
from tui.core.rolls import factory
from tui.core.rolls.base import Roll
from tui.core.rolls.events import Outcome, RollKind, StackEventSeen
from tui.sandbox.runtime import Sandbox

EVENTS = 10_000
RATE = 2_000.0  # events a second
TICK_S = 0.005  # the flood emits what is due every tick
KEY_GAP_S = 0.04  # between key presses: a fast typist's pace
IDLE_PRESSES = 20
STATUSES = ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED", "DELETE_COMPLETE")
ROOT = Path(__file__).resolve().parents[2]


class FloodRoll(Roll):
    """A rack-key roll whose watch sees `count` stack events at `rate` a second, then succeeds."""

    kind = "rack-key"

    def __init__(self, *args: Any, count: int, rate: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.count, self.rate = count, rate
        self.emitted_s = 0.0  # how long the emitting took, to report the rate reached

    def execute(self) -> Outcome:
        began = time.monotonic()
        sent = 0
        while sent < self.count and not self.cancel.is_set():
            due = min(self.count, int((time.monotonic() - began) * self.rate) + 1)
            for n in range(sent, due):
                self.emit(
                    StackEventSeen(
                        datetime.now(UTC),
                        f"Resource{n % 97:03d}",
                        STATUSES[n % len(STATUSES)],
                        f"flood event {n}",
                        "AWS::ECS::Service",
                    )
                )
            sent = due
            time.sleep(TICK_S)
        self.emitted_s = time.monotonic() - began
        return Outcome.SUCCEEDED


class KeyDelays:
    """Stamps the painted frame after each `RowHighlighted` of the racks table."""

    def __init__(self) -> None:
        self.app: KeyrollApp | None = None
        self.painted: list[float] = []
        self._seen: dict[int, Message] = {}  # holding each message keeps its id unique
        self._presses: list[asyncio.Task[None]] = []
        self._expected: int | None = None  # the row the pending key press moves to

    def hook(self, message: Message) -> None:
        """`run_test`'s message hook: a message is dispatched at each node it bubbles through."""
        if not isinstance(message, DataTable.RowHighlighted) or id(message) in self._seen:
            return
        self._seen[id(message)] = message
        app = self.app
        if app is None or message.data_table.id != "racks":
            return
        if message.cursor_row == self._expected:  # a refill of the rows highlights too
            self._expected = None
            app.screen.call_after_refresh(self._stamp)

    def _stamp(self) -> None:
        self.painted.append(time.monotonic())

    async def press(self, pilot: Pilot[Any], table: DataTable[Any]) -> float:
        """Move the cursor one row (down, or up from the last row); seconds until it shows."""
        key = "up" if table.cursor_row >= table.row_count - 1 else "down"
        self._expected = table.cursor_row + (-1 if key == "up" else 1)
        before = len(self.painted)
        began = time.monotonic()
        # Pilot's press waits until the whole process looks idle (up to 2 s under a flood),
        # so it runs on beside the measurement: the stamp says when the move was painted
        self._presses.append(asyncio.create_task(pilot.press(key)))
        while len(self.painted) <= before:
            if time.monotonic() - began > 30.0:
                raise RuntimeError("the cursor did not move within 30 s of its key")
            await asyncio.sleep(0.001)
        return self.painted[before] - began

    async def settle(self) -> None:
        """Wait for every press's own waiting to end."""
        await asyncio.gather(*self._presses)
        self._presses.clear()


def rss_mb() -> float:
    """This process's resident memory now (Linux `/proc/self/status`), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


async def _measure(app: KeyrollApp, delays: KeyDelays) -> dict[str, Any]:
    from tui.screens.racks import RacksScreen
    from tui.screens.roll import RollScreen

    async with app.run_test(size=SIZE, message_hook=delays.hook) as pilot:
        delays.app = app
        await wait_until(pilot, lambda: isinstance(app.screen, RacksScreen), 20.0, "racks")
        table = app.screen.query_one("#racks", DataTable)
        await wait_until(pilot, lambda: table.row_count >= 2, 20.0, "the racks' rows")
        idle = []
        for _ in range(IDLE_PRESSES):
            idle.append(await delays.press(pilot, table))
            await asyncio.sleep(KEY_GAP_S)
        await delays.settle()
        target = app.session.target_for("dev")
        flood: list[FloodRoll] = []

        def build_flood(kind: Any, target: Any, route: str, **choices: Any) -> Roll:
            flood.append(
                FloodRoll(
                    target,
                    route,
                    count=EVENTS,
                    rate=RATE,
                    emit=choices["emit"],
                    cancel=choices["cancel"],
                )
            )
            return flood[0]

        # the session builds its rolls with the roll factory: here, the flood roll instead
        build_roll, factory.build_roll = factory.build_roll, build_flood
        try:
            run: RollRun = app.session.start_roll(RollKind.RACK_KEY, target, "rack")
        finally:
            factory.build_roll = build_roll
        loaded = []
        while run.running:
            loaded.append(await delays.press(pilot, table))
            await asyncio.sleep(KEY_GAP_S)
        await delays.settle()
        await wait_until(pilot, lambda: run.summary is not None, 30.0, "the flood's end")
        if len(run.events) < EVENTS or run.summary is None:
            raise RuntimeError(f"the flood roll ended early: {len(run.events)} events")
        if run.summary.outcome is not Outcome.SUCCEEDED:
            raise RuntimeError(f"the flood roll did not succeed: {run.summary.messages}")
        opened = time.monotonic()
        app.open_roll(run)
        await wait_until(pilot, lambda: isinstance(app.screen, RollScreen), 30.0, "the roll")
        screen = app.screen
        assert isinstance(screen, RollScreen)
        await wait_until(pilot, lambda: screen._seen == len(run.events), 30.0, "its events")
        await pilot.pause()
        open_s = time.monotonic() - opened
        memory = rss_mb()
        lines = screen.log_view.line_count
        app.exit()
    return {
        "idle": idle,
        "loaded": loaded,
        "emitted_s": flood[0].emitted_s,
        "events": len(run.events),
        "open_s": open_s,
        "log_lines": lines,
        "rss_mb": memory,
    }


def measure() -> dict[str, Any]:
    """Run the flood in this process; returns the raw measurements."""
    sandbox = Sandbox(speed=1.0, seed=13)
    app = KeyrollApp(dashboard_args(), opener=SandboxWorkspace(sandbox))
    return asyncio.run(_measure(app, KeyDelays()))


def run(quick: bool) -> list[Figure]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.flood"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the flood benchmark failed: {done.stderr[-3000:]}")
    m = json.loads(done.stdout.strip().splitlines()[-1])
    loaded_ms = [s * 1000 for s in m["loaded"]]
    idle_ms = [s * 1000 for s in m["idle"]]
    detail = (
        f"{len(loaded_ms)} presses during {m['events']} events in {m['emitted_s']:.1f} s "
        f"({m['events'] / m['emitted_s']:.0f}/s), ms: "
        f"{spread(loaded_ms, 0).replace(' rounds', ' presses')}; idle p95 {p95(idle_ms):.0f} ms"
    )
    rss_detail = (
        f"after the flood and opening its roll screen ({m['log_lines']} log lines, "
        f"{m['open_s']:.2f} s to draw)"
    )
    return [
        under("flood_keypress_p95_ms", p95(loaded_ms), 100.0, detail),
        under("flood_rss_mb", m["rss_mb"], 250.0, rss_detail),
    ]


if __name__ == "__main__":
    print(json.dumps(measure()), flush=True)

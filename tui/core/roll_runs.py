"""The rolls running in one keyroll process: each roll's full event history, for any front end.

Screens come and go (escape leaves a roll running); the history stays here, so a screen that
opens a roll again renders it from the start and then follows it live.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the roll engine (and its HTTP clients) load with the first roll
    from tui.core.rolls.base import Roll
    from tui.core.rolls.events import Finished, RollEvent
    from tui.core.rolls.summary import RollSummary

Emit = Callable[["RollEvent"], None]


@dataclass
class RollRun:
    """One roll in this process: the roll, its events so far, and how it ended."""

    run_id: int
    rack: str
    kind: str
    route: str
    cancel: threading.Event = field(default_factory=threading.Event)
    events: list[RollEvent] = field(default_factory=list)
    # when keyroll learned each event (local time), index for index: the log's one clock
    learned_at: list[datetime] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    roll: Roll | None = None
    summary: RollSummary | None = None
    ended: float | None = None

    @property
    def running(self) -> bool:
        return self.summary is None

    @property
    def elapsed_s(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def record(self, event: RollEvent, at: datetime | None = None) -> None:
        """Keep `event` with the moment keyroll learned it (now, unless `at` says)."""
        self.learned_at.append(at or datetime.now().astimezone())  # first: readers go by events
        self.events.append(event)  # list.append is atomic: the UI reads a growing list

    def learned(self, index: int) -> datetime | None:
        """When keyroll learned event `index`, if the run recorded it."""
        return self.learned_at[index] if index < len(self.learned_at) else None

    @property
    def finished(self) -> Finished | None:
        from tui.core.rolls.events import Finished

        return next((e for e in reversed(self.events) if isinstance(e, Finished)), None)


class RollRuns:
    """Every roll started in this process, by run id; thread-safe."""

    def __init__(self) -> None:
        self._runs: dict[int, RollRun] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def start(
        self,
        rack: str,
        kind: str,
        route: str,
        make: Callable[[Emit, threading.Event], Roll],
        on_event: Callable[[RollRun, RollEvent], None] | None = None,
    ) -> RollRun:
        """Register a run and build its roll with an emit that records every event.

        The caller runs `run.roll.run()` (or `run_resumed`) in a thread and then calls
        `finish(run, summary)`.
        """
        run = RollRun(next(self._ids), rack, kind, route)

        def emit(event: RollEvent) -> None:
            run.record(event)
            if on_event is not None:
                on_event(run, event)

        run.roll = make(emit, run.cancel)
        with self._lock:
            self._runs[run.run_id] = run
        return run

    def finish(self, run: RollRun, summary: RollSummary) -> None:
        run.summary = summary
        run.ended = time.monotonic()

    def get(self, run_id: int) -> RollRun | None:
        with self._lock:
            return self._runs.get(run_id)

    def all(self) -> list[RollRun]:
        with self._lock:
            return list(self._runs.values())

    def running(self) -> list[RollRun]:
        return [r for r in self.all() if r.running]

    def latest_for(self, rack: str) -> RollRun | None:
        """The newest run on `rack`, running or not."""
        runs = [r for r in self.all() if r.rack == rack]
        return runs[-1] if runs else None

    def running_on(self, rack: str) -> RollRun | None:
        return next((r for r in self.running() if r.rack == rack), None)

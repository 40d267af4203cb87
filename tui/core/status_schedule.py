"""When each rack's status is due: every `active_s` while a roll runs on it, else `idle_s`.

Dolphie's per-host polling without overlap: the poller asks which racks are due, polls them,
reports them polled, and sleeps until the next one is due. Pure and clock-driven, so a test
can step it without threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable


class StatusSchedule:
    """The next due time of every rack's status poll (monotonic seconds)."""

    def __init__(self, active_s: float, idle_s: float) -> None:
        self.active_s = active_s
        self.idle_s = idle_s
        self._due: dict[str, float] = {}
        self._lock = threading.Lock()

    def due(self, racks: Iterable[str], now: float) -> list[str]:
        """The racks to poll now: never polled, hurried, or past their interval."""
        with self._lock:
            return [name for name in racks if self._due.get(name, 0.0) <= now]

    def polled(self, racks: Iterable[str], active: set[str], now: float) -> None:
        """Record a poll of `racks`; racks in `active` (a roll runs) come back sooner."""
        with self._lock:
            for name in racks:
                self._due[name] = now + (self.active_s if name in active else self.idle_s)

    def hurry(self, rack: str, now: float) -> None:
        """Poll `rack` at the next tick (a roll just started or ended on it)."""
        with self._lock:
            self._due[rack] = min(self._due.get(rack, now), now)

    def wait_s(self, racks: Iterable[str], now: float, *, cap: float) -> float:
        """Seconds until the next rack is due, at most `cap` (so a hurry is seen soon)."""
        with self._lock:
            times = [self._due.get(name, now) for name in racks]
        return max(0.0, min([cap, *(t - now for t in times)]))

    def interval_of(self, rack: str, active: set[str]) -> float:
        """The poll interval `rack` is on now."""
        return self.active_s if rack in active else self.idle_s

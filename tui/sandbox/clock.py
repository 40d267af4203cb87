"""The sandbox's clocks: `Clock` runs `speed` times faster than real time; `SteppedClock`
stands still until a test advances it.

Both give the same interface (`now()`, `monotonic_at()`, `real_seconds()`, `speed`, `start`),
so the world and every server read either one alike. A stepped clock lets a test make the
world show each state of an update for as long as it takes the code under test to see it,
however loaded the machine.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Simulated time = start + real elapsed time x speed; it never goes backwards."""

    stepped = False

    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError("the clock's speed factor must be positive")
        self.speed = speed
        self.start = (start or datetime.now(UTC)).replace(microsecond=0)
        self._origin = time.monotonic()

    def now(self) -> datetime:
        """The simulated time now (UTC, timezone-aware)."""
        return self.start + timedelta(seconds=(time.monotonic() - self._origin) * self.speed)

    def monotonic_at(self, moment: datetime) -> float:
        """The `time.monotonic()` reading at which simulated `moment` comes (or came)."""
        return self._origin + (moment - self.start).total_seconds() / self.speed

    def real_seconds(self, simulated: float) -> float:
        """How many real seconds `simulated` seconds of sandbox time take."""
        return simulated / self.speed


class SteppedClock:
    """Simulated time that moves only by `advance()` / `advance_to()`; never backwards.

    Thread-safe: servers read it from their threads while a test advances it from another.
    `speed` is 0: real time does not move it. `monotonic_at()` of a moment not reached yet is
    infinity, as is `real_seconds()` of any positive span: neither comes by itself, so nothing
    may sleep for them (`wait_until()` wakes when an advance reaches the moment).
    """

    stepped = True
    speed = 0.0

    def __init__(self, start: datetime | None = None) -> None:
        self.start = (start or datetime.now(UTC)).replace(microsecond=0)
        self._offset = timedelta(0)
        # (monotonic reading, simulated time reached) of every advance, oldest first
        self._reached: list[tuple[float, datetime]] = [(time.monotonic(), self.start)]
        self._moved = threading.Condition(threading.Lock())

    def now(self) -> datetime:
        """The simulated time now: where the last advance left it."""
        with self._moved:
            return self.start + self._offset

    @property
    def elapsed(self) -> float:
        """Simulated seconds advanced since the start."""
        with self._moved:
            return self._offset.total_seconds()

    def advance(self, seconds: float) -> datetime:
        """Move simulated time `seconds` forward; returns the new now."""
        if seconds < 0 or math.isnan(seconds):
            raise ValueError("a stepped clock moves forward only")
        with self._moved:
            self._offset += timedelta(seconds=seconds)
            now = self.start + self._offset
            self._reached.append((time.monotonic(), now))
            self._moved.notify_all()
            return now

    def advance_to(self, moment: datetime) -> datetime:
        """Move simulated time to `moment` (nothing happens if it is already past)."""
        with self._moved:
            now = self.start + self._offset
            if moment > now:
                self._offset = moment - self.start
                now = moment
                self._reached.append((time.monotonic(), now))
                self._moved.notify_all()
            return now

    def monotonic_at(self, moment: datetime) -> float:
        """The `time.monotonic()` reading of the advance that reached `moment`; infinity
        while no advance has."""
        with self._moved:
            for reading, reached in self._reached:
                if reached >= moment:
                    return reading
        return math.inf

    def real_seconds(self, simulated: float) -> float:
        """Real time never moves a stepped clock: any positive span takes forever."""
        return math.inf if simulated > 0 else 0.0

    def wait_until(self, moment: datetime, timeout: float | None = None) -> bool:
        """Block until an advance reaches `moment` (or `timeout` real seconds pass); whether
        it came."""
        with self._moved:
            return self._moved.wait_for(lambda: self.start + self._offset >= moment, timeout)


def iso(moment: datetime) -> str:
    """RFC 3339 with milliseconds and a `Z`, as AWS and the Convox API print times."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def iso_seconds(moment: datetime) -> str:
    """RFC 3339 to the second, as Go's `time.Time` marshals a whole-second time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

"""The sandbox's clock: simulated time runs `speed` times faster than real time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Simulated time = start + real elapsed time x speed; it never goes backwards."""

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


def iso(moment: datetime) -> str:
    """RFC 3339 with milliseconds and a `Z`, as AWS and the Convox API print times."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def iso_seconds(moment: datetime) -> str:
    """RFC 3339 to the second, as Go's `time.Time` marshals a whole-second time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

"""Back-off on AWS throttling: 2, 4, 8 ... 32 s with jitter, interruptible, reported as it waits."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from tui.clients.aws_errors import AwsThrottledError, is_throttle, translate

T = TypeVar("T")
DEFAULT_SCHEDULE: tuple[float, ...] = (2.0, 4.0, 8.0, 16.0, 32.0)
DEFAULT_JITTER = 0.2


@dataclass(frozen=True)
class ThrottleNotice:
    """One back-off step, for a screen to show: which call, which retry, how long the wait is."""

    action: str
    attempt: int
    delay: float
    code: str

    def text(self) -> str:
        """The line a screen shows, e.g. "throttled, retrying in 8 s"."""
        return f"throttled, retrying in {round(self.delay):d} s"


class CancelledError(AwsThrottledError):
    """The wait for a throttled call was cancelled through its stop event."""


class Backoff:
    """Retries a throttled AWS call on a schedule, waiting on `stop` so cancelling wakes it.

    The schedule's last step repeats; `max_retries=None` retries until `stop` is set.
    `jitter` spreads each wait by up to that fraction either way, so many racks do not retry
    in step. Tests pass a short schedule and `jitter=0` so nothing sleeps for real.
    """

    def __init__(
        self,
        schedule: Sequence[float] = DEFAULT_SCHEDULE,
        *,
        jitter: float = DEFAULT_JITTER,
        max_retries: int | None = None,
        stop: threading.Event | None = None,
        on_throttle: Callable[[ThrottleNotice], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if not schedule:
            raise ValueError("a back-off schedule needs at least one step")
        self.schedule = tuple(schedule)
        self.jitter = jitter
        self.max_retries = max_retries
        self.stop = stop if stop is not None else threading.Event()
        self.on_throttle = on_throttle
        self.rng = rng if rng is not None else random.Random()
        self.throttled = 0

    def delay_for(self, attempt: int) -> float:
        """The wait before retry number `attempt` (0-based), jitter included."""
        base = self.schedule[min(attempt, len(self.schedule) - 1)]
        if not self.jitter:
            return base
        return max(0.0, base * (1 + self.rng.uniform(-self.jitter, self.jitter)))

    def call(self, action: str, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """`fn(**kwargs)`, retried while AWS throttles it; other errors pass through untouched."""
        attempt = 0
        while True:
            try:
                return fn(**kwargs)
            except Exception as error:
                if not is_throttle(error):
                    raise
                if self.max_retries is not None and attempt >= self.max_retries:
                    raise translate(error, action) from None
                code = str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))
            delay = self.delay_for(attempt)
            self.throttled += 1
            if self.on_throttle is not None:
                self.on_throttle(ThrottleNotice(action, attempt + 1, delay, code))
            if self.stop.wait(delay):
                raise CancelledError(
                    f"Waiting out AWS throttling on {action} was cancelled; "
                    "start it again to resume."
                )
            attempt += 1

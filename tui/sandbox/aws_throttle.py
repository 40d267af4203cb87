"""Scenario `throttle`: a seeded share of CloudFormation calls answer `Throttling`."""

from __future__ import annotations

import random
import threading

DEFAULT_SHARE = 1 / 3
# Never more refusals in a row than keyroll's one-shot calls retry (`Backoff(max_retries=3)`).
DEFAULT_MAX_STREAK = 2
# The scenario's promise: a roll's watch (a handful of polls) always meets throttling, so the
# back-off is seen every time, not two runs in three.
DEFAULT_MAX_CALM = 3
THROTTLE_CODE = "Throttling"
THROTTLE_MESSAGE = "Rate exceeded"


class ThrottleGate:
    """Decides, call by call, whether to refuse with `Throttling` ("Rate exceeded").

    Seeded, so a test sees the same pattern each run; `max_streak` caps refusals in a row, and
    `max_calm` (if set) answered calls in a row.
    """

    def __init__(
        self,
        seed: int | None = None,
        *,
        share: float = DEFAULT_SHARE,
        max_streak: int = DEFAULT_MAX_STREAK,
        max_calm: int | None = None,
    ) -> None:
        if not 0.0 <= share < 1.0:
            raise ValueError("the throttled share must be at least 0 and below 1")
        self.share = share
        self.max_streak = max_streak
        self.max_calm = max_calm
        self._rng = random.Random(seed)
        self._streak = 0
        self._calm = 0
        self._lock = threading.Lock()

    def refuse(self) -> bool:
        """Whether this call is throttled."""
        with self._lock:
            drawn = self._rng.random() < self.share
            overdue = self.max_calm is not None and self._calm >= self.max_calm
            refused = (drawn or overdue) and self._streak < self.max_streak
            self._streak = self._streak + 1 if refused else 0
            self._calm = 0 if refused else self._calm + 1
            return refused

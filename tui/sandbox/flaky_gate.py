"""Scenario `flaky`: a seeded share of rack API requests fail like a sick load balancer."""

from __future__ import annotations

import random
import threading

from tui.sandbox.https_server import Response

DEFAULT_SHARE = 0.25
DEFAULT_STALL_SECONDS = 12.0  # past the clients' 10 s default timeout


class FlakyGate:
    """Decides, request by request, whether to answer 502 `Bad Gateway` or stall then 504."""

    def __init__(
        self,
        seed: int | None = None,
        *,
        share: float = DEFAULT_SHARE,
        stall_seconds: float = DEFAULT_STALL_SECONDS,
    ) -> None:
        self.share = share
        self.stall_seconds = stall_seconds
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def fault(self) -> Response | None:
        """A failure to answer with instead of the real reply, or None to answer normally."""
        with self._lock:
            roll = self._rng.random()
        if roll >= self.share:
            return None
        if roll < self.share / 2:
            return Response(502, b"Bad Gateway")
        return Response(504, b"Gateway Timeout", stall_seconds=self.stall_seconds)

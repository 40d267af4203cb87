"""Scenario `flaky`: a seeded share of rack API requests fail like a sick load balancer."""

from __future__ import annotations

import random
import threading
from collections import Counter

from tui.sandbox.https_server import Response

DEFAULT_SHARE = 0.25
DEFAULT_STALL_SECONDS = 12.0  # past the clients' 10 s default timeout

BAD_GATEWAY, STALL, RESET = "502", "stall-504", "reset"


class FlakyGate:
    """Decides, request by request, whether to answer 502 `Bad Gateway` or stall then 504.

    With `resets`, a third of the faults instead cut the connection (a TCP reset, no
    answer at all). With `lost_answer_share`, that share of the faults strike after the rack
    did the work: the request takes effect and only its answer is lost, as when a load
    balancer gives up on a slow backend. `share` and `stall_seconds` may change while
    serving (a test switches faults on and off mid-roll); `injected` counts faults by kind.
    """

    def __init__(
        self,
        seed: int | None = None,
        *,
        share: float = DEFAULT_SHARE,
        stall_seconds: float = DEFAULT_STALL_SECONDS,
        resets: bool = False,
        lost_answer_share: float = 0.0,
    ) -> None:
        self.share = share
        self.stall_seconds = stall_seconds
        self.resets = resets
        self.lost_answer_share = lost_answer_share
        self.injected: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def fault(self) -> Response | None:
        """A failure to answer with instead of the real reply, or None to answer normally."""
        with self._lock:
            roll = self._rng.random()
            share = self.share
            if roll >= share:
                return None
            part = roll / share  # uniform in [0, 1): which kind of fault
            kinds = 3 if self.resets else 2
            kind = BAD_GATEWAY if part < 1 / kinds else STALL if part < 2 / kinds else RESET
            self.injected[kind] += 1
        if kind == BAD_GATEWAY:
            return Response(502, b"Bad Gateway")
        if kind == STALL:
            return Response(504, b"Gateway Timeout", stall_seconds=self.stall_seconds)
        return Response(0, reset=True)

    def after_the_work(self) -> bool:
        """Whether the fault just drawn strikes after the request took effect (answer lost)."""
        if self.lost_answer_share <= 0:
            return False  # no draw: the seeded sequence stays what it always was
        with self._lock:
            lost = self._rng.random() < self.lost_answer_share
            if lost:
                self.injected["answer-lost"] += 1
            return lost

"""Whether a rack answers during a roll: a once-a-second probe and its up/down timeline."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tui.clients.errors import ClientError
from tui.clients.rack import RackClient

PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class ProbeResult:
    """One probe: when (monotonic seconds), up or down, how long it took, and why if down."""

    at: float
    up: bool
    latency_s: float
    status: str = ""
    error: str = ""
    key_index: int = -1


@dataclass
class AvailabilityTimeline:
    """Every probe of one roll, and the unavailability they measure.

    An outage runs from the first failed probe to the next probe that got an answer (or to
    the last probe, if the rack never came back while probed).
    """

    results: list[ProbeResult] = field(default_factory=list)

    def add(self, result: ProbeResult) -> None:
        self.results.append(result)

    def outages(self) -> list[tuple[float, float]]:
        """(start, end) of each outage, in the probes' clock."""
        spans: list[tuple[float, float]] = []
        start: float | None = None
        for result in self.results:
            if not result.up and start is None:
                start = result.at
            elif result.up and start is not None:
                spans.append((start, result.at))
                start = None
        if start is not None:
            spans.append((start, self.results[-1].at))
        return spans

    @property
    def downtime_s(self) -> float:
        return round(float(sum(end - start for start, end in self.outages())), 3)

    @property
    def longest_outage_s(self) -> float:
        return round(max((end - start for start, end in self.outages()), default=0.0), 3)

    @property
    def probes(self) -> int:
        return len(self.results)

    @property
    def failures(self) -> int:
        return sum(1 for r in self.results if not r.up)


class AvailabilityProbe:
    """Probes a rack with `GET /system` every `interval` seconds in a thread of its own.

    It uses the roll's own client: with dual-key the client holds the new and the old key,
    so the probe counts the rack down only when no key gets an answer. The measured
    unavailability is the rack's, not the key's.
    """

    def __init__(
        self,
        client: RackClient,
        on_result: Callable[[ProbeResult], None] | None = None,
        *,
        interval: float = 1.0,
        timeout: float = PROBE_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.timeline = AvailabilityTimeline()
        self._on_result = on_result
        self._interval = interval
        self._timeout = timeout
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def probe_once(self) -> ProbeResult:
        """One `GET /system`, recorded in the timeline and reported."""
        started = self._clock()
        try:
            system = self.client.system(timeout=self._timeout, retries=0)  # a miss is data
        except ClientError as error:
            result = ProbeResult(started, False, self._clock() - started, error=str(error))
        else:
            keys = self.client.keys
            index = keys.index(self.client.answered_key) if self.client.answered_key in keys else -1
            result = ProbeResult(
                started, True, self._clock() - started, status=system.status, key_index=index
            )
        self.timeline.add(result)
        if self._on_result is not None:
            self._on_result(result)
        return result

    def start(self) -> None:
        """Probe in the background until `stop()`."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="availability-probe", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            began = self._clock()
            self.probe_once()
            self._stop.wait(max(0.0, self._interval - (self._clock() - began)))

    def stop(self) -> AvailabilityTimeline:
        """Stop probing (at once, not after the next interval) and return the timeline."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._timeout + 1)
        return self.timeline

"""Polling a rack's instances and service processes while an instance keyroll runs.

A background thread asks `GET /instances` and, per app, `GET /apps/{app}/services` and
`GET /apps/{app}/processes` every poll interval, through the roll's own client. It feeds
the instance tracker (the only progress source without AWS access) and reports each
service's running count when it changes. A call that fails is skipped: the availability
probe already records outages.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from tui.base.errors import KeyrollError
from tui.clients.models import Process, Service
from tui.clients.rack import RackClient
from tui.core.rolls.events import Note, RollEvent, ServiceProcesses
from tui.core.rolls.instance_progress import InstanceTracker, ServiceCount, service_counts


class FleetWatch:
    """Reports instance replacement and per-service running processes until stopped."""

    def __init__(
        self,
        client: RackClient,
        apps: Sequence[str],
        tracker: InstanceTracker,
        emit: Callable[[RollEvent], None],
        *,
        interval: float,
        tracker_lock: threading.Lock,
    ) -> None:
        self.client = client
        self.apps = list(apps)
        self.tracker = tracker
        self.tracker_lock = tracker_lock
        self.emit = emit
        self.interval = interval
        self.lowest: dict[tuple[str, str], ServiceCount] = {}
        self._last: dict[tuple[str, str], ServiceCount] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="keyroll-fleet", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling and wait for the thread (at most one poll's calls)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def poll_once(self) -> None:
        """One round of calls; failures are skipped."""
        try:
            instances = self.client.instances()
        except KeyrollError:
            instances = None
        if instances is not None:
            with self.tracker_lock:
                progress = self.tracker.feed_instances(instances)
            if progress is not None:
                self.emit(progress)
        services: dict[str, list[Service]] = {}
        processes: dict[str, list[Process]] = {}
        for app in self.apps:
            try:
                services[app] = self.client.services(app)
                processes[app] = self.client.processes(app)
            except KeyrollError:
                services.pop(app, None)
        for count in service_counts(services, processes):
            self._report(count)

    def _report(self, count: ServiceCount) -> None:
        key = (count.app, count.service)
        if self._last.get(key) == count:
            return
        previous = self._last.get(key)
        self._last[key] = count
        lowest = self.lowest.get(key)
        if lowest is None or count.running < lowest.running:
            self.lowest[key] = count
        self.emit(ServiceProcesses(count.app, count.service, count.running, count.desired))
        if count.running == 0 and count.desired > 0 and previous and previous.running > 0:
            self.emit(
                Note(f"{count.app}/{count.service} has no running process right now.", "warning")
            )

    def dips(self) -> list[str]:
        """Each service that ran fewer processes than desired at some poll, and how few."""
        return [
            f"{c.app}/{c.service} fell to {c.running} of {c.desired} running process(es)"
            for c in self.lowest.values()
            if c.running < c.desired
        ]

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            if self._stop.wait(self.interval):
                return

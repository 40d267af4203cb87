"""Instance replacement during a keyroll, read from ASG reason strings or `GET /instances`.

Pure: no I/O. `InstanceTracker` turns the Auto Scaling group's CloudFormation reasons
(verbatim, as the UpdatePolicy of `convox/rack` `provider/aws/formation/rack.json` has
CloudFormation write them) or successive instance lists into `InstanceProgress`
events; `service_counts` turns services and processes into running-vs-desired counts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tui.clients.models import Instance, Process, Service
from tui.core.rolls.events import InstanceProgress

ROLLING_UPDATE = re.compile(
    r"Rolling update initiated\. Terminating (?P<count>\d+) obsolete instance\(s\) in batches "
    r"of (?P<size>\d+)"
)
NEW_INSTANCES = re.compile(r"New instance\(s\) added to autoscaling group")
SIGNAL = re.compile(r"Received SUCCESS signal with UniqueId (?P<id>i-[0-9a-z]+)")
TERMINATING = re.compile(r"Terminating instance\(s\) \[(?P<ids>[^\]]*)\]; replacing with")
TERMINATED = re.compile(
    r"Successfully terminated instance\(s\) \[(?P<ids>[^\]]*)\] \(Progress (?P<pct>\d+)%\)"
)
SIGNAL_FAILURE = re.compile(r"Failed to receive \d+ resource signal\(s\)")
INSTANCE_ID = re.compile(r"i-[0-9a-z]+")


def _ids(text: str) -> list[str]:
    return INSTANCE_ID.findall(text)


class InstanceTracker:
    """Which instances of a rolling replacement are old, new, in service, or gone.

    Every source only adds knowledge (a terminated id stays terminated), so events and
    instance lists can be fed in any order without the progress going backwards. A second
    "Rolling update initiated" is CloudFormation rolling back: `rolling_back` turns on and
    the batch count starts again for the replacement of the new instances.
    """

    def __init__(self, old_ids: Iterable[str], batch_size: int = 1) -> None:
        self.old_ids: tuple[str, ...] = tuple(old_ids)
        self.batch_size = max(1, batch_size)
        self.batches = max(1, math.ceil(len(self.old_ids) / self.batch_size))
        self.batch = 0
        self.percent = 0
        self.rolling_back = False
        self.signal_failed = False
        self._started_updates = 0
        self._added = 0
        self._terminating = 0
        self.new_in_service: list[str] = []
        self.new_seen: list[str] = []
        self._to_undo = 0  # instances with the new key pair a rollback replaces
        self.terminated: list[str] = []
        self._last: InstanceProgress | None = None

    # state ---------------------------------------------------------------------------------

    @property
    def old_remaining(self) -> tuple[str, ...]:
        return tuple(i for i in self.old_ids if i not in self.terminated)

    @property
    def new_key_left(self) -> int:
        """During a rollback: the instances with the new key pair it has still to replace."""
        if not self.rolling_back:
            return 0
        # Counted by identity, not as "terminated since the rollback began": the instance
        # poller may see a new instance gone before the event tail reads the rollback's start.
        undone = sum(1 for instance_id in self.terminated if instance_id not in self.old_ids)
        return max(0, self._to_undo - undone)

    @property
    def all_replaced(self) -> bool:
        """Every old instance is gone and at least one new one is in service."""
        return not self.old_remaining and bool(self.new_in_service)

    def snapshot(self) -> InstanceProgress:
        return InstanceProgress(
            batch=min(self.batch, self.batches),
            batches=self.batches,
            old_remaining=self.old_remaining,
            new_in_service=tuple(self.new_in_service),
            terminated=tuple(self.terminated),
            rolling_back=self.rolling_back,
            new_key_left=self.new_key_left,
        )

    def _changed(self) -> InstanceProgress | None:
        """The new progress when it differs from the last one returned, else None."""
        now = self.snapshot()
        if now == self._last:
            return None
        self._last = now
        return now

    def _terminate(self, ids: Iterable[str]) -> None:
        for instance_id in ids:
            if instance_id not in self.terminated:
                self.terminated.append(instance_id)
            if instance_id in self.new_in_service:
                self.new_in_service.remove(instance_id)

    def _in_service(self, instance_id: str) -> None:
        if instance_id not in self.old_ids and instance_id not in self.terminated:
            if instance_id not in self.new_in_service:
                self.new_in_service.append(instance_id)
            if instance_id not in self.new_seen:
                self.new_seen.append(instance_id)

    # sources -------------------------------------------------------------------------------

    def feed_reason(self, reason: str) -> InstanceProgress | None:
        """One `ResourceStatusReason` of the `Instances` group; the progress if it moved."""
        if match := ROLLING_UPDATE.search(reason):
            self._started_updates += 1
            if self._started_updates > 1:
                self.rolling_back = True
                self._to_undo = int(match["count"])  # the instances that got the new key pair
                self._added = self._terminating = self.batch = 0
            self.batch_size = max(1, int(match["size"]))
            self.batches = max(1, math.ceil(int(match["count"]) / self.batch_size))
        elif NEW_INSTANCES.search(reason):
            self._added += 1
        elif match := SIGNAL.search(reason):
            self._in_service(match["id"])
        elif match := TERMINATING.search(reason):
            self._terminating += 1
        elif match := TERMINATED.search(reason):
            self._terminate(_ids(match["ids"]))
            self.percent = int(match["pct"])
        elif SIGNAL_FAILURE.search(reason):
            self.signal_failed = True
        # a batch starts with new instances (HA) or with a termination (non-HA): either counts
        self.batch = max(self.batch, self._added, self._terminating)
        return self._changed()

    def feed_instances(self, instances: Iterable[Instance]) -> InstanceProgress | None:
        """One `GET /instances` list; the progress if it moved."""
        listed = {i.id: i for i in instances}
        self._terminate(i for i in self.old_ids if i not in listed)
        for instance_id in list(self.new_in_service):
            if instance_id not in listed:
                self._terminate([instance_id])
        for instance in listed.values():
            if instance.id in self.old_ids:
                continue
            if instance.id not in self.new_seen:
                self.new_seen.append(instance.id)
            if instance.healthy:
                self._in_service(instance.id)
        if not self.rolling_back:
            replaced = max(len(self.new_seen), len(self.terminated))
            self.batch = max(self.batch, math.ceil(replaced / self.batch_size))
        return self._changed()


def progress_words(progress: InstanceProgress) -> str:
    """Batch n of m and where the instances stand, worded for what is really happening: a
    rollback replaces the instances that got the new key pair by ones with the old key pair."""
    batch = f"batch {progress.batch} of {progress.batches}"
    if not progress.rolling_back:
        return (
            f"{batch}: {len(progress.old_remaining)} old instance(s) left, "
            f"{len(progress.new_in_service)} new in service"
        )
    return (
        f"rolling back, {batch}: {progress.new_key_left} instance(s) with the new key pair "
        f"still to replace by ones with the old key pair, {len(progress.old_remaining)} from "
        "before the roll untouched"
    )


@dataclass(frozen=True)
class ServiceCount:
    """One service's running processes and its desired count."""

    app: str
    service: str
    running: int
    desired: int


def service_counts(
    services: Mapping[str, Iterable[Service]], processes: Mapping[str, Iterable[Process]]
) -> list[ServiceCount]:
    """Running vs desired for every service of every app (apps and services by name)."""
    counts: list[ServiceCount] = []
    for app in sorted(services):
        running: dict[str, int] = {}
        for process in processes.get(app, ()):
            if process.status == "running":
                running[process.name] = running.get(process.name, 0) + 1
        for service in sorted(services[app], key=lambda s: s.name):
            counts.append(
                ServiceCount(app, service.name, running.get(service.name, 0), service.count)
            )
    return counts

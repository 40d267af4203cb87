"""Stack updates on the world's clock, with the events a real Convox rack update emits.

An update is a script of timed steps built when UpdateStack is accepted. The world applies
every step whose time has come whenever it is read (under its lock), so progress is lazy,
deterministic, and never goes backwards. Reason strings are CloudFormation's, verbatim
(`convox/rack` `provider/aws/formation/rack.json`, the `Instances` UpdatePolicy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tui.base.secret import Secret
from tui.sandbox import instance_lifecycle as life
from tui.sandbox.identifiers import IdMaker
from tui.sandbox.rack import Rack
from tui.sandbox.stack import StackEvent

# Parameters whose change makes a new launch template version: a rolling replacement.
ROLLING_PARAMETERS = frozenset({"Key", "InstanceType", "Ami"})
LAUNCH_TEMPLATES = ("InstancesLaunchTemplate", "SpotInstanceLaunchTemplate", "BuildLaunchTemplate")
NEW_PHYSICAL = (
    "Requested update requires the creation of a new physical resource; hence creating one."
)
SIGNAL_TIMEOUT = "PT5M"
CIRCUIT_BREAKER = (
    "Resource handler returned message: \"Error occurred during operation 'ECS Deployment "
    "Circuit Breaker was triggered'.\" (RequestToken: {token}, HandlerErrorCode: "
    "GeneralServiceException)"
)

# Simulated seconds each part of an update takes at speed 1 (scenario `slow` triples them).
LAUNCH_TEMPLATE_SECONDS = 1.5
INSTANCE_BOOT_SECONDS = 9.0
INSTANCE_DRAIN_SECONDS = 4.0
SIGNAL_FAILURE_SECONDS = 10.0
API_SERVICE_SECONDS = 5.0
PASSWORD_API_SERVICE_SECONDS = 12.0


@dataclass
class Step:
    """One thing that happens at a simulated time."""

    at: datetime
    action: Callable[[datetime], None]


@dataclass
class StackUpdate:
    """An update in progress: its request token, changes, and the steps still to apply."""

    rack: Rack
    token: str
    changed: dict[str, str | Secret]
    previous: dict[str, str | Secret]
    rolls_back: bool
    steps: list[Step] = field(default_factory=list)
    applied: int = 0

    @property
    def done(self) -> bool:
        return self.applied >= len(self.steps)

    @property
    def ends_at(self) -> datetime:
        """When the last step happens (simulated time)."""
        return self.steps[-1].at

    def advance(self, now: datetime) -> None:
        """Apply, in order, every step whose time is `now` or earlier."""
        while self.applied < len(self.steps) and self.steps[self.applied].at <= now:
            step = self.steps[self.applied]
            self.applied += 1
            step.action(step.at)


def record_event(
    rack: Rack,
    ids: IdMaker,
    at: datetime,
    logical: str,
    status: str,
    reason: str = "",
    *,
    token: str = "",
    physical: str | None = None,
) -> StackEvent:
    """Append a stack event and move the stack's or the resource's status with it."""
    stack = rack.stack
    if logical == stack.name:
        stack.status, stack.status_reason = status, reason
        physical_id, kind = stack.stack_id, "AWS::CloudFormation::Stack"
    else:
        resource = stack.resources[logical]
        if physical is not None and not status.startswith("DELETE"):
            resource.physical_id = physical
        resource.status, resource.timestamp, resource.reason = status, at, reason
        physical_id, kind = physical or resource.physical_id, resource.resource_type
    event = StackEvent(
        event_id=ids.uuid(),
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_id=logical,
        physical_id=physical_id,
        resource_type=kind,
        timestamp=at,
        status=status,
        reason=reason,
        client_request_token=token,
    )
    stack.events.append(event)
    return event


class UpdateScript:
    """Builds an update's steps phase by phase, on a cursor of simulated seconds."""

    def __init__(
        self,
        rack: Rack,
        ids: IdMaker,
        start: datetime,
        scale: float,
        token: str,
        *,
        old_key_lingers: bool,
    ) -> None:
        self.rack, self.ids, self.start, self.scale, self.token = rack, ids, start, scale, token
        self.old_key_lingers = old_key_lingers
        self.cursor = 0.0
        self.steps: list[Step] = []
        self.touched: list[str] = []

    def after(self, seconds: float, action: Callable[[datetime], None]) -> None:
        """Schedule `action` `seconds` (scaled) after the previous step."""
        self.cursor += seconds * self.scale
        self.steps.append(Step(self.start + timedelta(seconds=self.cursor), action))

    def event(
        self, seconds: float, logical: str, status: str, reason: str = "", physical: str = ""
    ) -> None:
        """Schedule a stack event."""

        def emit(at: datetime) -> None:
            record_event(
                self.rack,
                self.ids,
                at,
                logical,
                status,
                reason,
                token=self.token,
                physical=physical or None,
            )

        self.after(seconds, emit)

    def root(self, seconds: float, status: str, reason: str = "") -> None:
        self.event(seconds, self.rack.stack.name, status, reason)

    def next_revision(self, logical: str) -> tuple[str, str]:
        """The current physical id of a task definition and the one its replacement gets."""
        old = self.rack.stack.resources[logical].physical_id
        family, _, revision = old.rpartition(":")
        return old, f"{family}:{int(revision) + 1}"

    # phases -----------------------------------------------------------------------------

    def replace_task_definition(self, logical: str) -> str:
        """A task definition is immutable: an update creates a new revision. Returns the old."""
        old, new = self.next_revision(logical)
        self.event(0.5, logical, "UPDATE_IN_PROGRESS")
        self.event(0.3, logical, "UPDATE_IN_PROGRESS", NEW_PHYSICAL, physical=new)
        self.event(1.2, logical, "UPDATE_COMPLETE", physical=new)
        self.touched.append(logical)
        return old

    def password_resources(self) -> str:
        """`RackApiSecret` (SSM) and `ApiMonitorTasks`; returns the old monitor task definition."""
        self.event(1.5, "RackApiSecret", "UPDATE_IN_PROGRESS")
        self.event(2.0, "RackApiSecret", "UPDATE_COMPLETE")
        self.touched.append("RackApiSecret")
        return self.replace_task_definition("ApiMonitorTasks")

    def launch_templates(self, version: int) -> None:
        for logical in LAUNCH_TEMPLATES:
            self.event(0.1, logical, "UPDATE_IN_PROGRESS")
        for logical in LAUNCH_TEMPLATES:
            self.event(
                LAUNCH_TEMPLATE_SECONDS if logical == LAUNCH_TEMPLATES[0] else 0.1,
                logical,
                "UPDATE_COMPLETE",
            )
        self.touched.extend(LAUNCH_TEMPLATES)

        def bump(_at: datetime) -> None:
            self.rack.launch_template_version = version

        self.after(0.0, bump)

    def rolling_replacement(
        self,
        olds: list[str],
        *,
        key_name: str,
        version: int,
        fail_batch: int | None,
        group_size: int,
    ) -> list[str]:
        """The `Instances` ASG's rolling update; returns the new instance ids that came up.

        With `fail_batch`, that batch's instances never signal and the resource fails.
        """
        rack, ids = self.rack, self.ids
        params = rack.stack.parameters
        self.touched.append("Instances")
        if not olds:
            self.event(0.5, "Instances", "UPDATE_IN_PROGRESS")
            self.event(0.5, "Instances", "UPDATE_COMPLETE")
            return []
        batch_size = max(1, int(params.get("InstanceUpdateBatchSize", "1") or 1))
        count = len(olds)
        ha = params.get("HighAvailability", "true") == "true"
        keep = int(params.get("InstanceCount", "3")) if ha else 1
        batches = [olds[i : i + batch_size] for i in range(0, count, batch_size)]
        self.event(0.5, "Instances", "UPDATE_IN_PROGRESS")
        self.event(
            0.3,
            "Instances",
            "UPDATE_IN_PROGRESS",
            f"Rolling update initiated. Terminating {count} obsolete instance(s) in batches of "
            f"{batch_size}, while keeping at least {keep} instance(s) in service. Waiting on "
            f"resource signals with a timeout of {SIGNAL_TIMEOUT} when new instances are added "
            "to the autoscaling group.",
        )
        self.event(
            0.3,
            "Instances",
            "UPDATE_IN_PROGRESS",
            "Temporarily setting autoscaling group MinSize and DesiredCapacity to "
            f"{group_size + len(batches[0])}.",
        )
        came_up: list[str] = []
        done = 0
        for number, batch in enumerate(batches):
            fresh = [ids.instance_id() for _ in batch]

            def launch(at: datetime, fresh: list[str] = fresh) -> None:
                for instance_id in fresh:
                    life.launch_instance(
                        rack, ids, at, instance_id=instance_id, key_name=key_name, version=version
                    )

            self.after(0.5, launch)
            self.event(
                0.0,
                "Instances",
                "UPDATE_IN_PROGRESS",
                f"New instance(s) added to autoscaling group - Waiting on {len(fresh)} resource "
                f"signal(s) with a timeout of {SIGNAL_TIMEOUT}.",
            )
            if number == fail_batch:
                self.event(
                    SIGNAL_FAILURE_SECONDS,
                    "Instances",
                    "UPDATE_FAILED",
                    f"Failed to receive {len(fresh)} resource signal(s) for the current batch. "
                    "Each resource signal timeout is counted as a FAILURE.",
                )

                def give_up(_at: datetime, fresh: list[str] = fresh) -> None:
                    for instance_id in fresh:
                        life.terminate_instance(rack, instance_id)

                self.after(0.0, give_up)
                return came_up
            for position, instance_id in enumerate(fresh):

                def signal(_at: datetime, instance_id: str = instance_id) -> None:
                    life.put_in_service(rack, ids, instance_id)

                self.after(INSTANCE_BOOT_SECONDS if position == 0 else 0.2, signal)
                self.event(
                    0.0,
                    "Instances",
                    "UPDATE_IN_PROGRESS",
                    f"Received SUCCESS signal with UniqueId {instance_id}",
                )
            came_up.extend(fresh)
            listed = ", ".join(batch)

            def drain(at: datetime, batch: list[str] = batch) -> None:
                for instance_id in batch:
                    life.drain_instance(rack, ids, instance_id, at)

            self.after(1.0, drain)
            self.event(
                0.0,
                "Instances",
                "UPDATE_IN_PROGRESS",
                f"Terminating instance(s) [{listed}]; replacing with {len(fresh)} new instance(s).",
            )
            done += len(batch)

            def terminate(_at: datetime, batch: list[str] = batch) -> None:
                for instance_id in batch:
                    life.terminate_instance(rack, instance_id)

            self.after(INSTANCE_DRAIN_SECONDS, terminate)
            self.event(
                0.0,
                "Instances",
                "UPDATE_IN_PROGRESS",
                f"Successfully terminated instance(s) [{listed}] "
                f"(Progress {round(100 * done / count)}%).",
            )
        self.event(0.5, "Instances", "UPDATE_COMPLETE")
        return came_up

    def api_service(self, seconds: float, new_key: Secret | None, *, fail: bool) -> None:
        """`ServiceWebApi` rolls its tasks; with a new key, the rack takes it once they run."""
        rack, ids = self.rack, self.ids
        self.event(0.5, "ServiceWebApi", "UPDATE_IN_PROGRESS")
        self.touched.append("ServiceWebApi")
        if fail:
            self.event(
                seconds, "ServiceWebApi", "UPDATE_FAILED", CIRCUIT_BREAKER.format(token=ids.uuid())
            )
            return

        def replace_tasks(at: datetime) -> None:
            for process in list(rack.system_processes):
                if process.service == "web":
                    process.task_id = ids.task_id()
                    process.started = at
                    process.running_at = at
            if new_key is not None:
                old = list(rack.api_keys) if self.old_key_lingers else []
                rack.api_keys = [new_key, *[k for k in old if k != new_key]]

        self.after(seconds, replace_tasks)
        self.event(0.0, "ServiceWebApi", "UPDATE_COMPLETE")

    def cleanup(self, old_task_definitions: list[tuple[str, str]], *, rollback: bool) -> None:
        prefix = "UPDATE_ROLLBACK_COMPLETE" if rollback else "UPDATE_COMPLETE"
        self.root(0.5, f"{prefix}_CLEANUP_IN_PROGRESS")
        for logical, physical in old_task_definitions:
            self.event(0.5, logical, "DELETE_IN_PROGRESS", physical=physical)
            self.event(0.5, logical, "DELETE_COMPLETE", physical=physical)
        self.root(0.5, prefix)


def build_update(
    rack: Rack,
    ids: IdMaker,
    start: datetime,
    *,
    changed: dict[str, str | Secret],
    previous: dict[str, str | Secret],
    token: str,
    scale: float,
    rolls_back: bool,
    old_key_lingers: bool,
) -> StackUpdate:
    """Script the update of `rack`'s stack from `previous` to the `changed` parameters."""
    script = UpdateScript(rack, ids, start, scale, token, old_key_lingers=old_key_lingers)
    update = StackUpdate(rack, token, changed, previous, rolls_back)
    script.root(0.0, "UPDATE_IN_PROGRESS", "User Initiated")
    new_password = changed.get("Password")
    new_key = new_password if isinstance(new_password, Secret) else None
    rolling = bool(ROLLING_PARAMETERS & changed.keys())
    deleted: list[tuple[str, str]] = []
    if new_key is not None:
        deleted.append(("ApiMonitorTasks", script.password_resources()))
    if rolling:
        old_version = rack.launch_template_version
        olds = [i.instance_id for i in rack.live_instances() if i.lifecycle == "InService"]
        olds.sort(key=lambda i: rack.instance(i).launched)
        script.launch_templates(old_version + 1)
        fail_batch = None
        if rolls_back:
            batch_size = max(1, int(rack.stack.parameters.get("InstanceUpdateBatchSize", "1")))
            fail_batch = min(1, max(1, -(-len(olds) // batch_size)) - 1)  # the second batch
        key_name = str(changed.get("Key", rack.stack.parameters.get("Key", "")))
        came_up = script.rolling_replacement(
            olds,
            key_name=key_name,
            version=old_version + 1,
            fail_batch=fail_batch,
            group_size=len(olds),
        )
        if rolls_back:
            _roll_back(script, update, came_up, old_version, deleted, "Instances")
        else:
            deleted.append(("ApiWebTasks", script.replace_task_definition("ApiWebTasks")))
            script.api_service(API_SERVICE_SECONDS, new_key, fail=False)
            script.cleanup(deleted, rollback=False)
    elif new_key is not None:
        script.api_service(PASSWORD_API_SERVICE_SECONDS, new_key, fail=rolls_back)
        if rolls_back:
            _roll_back(script, update, [], rack.launch_template_version, deleted, "ServiceWebApi")
        else:
            script.cleanup(deleted, rollback=False)
    else:
        script.after(3.0, lambda _at: None)  # no resource of note depends on the parameter
        script.cleanup(deleted, rollback=False)
    update.steps = script.steps
    return update


def _roll_back(
    script: UpdateScript,
    update: StackUpdate,
    came_up: list[str],
    old_version: int,
    created: list[tuple[str, str]],
    failed: str,
) -> None:
    """Roll every touched resource back, replace new instances, restore the parameters."""
    rack = script.rack
    previous = update.previous

    def restore(_at: datetime) -> None:
        for name, value in previous.items():
            if isinstance(value, Secret):
                rack.stack.password = value
            else:
                rack.stack.parameters[name] = value

    script.root(
        0.5,
        "UPDATE_ROLLBACK_IN_PROGRESS",
        f"The following resource(s) failed to update: [{failed}]. ",
    )
    script.after(0.0, restore)
    new_definitions: list[tuple[str, str]] = []
    # CloudFormation rolls back in dependency order: launch templates before the ASG
    for logical in dict.fromkeys(script.touched):
        if logical == "Instances":
            key_name = str(previous.get("Key", rack.stack.parameters.get("Key", "")))
            script.rolling_replacement(
                came_up,
                key_name=key_name,
                version=old_version,
                fail_batch=None,
                group_size=len(rack.live_instances()),
            )
            continue
        if logical in ("ApiMonitorTasks", "ApiWebTasks"):
            # rolling back a task definition brings the old revision back; the new one goes
            current = next(p for n, p in created if n == logical)
            newer = script.next_revision(logical)[1]
            new_definitions.append((logical, newer))
            script.event(0.5, logical, "UPDATE_IN_PROGRESS", physical=current)
            script.event(1.0, logical, "UPDATE_COMPLETE", physical=current)
            continue
        script.event(0.5, logical, "UPDATE_IN_PROGRESS")
        seconds = API_SERVICE_SECONDS if logical == "ServiceWebApi" else 1.0
        script.event(seconds, logical, "UPDATE_COMPLETE")
        if logical in LAUNCH_TEMPLATES and logical == LAUNCH_TEMPLATES[0]:

            def unbump(_at: datetime) -> None:
                rack.launch_template_version = old_version

            script.after(0.0, unbump)
    script.cleanup(new_definitions, rollback=True)

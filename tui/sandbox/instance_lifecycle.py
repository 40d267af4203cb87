"""The ASG and ECS side of an instance's life: launch, in service, drain, terminate.

Draining an instance stops its tasks and starts replacements elsewhere, pending for a few
seconds: a service whose only process was there is down until its replacement runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tui.sandbox.fleet import Ec2Instance
from tui.sandbox.identifiers import IdMaker
from tui.sandbox.rack import Rack
from tui.sandbox.workloads import Process

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
# Simulated seconds a replacement task spends pending (image pull, health check).
TASK_START_SECONDS = 3.0


def launch_instance(
    rack: Rack, ids: IdMaker, at: datetime, *, instance_id: str, key_name: str, version: int
) -> Ec2Instance:
    """Add a pending instance to the rack's `Instances` group."""
    zone_counts = {z: 0 for z in ZONES}
    for inst in rack.instances:
        if inst.listed:
            zone_counts[inst.availability_zone] = zone_counts.get(inst.availability_zone, 0) + 1
    instance = Ec2Instance(
        instance_id=instance_id,
        private_ip=ids.private_ip(),
        launched=at,
        launch_template_version=version,
        key_name=key_name,
        instance_type=rack.stack.parameters.get("InstanceType", "t3.small"),
        availability_zone=min(zone_counts, key=lambda z: zone_counts[z]),
    )
    rack.instances.append(instance)
    return instance


def put_in_service(rack: Rack, ids: IdMaker, instance_id: str) -> None:
    """The instance booted, registered with ECS and signalled success."""
    instance = rack.instance(instance_id)
    instance.lifecycle = "InService"
    instance.ec2_state = "running"
    instance.ecs_status = "ACTIVE"
    instance.agent_connected = True
    instance.cpu = round(ids.rng.uniform(0.05, 0.2), 2)
    instance.memory = round(ids.rng.uniform(0.1, 0.3), 2)


def drain_instance(rack: Rack, ids: IdMaker, instance_id: str, at: datetime) -> None:
    """ECS drains the instance: its tasks stop and replacements start on other instances."""
    instance = rack.instance(instance_id)
    instance.lifecycle = "Terminating"
    instance.ecs_status = "DRAINING"
    moving = [p for p in rack.processes + rack.system_processes if p.instance_id == instance_id]
    for old in moving:
        target = place(rack, old)
        if target is None:
            continue  # nowhere to run it: the task stays down until an instance is free
        replacement = Process(
            task_id=ids.task_id(),
            app=old.app,
            service=old.service,
            release=old.release,
            instance_id=target.instance_id,
            started=at,
            running_at=at + timedelta(seconds=TASK_START_SECONDS),
            image=old.image,
            task_definition=old.task_definition,
            host_port=ids.rng.randint(32768, 60999),
            container_port=old.container_port,
            command=old.command,
            cpu=old.cpu,
            memory=old.memory,
            system=old.system,
        )
        pool = rack.system_processes if old.system else rack.processes
        pool.remove(old)
        pool.append(replacement)


def terminate_instance(rack: Rack, instance_id: str) -> None:
    """The instance is gone: DescribeInstances keeps it as `terminated` for a while."""
    instance = rack.instance(instance_id)
    instance.lifecycle = "Terminated"
    instance.ec2_state = "terminated"
    instance.ecs_status = ""
    instance.agent_connected = False
    for pool in (rack.processes, rack.system_processes):
        pool[:] = [p for p in pool if p.instance_id != instance_id]


def place(rack: Rack, process: Process) -> Ec2Instance | None:
    """ECS spread placement: the schedulable instance with fewest tasks of that service."""
    candidates = [
        i for i in rack.instances if i.schedulable and i.instance_id != process.instance_id
    ]
    if not candidates:
        return None
    everything = rack.processes + rack.system_processes

    def load(instance: Ec2Instance) -> tuple[int, int, str]:
        same = sum(
            1
            for p in everything
            if p.instance_id == instance.instance_id
            and p.app == process.app
            and p.service == process.service
        )
        total = sum(1 for p in everything if p.instance_id == instance.instance_id)
        return same, total, instance.instance_id

    return min(candidates, key=load)

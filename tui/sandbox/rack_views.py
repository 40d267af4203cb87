"""The rack API's JSON shapes (`pkg/structs`), read from the world. Call under the lock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tui.sandbox.clock import iso_seconds
from tui.sandbox.rack import Rack
from tui.sandbox.workloads import App


def system_json(rack: Rack, status: str) -> dict[str, Any]:
    """`GET /system` (`provider/aws/system.go` SystemGet): `Password` masked, `Tags` added."""
    stack = rack.stack
    parameters = stack.masked_parameters()
    parameters["Tags"] = ",".join(f"{k}={v}" for k, v in sorted(stack.tags.items()))
    return {
        "count": int(stack.parameters.get("InstanceCount", "0") or 0),
        "domain": rack.router_domain,
        "name": rack.name,
        "outputs": dict(sorted(stack.outputs.items())),
        "parameters": dict(sorted(parameters.items())),
        "provider": "aws",
        "rack-domain": rack.rack_domain,
        "region": rack.region,
        "status": status,
        "type": stack.parameters.get("InstanceType", ""),
        "version": stack.parameters.get("Version", ""),
    }


def instances_json(rack: Rack, now: datetime) -> list[dict[str, Any]]:
    """`GET /instances`: EC2 instances not terminated, joined with ECS, sorted by id."""
    everything = rack.processes + rack.system_processes
    out = []
    for instance in rack.live_instances():
        running = sum(
            1
            for p in everything
            if p.instance_id == instance.instance_id and p.status(now) == "running"
        )
        out.append(
            {
                "agent": instance.agent_connected,
                "cpu": instance.cpu,
                "id": instance.instance_id,
                "memory": instance.memory,
                "private-ip": instance.private_ip,
                "processes": running,
                "public-ip": "",
                "status": instance.ecs_status.lower(),
                "started": iso_seconds(instance.launched),
            }
        )
    return out


def app_json(rack: Rack, app: App) -> dict[str, Any]:
    """One app of `GET /apps` (`pkg/structs/app.go`)."""
    return {
        "generation": "2",
        "locked": False,
        "name": app.name,
        "release": app.release,
        "router": rack.router_domain,
        "status": "running",
        "parameters": dict(sorted(app.parameters.items())),
    }


def services_json(rack: Rack, app: App) -> list[dict[str, Any]]:
    """`GET /apps/{app}/services`: `count` is the desired count."""
    return [
        {
            "name": service.name,
            "count": service.count,
            "cpu": service.cpu,
            "memory": service.memory,
            "domain": f"{app.name}-{service.name}.{rack.router_domain}",
            "ports": []
            if service.name == "worker"
            else [{"balancer": 443, "container": service.port, "certificate": ""}],
            "nlb": [],
        }
        for service in app.services
    ]


def processes_json(
    rack: Rack, app: App, now: datetime, *, service: str = "", release: str = ""
) -> list[dict[str, Any]]:
    """`GET /apps/{app}/processes[?service=&release=]`."""
    chosen = [
        p
        for p in rack.processes
        if p.app == app.name
        and (not service or p.service == service)
        and (not release or p.release == release)
    ]
    chosen.sort(key=lambda p: (p.service, p.started, p.task_id))
    return [p.to_json(now) for p in chosen]


def system_processes_json(rack: Rack, now: datetime) -> list[dict[str, Any]]:
    """`GET /system/processes`: the rack's own API and monitor tasks."""
    chosen = sorted(rack.system_processes, key=lambda p: (p.service, p.task_id))
    return [p.to_json(now) for p in chosen]

"""What runs on a rack: apps with releases, services with desired counts, ECS processes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tui.sandbox.clock import iso_seconds


@dataclass
class Service:
    """A service of an app; `count` is the desired count (`<Service>Formation`)."""

    name: str
    count: int
    port: int = 3000
    cpu: int = 256
    memory: int = 512


@dataclass
class App:
    """A generation-2 app with its current release."""

    name: str
    release: str
    services: list[Service]
    parameters: dict[str, str] = field(default_factory=dict)


@dataclass
class Process:
    """An ECS task. It is `pending` until `running_at`, then `running`."""

    task_id: str
    app: str
    service: str
    release: str
    instance_id: str
    started: datetime
    running_at: datetime
    image: str
    task_definition: str
    host_port: int
    container_port: int
    command: str = ""
    cpu: float = 0.0
    memory: float = 0.0
    system: bool = False  # one of the rack's own processes (`GET /system/processes`)

    def status(self, now: datetime) -> str:
        """ECS `LastStatus`, lowercased as the rack shows it."""
        return "running" if now >= self.running_at else "pending"

    def to_json(self, now: datetime) -> dict[str, Any]:
        """The process as `GET /apps/{app}/processes` shows it (`pkg/structs/process.go`)."""
        return {
            "id": self.task_id,
            "app": self.app,
            "command": self.command,
            "cpu": self.cpu,
            "host": "",
            "image": self.image,
            "instance": self.instance_id,
            "memory": self.memory,
            "name": self.service,
            "ports": [f"{self.host_port}:{self.container_port}"],
            "release": self.release,
            "started": iso_seconds(self.started),
            "status": self.status(now),
            "task_definition": self.task_definition,
        }

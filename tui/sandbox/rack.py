"""One simulated rack: its stack, instances, workloads, and the API keys it accepts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui.base.secret import Secret
from tui.sandbox.fleet import Ec2Instance
from tui.sandbox.stack import Stack
from tui.sandbox.workloads import App, Process

if TYPE_CHECKING:
    from tui.sandbox.updates import StackUpdate


@dataclass
class Rack:
    """A rack: `organization` is empty for a self-managed rack (not in the Console)."""

    name: str
    organization: str
    stack: Stack
    region: str
    router_domain: str
    rack_domain: str
    account_id: str
    launch_template_id: str
    launch_template_version: int
    api_keys: list[Secret]
    instances: list[Ec2Instance] = field(default_factory=list)
    apps: list[App] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    system_processes: list[Process] = field(default_factory=list)
    instance_key: Secret | None = None  # the settings bucket's `instance-key` object
    update: StackUpdate | None = None
    asg_desired: int = 0

    @property
    def full_name(self) -> str:
        """`org/name` for a Console rack, the plain name for a self-managed one."""
        return f"{self.organization}/{self.name}" if self.organization else self.name

    @property
    def asg_name(self) -> str:
        """The physical name of the `Instances` auto scaling group."""
        return self.stack.resources["Instances"].physical_id

    @property
    def launch_template_name(self) -> str:
        return self.stack.resources["InstancesLaunchTemplate"].physical_id

    def accepts(self, key: str) -> bool:
        """Whether the rack API takes `key` as its password right now."""
        candidate = Secret(key)
        return any(candidate == accepted for accepted in self.api_keys)

    def live_instances(self) -> list[Ec2Instance]:
        """Instances that are not terminated, sorted by id as `GET /instances` sorts them."""
        return sorted((i for i in self.instances if i.listed), key=lambda i: i.instance_id)

    def instance(self, instance_id: str) -> Ec2Instance:
        return next(i for i in self.instances if i.instance_id == instance_id)

    def app(self, name: str) -> App | None:
        return next((a for a in self.apps if a.name == name), None)

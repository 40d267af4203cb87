"""Checks before a roll starts: is the stack stable, which services risk downtime."""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.clients.models import Instance, System
from tui.clients.rack import RackClient

MIN_SAFE_PROCESSES = 3  # Convox docs: fewer than three running processes risks downtime


@dataclass(frozen=True)
class ServiceRisk:
    """A service with fewer than three running processes: an instance keyroll may take it down."""

    app: str
    service: str
    running: int
    desired: int

    @property
    def certain_outage(self) -> bool:
        """One process (or none): the docs say an outage is certain, not just possible."""
        return self.running <= 1

    def sentence(self) -> str:
        chance = "will go down" if self.certain_outage else "may go down briefly"
        return (
            f"{self.app}/{self.service} runs {self.running} of {self.desired} process(es) and "
            f"{chance} while instances are replaced"
        )


@dataclass
class PreflightReport:
    """What the checks found. `blockers` refuse the roll; `risks` need `--force` or a typed yes."""

    rack: str
    status: str = ""
    key_name: str = ""
    version: str = ""
    blockers: list[str] = field(default_factory=list)
    risks: list[ServiceRisk] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    services_checked: int = 0
    instances: list[Instance] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.blockers and not self.risks

    def refusal(self, *, forced: bool) -> str | None:
        """One sentence refusing the roll, or None when it may go on."""
        if self.blockers:
            return self.blockers[0]
        if self.risks and not forced:
            names = ", ".join(f"{r.app}/{r.service} ({r.running})" for r in self.risks)
            return (
                f"{len(self.risks)} service(s) on {self.rack} run fewer than "
                f"{MIN_SAFE_PROCESSES} processes and risk downtime during an instance keyroll: "
                f"{names}; scale them up, or confirm with --force."
            )
        return None


def stability_blocker(rack: str, system: System) -> str | None:
    """Why the stack may not be updated now, or None when it is stable (`running`)."""
    if system.status == "running":
        return None
    why = {
        "updating": "is updating",
        "rollback": "is rolling back",
        "converging": "is converging (instances not yet in service)",
        "failed": "is in a failed state",
    }.get(system.status, f"reports status '{system.status}'")
    return (
        f"Rack {rack} {why}; wait until it reads running, then start the roll "
        "(a roll now could leave the saved key and the instances mismatched)."
    )


def check_stack(rack: str, client: RackClient) -> PreflightReport:
    """The checks every roll needs: the stack must be stable."""
    system = client.system()
    report = PreflightReport(
        rack=rack, status=system.status, key_name=system.key_name, version=system.version
    )
    blocker = stability_blocker(rack, system)
    if blocker:
        report.blockers.append(blocker)
    return report


def check_instance_keyroll(rack: str, client: RackClient) -> PreflightReport:
    """Stack stable, services with fewer than three running processes, unhealthy instances."""
    report = check_stack(rack, client)
    for app in client.apps():
        running_by_service: dict[str, int] = {}
        for process in client.processes(app.name):
            if process.status == "running":
                running_by_service[process.name] = running_by_service.get(process.name, 0) + 1
        for service in client.services(app.name):
            report.services_checked += 1
            running = running_by_service.get(service.name, 0)
            if running < MIN_SAFE_PROCESSES and (service.count > 0 or running > 0):
                report.risks.append(ServiceRisk(app.name, service.name, running, service.count))
    report.instances = client.instances()
    for instance in report.instances:
        if not instance.healthy:
            state = instance.status or "not registered with ECS"
            agent = "" if instance.agent else ", agent disconnected"
            report.warnings.append(f"instance {instance.id} is {state}{agent}")
    return report

"""What the rack screen shows: status, parameters, instances, services and roll history.

One `fetch_rack_overview` call reads it all from the rack's API (direct or through its
Console) and the journal. A part that cannot be read becomes a sentence in `problems`, so
one failing call never blanks the whole screen; only an unreachable `GET /system` raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.base.errors import KeyrollError
from tui.base.secret import MASK
from tui.clients.errors import ClientError
from tui.clients.models import Instance, System
from tui.clients.rack import RackClient
from tui.core.inventory import Inventory, RackEntry, rack_client
from tui.core.journal import HistoryEntry, Journal
from tui.core.preflight import MIN_SAFE_PROCESSES

SHOWN_PARAMETERS = ("Password", "Key", "InstanceCount", "Version")
MASKED_PARAMETERS = frozenset({"Password"})


@dataclass(frozen=True)
class ServiceRow:
    """One service of one app: running processes against the desired count."""

    app: str
    service: str
    running: int
    desired: int

    @property
    def at_risk(self) -> bool:
        """Fewer than three running processes: an instance keyroll may take it down."""
        return self.running < MIN_SAFE_PROCESSES and (self.desired > 0 or self.running > 0)


@dataclass
class RackOverview:
    """Everything the rack screen renders, read in one worker call."""

    rack: str
    system: System
    instances: list[Instance] = field(default_factory=list)
    services: list[ServiceRow] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def parameters(self) -> list[tuple[str, str]]:
        """The parameters the screen shows, `Password` always masked (whatever the rack sent)."""
        out = []
        for name in SHOWN_PARAMETERS:
            value = self.system.parameters.get(name, "")
            out.append((name, MASK if name in MASKED_PARAMETERS else value or "-"))
        return out

    @property
    def risks(self) -> list[ServiceRow]:
        return [row for row in self.services if row.at_risk]


def fetch_rack_overview(inventory: Inventory, rack: RackEntry, journal: Journal) -> RackOverview:
    """Read `rack`'s status, instances, apps, services and processes, and its roll history."""
    with rack_client(inventory, rack) as client:
        try:
            system = client.system()
        except ClientError as error:
            raise KeyrollError(f"{rack.name} did not answer GET /system: {error}") from None
        overview = RackOverview(rack.name, system)
        try:
            overview.instances = client.instances()
        except ClientError as error:
            overview.problems.append(f"The instances of {rack.name} are missing: {error}")
        try:
            overview.services = _services(client)
        except ClientError as error:
            overview.problems.append(f"The services of {rack.name} are missing: {error}")
    overview.history = journal.history(rack.name)
    return overview


def _services(client: RackClient) -> list[ServiceRow]:
    rows: list[ServiceRow] = []
    for app in client.apps():
        running: dict[str, int] = {}
        for process in client.processes(app.name):
            if process.status == "running":
                running[process.name] = running.get(process.name, 0) + 1
        for service in client.services(app.name):
            rows.append(
                ServiceRow(app.name, service.name, running.get(service.name, 0), service.count)
            )
    return rows

"""Live status of many racks at once: one kept-alive connection pool per host, bounded threads.

A refresh of 200 racks costs about one slow rack's time, not 200 of them: every rack is
asked at once (up to `max_concurrency` in flight), and each host's TLS connection is kept
between refreshes, so a steady-state refresh does no handshakes.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from tui.clients.rack import RackClient
from tui.core.errors import KeyrollError
from tui.core.inventory import STATUS_TIMEOUT_S, Inventory, RackEntry, RackStatus, rack_client

DEFAULT_CONCURRENCY = 256


class FleetStatus:
    """Refreshes racks' `GET /system`, keeping one client (and pool) per rack between calls."""

    def __init__(
        self,
        inventory: Inventory,
        *,
        timeout: float = STATUS_TIMEOUT_S,
        max_concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.inventory = inventory
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="status")
        self._clients: dict[str, RackClient] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FleetStatus({len(self.inventory.racks)} racks)"

    def _client(self, rack: RackEntry) -> RackClient:
        with self._lock:
            client = self._clients.get(rack.name)
            if client is None:
                client = rack_client(self.inventory, rack, timeout=self.timeout)
                self._clients[rack.name] = client
            return client

    def _one(self, rack: RackEntry) -> RackStatus:
        if not rack.host:
            return RackStatus(rack.name, "unknown", f"keyroll knows no host for {rack.name}.")
        try:
            system = self._client(rack).system(retries=0)  # the next refresh asks again
        except KeyrollError as error:
            return RackStatus(rack.name, "unknown", str(error))
        except Exception as error:  # one rack's surprise must not blank the whole table
            return RackStatus(
                rack.name,
                "unknown",
                f"The status check of {rack.name} failed unexpectedly "
                f"({error.__class__.__name__}); try again.",
            )
        return RackStatus(rack.name, system.status, None, system.version, system.region)

    def refresh(self, racks: Sequence[RackEntry] | None = None) -> dict[str, RackStatus]:
        """The status of `racks` (default: all), asked all at once; never raises."""
        chosen = list(self.inventory.racks if racks is None else racks)
        return {s.name: s for s in self._pool.map(self._one, chosen)}

    def forget(self, rack_name: str) -> None:
        """Drop a rack's client (after its keys changed): the next refresh makes a new one."""
        with self._lock:
            client = self._clients.pop(rack_name, None)
        if client is not None:
            client.close()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

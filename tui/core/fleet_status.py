"""Live status of many racks at once: one kept-alive connection pool per rack, bounded threads.

A refresh of 200 racks costs about one slow rack's time, not 200 of them: every rack is
asked at once (up to `max_concurrency` in flight), and each rack's TLS connection is kept
between refreshes (`keepalive_s`, longer than the dashboard's idle poll), so a steady
refresh does no handshakes. The dashboard polls through one `FleetStatus`; the status rule
itself (what `unknown` says) is `inventory.rack_status`, shared with `fetch_statuses`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tui.clients.rack import RackClient
from tui.core.inventory import (
    STATUS_TIMEOUT_S,
    VIA_CONSOLE,
    Inventory,
    RackEntry,
    RackStatus,
    rack_client,
    rack_keys,
    rack_status,
)

DEFAULT_CONCURRENCY = 256
KEEPALIVE_S = 300.0  # well over the dashboard's 30 s idle poll: the pool outlives the gap


@dataclass(frozen=True)
class _Reach:
    """What a rack's client was built for: a change of any of these needs a new client."""

    base: str
    via: str
    verify: bool | str


class FleetStatus:
    """Refreshes racks' `GET /system`, keeping one client (and pool) per rack between calls.

    The keys each call carries are the inventory's at that refresh (`use` gives a new
    inventory, e.g. with the keystore's keys read again); a rack whose address or
    certificate check changed gets a new client; `forget(rack)` drops one for sure.
    """

    def __init__(
        self,
        inventory: Inventory,
        *,
        timeout: float = STATUS_TIMEOUT_S,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        keepalive_s: float = KEEPALIVE_S,
    ) -> None:
        self.inventory = inventory
        self.timeout = timeout
        self.keepalive_s = keepalive_s
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="status")
        self._clients: dict[str, tuple[_Reach, RackClient]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.clients_made = 0  # how many clients this fleet has built (each a new connection)

    def __repr__(self) -> str:
        return f"FleetStatus({len(self.inventory.racks)} racks, {len(self._clients)} clients)"

    def use(self, inventory: Inventory) -> None:
        """Refresh with `inventory` from now on; clients of racks it no longer names close."""
        names = {r.name for r in inventory.racks}
        with self._lock:
            self.inventory = inventory
            gone = [n for n in self._clients if n not in names]
            dropped = [self._clients.pop(n)[1] for n in gone]
        for client in dropped:
            client.close()

    def _reach(self, inventory: Inventory, rack: RackEntry) -> _Reach:
        base = (inventory.console_url or "") if rack.via == VIA_CONSOLE else ""
        return _Reach(base or rack.host or "", rack.via, inventory.rack_verify(rack))

    def _client(self, inventory: Inventory, rack: RackEntry) -> RackClient:
        reach = self._reach(inventory, rack)
        keys = rack_keys(inventory, rack)
        with self._lock:
            held = self._clients.get(rack.name)
        if held is not None and held[0] == reach:
            if held[1].keys != keys:
                held[1].set_keys(keys)  # keys go with each call: the connection stays
            return held[1]
        # Built outside the lock: the racks' first refresh builds their clients side by side.
        client = rack_client(inventory, rack, timeout=self.timeout, keepalive_s=self.keepalive_s)
        with self._lock:
            if self._closed:
                stale: RackClient | None = client
            else:
                old = self._clients.get(rack.name)
                if old is not None and old[0] == reach:  # another thread made one meanwhile
                    stale, client = client, old[1]
                else:
                    stale = old[1] if old is not None else None
                    self._clients[rack.name] = (reach, client)
                    self.clients_made += 1
        if stale is not None:
            stale.close()
        return client

    def _one(self, inventory: Inventory, rack: RackEntry) -> RackStatus:
        return rack_status(
            inventory,
            rack,
            lambda: self._client(inventory, rack).system(retries=0),  # the next poll asks again
        )

    def refresh(self, racks: Sequence[RackEntry] | None = None) -> dict[str, RackStatus]:
        """The status of `racks` (default: all), asked all at once; never raises."""
        inventory = self.inventory
        chosen = list(inventory.racks if racks is None else racks)
        return {s.name: s for s in self._pool.map(lambda r: self._one(inventory, r), chosen)}

    def forget(self, rack_name: str) -> None:
        """Drop a rack's client (after its keys changed): the next refresh makes a new one."""
        with self._lock:
            held = self._clients.pop(rack_name, None)
        if held is not None:
            held[1].close()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            self._closed = True
            clients, self._clients = [c for _, c in self._clients.values()], {}
        for client in clients:
            client.close()

"""fleet_refresh_ratio: refreshing 200 racks that each take 100 ms, over refreshing one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from multiprocessing import Event, Pipe, Process
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from tempfile import TemporaryDirectory

from tests.bench.common import Figure, at_most, median
from tui.core.fleet_status import FleetStatus
from tui.core.inventory import Inventory, RackEntry
from tui.core.keygen import generate_rack_key
from tui.sandbox.certificate import make_certificate
from tui.sandbox.https_server import Request, Response, TlsServer

DELAY_S = 0.1


def _slow_system(request: Request) -> Response:
    return Response(
        200,
        b'{"name":"bench","status":"running","version":"20240415123456","count":3}\n',
        "application/json",
        stall_seconds=DELAY_S,
    )


def _serve(count: int, ports: Connection, stop: EventType) -> None:
    """In a child process, so the servers' work does not compete with the client's GIL."""
    with ExitStack() as stack, TemporaryDirectory() as tmp:
        context = make_certificate(Path(tmp)).server_context()
        for _ in range(count):
            server = TlsServer(0, _slow_system, context)
            server.start()
            stack.callback(server.stop)
            ports.send(server.port)
        stop.wait()


@contextmanager
def slow_racks(count: int) -> Iterator[Inventory]:
    """`count` rack APIs on loopback, each answering `GET /system` after 100 ms."""
    receive, send = Pipe(duplex=False)
    stop = Event()
    child = Process(target=_serve, args=(count, send, stop), daemon=True)
    child.start()
    try:
        key = generate_rack_key()
        inventory = Inventory()
        for n in range(count):
            host = f"127.0.0.1:{receive.recv()}"
            inventory.racks.append(RackEntry(f"rack{n:03d}", "direct", host, ("keyroll",)))
            inventory.keys_by_host[host] = [key]
        yield inventory
    finally:
        stop.set()
        child.join(timeout=10)


def _timed_refresh(fleet: FleetStatus, racks: list[RackEntry]) -> float:
    began = time.perf_counter()
    statuses = fleet.refresh(racks)
    elapsed = time.perf_counter() - began
    bad = [s for s in statuses.values() if s.status != "running"]
    if bad:
        raise RuntimeError(f"{len(bad)} racks did not answer: {bad[0].error}")
    return elapsed


def run(quick: bool) -> list[Figure]:
    count, rounds = 200, (3 if quick else 7)
    with slow_racks(count) as inventory:
        fleet = FleetStatus(inventory)
        try:
            one = inventory.racks[:1]
            _timed_refresh(fleet, inventory.racks)  # first contact: TLS handshakes, pools
            singles, fleets = [], []
            for _ in range(rounds):  # interleaved, so machine noise hits both alike
                singles.append(_timed_refresh(fleet, one))
                fleets.append(_timed_refresh(fleet, inventory.racks))
        finally:
            fleet.close()
    ratio = median(fleets) / median(singles)
    detail = f"{count} racks {median(fleets):.3f}s, one rack {median(singles):.3f}s"
    return [at_most("fleet_refresh_ratio", ratio, 3.0, detail)]

"""fleet_refresh: refreshing 200 racks that each take 100 ms, over refreshing one.

Two figures. The steady ratio is what the dashboard pays at every poll: one `FleetStatus`
whose clients keep their connections, 200 racks over one, interleaved round by round. The
first ratio is a new `FleetStatus` each round: every client built and every TLS handshake
done (the first poll after start). Each is the median of the rounds' ratios, with spread.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing import Event, Pipe, Process
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from tests.bench.common import Figure, at_most, median, spread
from tui.base.key_rules import generate_rack_key
from tui.core.fleet_status import FleetStatus
from tui.core.inventory import Inventory, RackEntry
from tui.sandbox.certificate import make_certificate

DELAY_S = 0.1


SYSTEM_BODY = b'{"name":"bench","status":"running","version":"20240415123456","count":3}\n'
SYSTEM_REPLY = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"Content-Length: " + str(len(SYSTEM_BODY)).encode() + b"\r\n\r\n" + SYSTEM_BODY
)


async def _slow_rack(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """One kept-alive HTTPS connection of a rack that answers `GET /system` after 100 ms."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if b"\r\nauthorization: basic " not in head.lower():
                writer.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
            else:
                await asyncio.sleep(DELAY_S)
                writer.write(SYSTEM_REPLY)
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.CancelledError, ConnectionError, ssl.SSLError):
        pass  # the client hung up, or the bench is over
    finally:
        writer.close()


def _serve(count: int, ports: Connection, stop: EventType) -> None:
    """In a child process, one event loop serving `count` racks over TLS.

    The racks are 200 machines in real life; here they share this machine's two cores with
    keyroll, so they are served as cheaply as HTTPS allows (no thread per connection), and
    the figure measures keyroll's refresh rather than the simulated racks' Python.
    """

    async def main(context: ssl.SSLContext) -> None:
        servers = [
            await asyncio.start_server(_slow_rack, "127.0.0.1", 0, ssl=context, backlog=256)
            for _ in range(count)
        ]
        for server in servers:
            ports.send(server.sockets[0].getsockname()[1])
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        for server in servers:
            server.close()

    with TemporaryDirectory() as tmp:
        asyncio.run(main(make_certificate(Path(tmp)).server_context()))


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


def _first_refresh(inventory: Inventory, racks: list[RackEntry]) -> float:
    """A refresh by a new `FleetStatus`: every rack's client built, every TLS handshake done."""
    fleet = FleetStatus(inventory)
    try:
        return _timed_refresh(fleet, racks)
    finally:
        fleet.close()


def _paired(fleets: list[float], singles: list[float]) -> list[float]:
    return [f / s for f, s in zip(fleets, singles, strict=True)]


def run(quick: bool) -> list[Figure]:
    """Two figures, each the median of per-round ratios (200 racks over one, same round)."""
    count = 200
    first_rounds, steady_rounds = (5, 41) if quick else (9, 81)
    with slow_racks(count) as inventory:
        one = inventory.racks[:1]
        first_singles, first_fleets = [], []
        for _ in range(first_rounds):
            first_singles.append(_first_refresh(inventory, one))
            first_fleets.append(_first_refresh(inventory, inventory.racks))
        fleet = FleetStatus(inventory)
        try:
            _timed_refresh(fleet, inventory.racks)  # first contact: TLS handshakes, pools
            made = fleet.clients_made
            singles, fleets = [], []
            for _ in range(steady_rounds):  # interleaved, so machine noise hits both alike
                singles.append(_timed_refresh(fleet, one))
                fleets.append(_timed_refresh(fleet, inventory.racks))
            if fleet.clients_made != made:
                raise RuntimeError("a steady refresh built new clients: connections were not kept")
        finally:
            fleet.close()
    steady = _paired(fleets, singles)
    first = _paired(first_fleets, first_singles)
    steady_detail = (
        f"{spread(steady)}; {count} racks {median(fleets):.3f}s, one rack {median(singles):.3f}s"
    )
    first_detail = (
        f"{spread(first)}; {count} racks {median(first_fleets):.3f}s, "
        f"one rack {median(first_singles):.3f}s (new clients and TLS handshakes)"
    )
    return [
        at_most("fleet_refresh_steady_ratio", median(steady), 3.0, steady_detail),
        Figure("fleet_refresh_first_ratio", median(first), "(for comparison)", True, first_detail),
    ]


def profile_first(count: int = 200) -> None:
    """`python -m tests.bench.fleet_refresh`: where a first refresh's time goes (cProfile of
    the calling thread, and of every status thread's work merged)."""
    import cProfile
    import pstats
    import threading

    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()
    one = FleetStatus._one

    def profiled_one(self: FleetStatus, inventory: Inventory, rack: RackEntry) -> Any:
        profile = cProfile.Profile(time.thread_time)  # CPU, not the wait for the GIL
        result = profile.runcall(one, self, inventory, rack)
        with lock:
            profiles.append(profile)
        return result

    with slow_racks(count) as inventory:
        fleet = FleetStatus(inventory)
        caller = cProfile.Profile()
        try:
            FleetStatus._one = profiled_one  # type: ignore[method-assign]
            caller.enable()
            elapsed = _timed_refresh(fleet, inventory.racks)
            caller.disable()
        finally:
            FleetStatus._one = one  # type: ignore[method-assign]
            fleet.close()
    print(f"first refresh of {count} racks: {elapsed:.3f} s; the calling thread:")
    pstats.Stats(caller).sort_stats("cumulative").print_stats(8)
    print(f"the {len(profiles)} status threads' CPU time, merged (it adds up across threads):")
    merged = pstats.Stats(profiles[0])
    for profile in profiles[1:]:
        merged.add(profile)
    merged.sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    profile_first()

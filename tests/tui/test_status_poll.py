"""The dashboard polls racks' statuses through one FleetStatus it owns: clients (and their
kept-alive connections) are made once, not at every poll, and closed when the app exits."""

from __future__ import annotations

from typing import Any

from tests.tui.conftest import SIZE, until_statuses, wait_for
from tui.core.fleet_status import FleetStatus


def _system_reads(world: Any) -> int:
    with world.lock:
        return sum(n for op, n in world.requests.items() if op.endswith("GET /system"))


async def test_polls_go_through_one_fleet_that_keeps_its_clients(make_app: Any) -> None:
    app, opener = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until_statuses(pilot, app)
        fleet = app.session._fleet
        assert isinstance(fleet, FleetStatus)
        assert app.session.inventory is not None
        first = fleet.clients_made
        assert first == len([r for r in app.session.inventory.racks if r.host])
        world = opener.sandbox.world
        reads = _system_reads(world)
        # Two more idle polls of every rack (FAST_SETTINGS: every second).
        await wait_for(
            pilot,
            lambda: _system_reads(world) >= reads + 2 * first,
            timeout=30.0,
            what="two more polls",
        )
        assert app.session._fleet is fleet
        assert fleet.clients_made == first  # no poll built a client: connections were kept
        assert {s.status for s in app.session.statuses.values()} >= {"running"}
    assert app.session._fleet is None
    assert fleet._closed  # closed with the app, its connections with it

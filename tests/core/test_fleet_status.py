"""FleetStatus against real racks on loopback TLS: kept connections, new keys, dead racks.

Each rack is a `TlsServer` that counts the connections it accepts, so "the connection was
kept" is read on the server's side, not from the client's internals.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tui.base.key_rules import generate_rack_key
from tui.base.secret import Secret
from tui.clients.http import make_verify
from tui.core.fleet_status import FleetStatus
from tui.core.inventory import VIA_DIRECT, Inventory, RackEntry, fetch_statuses
from tui.core.keystore import Keystore
from tui.core.settings import RackSettings, Settings
from tui.sandbox.certificate import Certificate, make_certificate
from tui.sandbox.https_server import Request, Response, TlsServer


class CountingRack(TlsServer):
    """A rack API answering `GET /system` to one key, counting the connections it accepts."""

    def __init__(self, name: str, key: Secret, cert: Certificate) -> None:
        self.name, self.key, self.accepted = name, key, 0
        super().__init__(0, self._answer, cert.server_context())

    def finish_request(self, request: Any, client_address: Any) -> None:
        self.accepted += 1  # before the handshake: counted by the time any reply is read
        super().finish_request(request, client_address)

    def _answer(self, request: Request) -> Response:
        credentials = request.basic_auth()
        if credentials is None or credentials[1] != self.key.reveal():
            return Response.text(401, "invalid authentication")
        return Response.json({"name": self.name, "status": "running", "version": "20240101"})

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("cert"))


@pytest.fixture
def racks(cert: Certificate) -> Iterator[list[CountingRack]]:
    servers = [CountingRack(f"rack{n}", generate_rack_key(), cert) for n in range(3)]
    for server in servers:
        server.start()
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def _dead_host() -> str:
    """A loopback port nothing listens on (bound, then closed): connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def _inventory(
    keystore: Keystore, hosts: dict[str, str], settings: Settings | None = None
) -> Inventory:
    """What the app polls with: the racks, and each host's keys read from the keystore."""
    inventory = Inventory(settings=settings or Settings())
    for name, host in hosts.items():
        rack_settings = next((r for r in inventory.settings.racks if r.name == name), None)
        inventory.racks.append(
            RackEntry(name, VIA_DIRECT, host, ("keyroll",), settings=rack_settings)
        )
        inventory.keys_by_host[host] = keystore.keys_for(host)
    return inventory


@pytest.fixture
def keystore(tmp_path: Path, racks: list[CountingRack]) -> Keystore:
    store = Keystore(tmp_path / "keystore.json")
    for rack in racks:
        store.set_current(rack.host, rack.key)
    return store


def test_refreshes_reuse_each_racks_connection(
    racks: list[CountingRack], keystore: Keystore
) -> None:
    fleet = FleetStatus(_inventory(keystore, {r.name: r.host for r in racks}))
    try:
        for _ in range(4):
            statuses = fleet.refresh()
            assert {s.status for s in statuses.values()} == {"running"}
    finally:
        fleet.close()
    assert [r.accepted for r in racks] == [1, 1, 1]
    assert fleet.clients_made == 3


def test_a_one_off_fetch_connects_anew_each_time(
    racks: list[CountingRack], keystore: Keystore
) -> None:
    """The headless path (`keyroll racks`) keeps nothing: the count the poller saves."""
    inventory = _inventory(keystore, {r.name: r.host for r in racks})
    for _ in range(2):
        assert {s.status for s in fetch_statuses(inventory).values()} == {"running"}
    assert [r.accepted for r in racks] == [2, 2, 2]


def test_a_forgotten_rack_gets_a_new_client_with_the_keystores_new_key(
    racks: list[CountingRack], keystore: Keystore
) -> None:
    hosts = {r.name: r.host for r in racks}
    fleet = FleetStatus(_inventory(keystore, hosts))
    try:
        assert fleet.refresh()["rack0"].status == "running"
        new = generate_rack_key()
        racks[0].key = new  # the roll ended: the rack takes only the new key
        keystore.set_current(racks[0].host, new)
        fleet.forget("rack0")
        fleet.use(_inventory(keystore, hosts))
        statuses = fleet.refresh()
    finally:
        fleet.close()
    assert statuses["rack0"].status == "running", statuses["rack0"].error
    assert [r.accepted for r in racks] == [2, 1, 1]
    assert fleet.clients_made == 4


def test_new_keys_in_the_inventory_reach_a_kept_client_without_a_new_connection(
    racks: list[CountingRack], keystore: Keystore
) -> None:
    hosts = {r.name: r.host for r in racks}
    fleet = FleetStatus(_inventory(keystore, hosts))
    try:
        fleet.refresh()
        new = generate_rack_key()
        racks[1].key = new
        assert fleet.refresh()["rack1"].status == "unknown"  # still the old key
        keystore.set_current(racks[1].host, new)
        fleet.use(_inventory(keystore, hosts))
        statuses = fleet.refresh()
    finally:
        fleet.close()
    assert statuses["rack1"].status == "running", statuses["rack1"].error
    assert racks[1].accepted == 1


def test_a_dead_rack_is_unknown_with_a_sentence_and_the_others_answer(
    racks: list[CountingRack], keystore: Keystore
) -> None:
    hosts = {r.name: r.host for r in racks} | {"gone": _dead_host()}
    keystore.set_current(hosts["gone"], generate_rack_key())
    fleet = FleetStatus(_inventory(keystore, hosts))
    try:
        statuses = fleet.refresh()
    finally:
        fleet.close()
    gone = statuses["gone"]
    assert gone.status == "unknown"
    assert gone.error == f"{hosts['gone']} refused the connection; check the host and port, " + (
        "and that the rack is running."
    )
    assert {statuses[r.name].status for r in racks} == {"running"}
    one_off = fetch_statuses(
        _inventory(keystore, hosts), [RackEntry("gone", VIA_DIRECT, hosts["gone"], ())]
    )
    assert one_off["gone"].error == gone.error  # one status rule for both paths


def test_each_host_gets_its_own_certificate_check(
    racks: list[CountingRack], keystore: Keystore, cert: Certificate, tmp_path: Path
) -> None:
    """rack0 pinned to its own certificate answers; rack1 pinned to another is refused
    before any key goes; rack2 is not checked (the Convox CLI's rule for a bare address)."""
    (tmp_path / "other").mkdir()
    other = make_certificate(tmp_path / "other")
    settings = Settings(
        racks=(
            RackSettings("rack0", host=racks[0].host, verify_tls=str(cert.cert_path)),
            RackSettings("rack1", host=racks[1].host, verify_tls=str(other.cert_path)),
            RackSettings("rack2", host=racks[2].host),
        )
    )
    fleet = FleetStatus(_inventory(keystore, {r.name: r.host for r in racks}, settings))
    try:
        statuses = fleet.refresh()
    finally:
        fleet.close()
    assert statuses["rack0"].status == "running", statuses["rack0"].error
    assert statuses["rack2"].status == "running", statuses["rack2"].error
    assert statuses["rack1"].status == "unknown"
    assert (statuses["rack1"].error or "").startswith(
        f"The certificate of the rack at {racks[1].host} is not the one pinned for it"
    )


def test_clients_with_one_certificate_check_share_one_tls_context(
    cert: Certificate, tmp_path: Path
) -> None:
    pinned = tmp_path / "pinned.pem"
    pinned.write_bytes(cert.cert_pem)
    assert make_verify(False) is make_verify(False)
    assert make_verify(True) is make_verify(True)
    assert make_verify(str(pinned)) is make_verify(str(pinned))
    assert make_verify(cert.cert_pem.decode()) is make_verify(cert.cert_pem.decode())
    before = make_verify(str(pinned))
    (tmp_path / "next").mkdir()
    pinned.write_bytes(make_certificate(tmp_path / "next").cert_pem + b"\n")  # a new pin
    assert make_verify(str(pinned)) is not before

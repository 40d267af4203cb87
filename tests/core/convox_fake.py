"""A tiny Convox Console and rack over real HTTPS on loopback, for inventory and command tests.

It answers only what the inventory asks (`GET /auth`, `GET /racks`, `GET /system`, proxied
with the `Rack` header), with the key checks of a real rack: Basic auth, user ignored.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tui.sandbox.certificate import make_certificate
from tui.sandbox.https_server import Request, Response, TlsServer

ACCOUNT_KEY = "AccountKey0123456789abcdefghijklmnopqrstu"
DEV_KEY = "DevRackKey0123456789abcdefghijklmnopqrst"
CONSOLE_RACKS = {"acme/production": "running", "acme/staging": "updating"}
STALL_S = 0.4
MEET_S = 20.0  # how long an armed status request waits for the others: only a broken caller


class InFlight:
    """The rack-status requests (`GET /system`) the fake is answering at once. Armed with
    `meet = n`, each waits (at most MEET_S) until n have come in: callers that ask side by side
    all meet, callers that ask one after another show one at a time, whatever the machine's
    speed."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.now = 0
        self.most = 0
        self.meet = 0

    @contextmanager
    def request(self) -> Iterator[None]:
        with self._changed:
            self.now += 1
            self.most = max(self.most, self.now)
            self._changed.notify_all()
            if self.meet:
                self._changed.wait_for(lambda: self.most >= self.meet, timeout=MEET_S)
        try:
            yield
        finally:
            with self._changed:
                self.now -= 1


STATUS_REQUESTS = InFlight()


def _system(name: str, status: str) -> Response:
    return Response.json(
        {"name": name, "status": status, "version": "20240415123456", "region": "us-east-1"}
    )


def _authorized(request: Request, key: str) -> bool:
    credentials = request.basic_auth()
    return credentials is not None and credentials[1] == key


def console_app(request: Request) -> Response:
    if not _authorized(request, ACCOUNT_KEY):
        return Response.text(401, "invalid authentication")
    rack = request.header("Rack")
    if rack:
        if rack not in CONSOLE_RACKS:
            return Response.text(404, f"no such rack: {rack}")
        with STATUS_REQUESTS.request():
            response = _system(rack.split("/")[1], CONSOLE_RACKS[rack])
        response.stall_seconds = STALL_S
        return response
    if request.path == "/auth":
        return Response.json({"id": "ops@example.com"})
    if request.path == "/racks":
        return Response.json(
            [
                {"name": n.split("/")[1], "organization": {"name": n.split("/")[0]}, "status": s}
                for n, s in CONSOLE_RACKS.items()
            ]
        )
    return Response.text(404, "not found")


def rack_app(request: Request) -> Response:
    if not _authorized(request, DEV_KEY):
        return Response.text(401, "invalid authentication")
    if request.path == "/system":
        with STATUS_REQUESTS.request():
            response = _system("dev", "running")
        response.stall_seconds = STALL_S
        return response
    return Response.ok()


@dataclass
class ConvoxFake:
    """Where the fake Console and rack listen, and a port nothing listens on."""

    console_host: str
    rack_host: str
    closed_host: str
    certificate: str  # the self-signed PEM both servers present, for `verify_tls` to pin


def closed_port() -> int:
    """A loopback port with no listener (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def convox_fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConvoxFake]:
    cert = make_certificate(Path(tmp_path_factory.mktemp("cert")))
    console = TlsServer(0, console_app, cert.server_context())
    rack = TlsServer(0, rack_app, cert.server_context())
    console.start()
    rack.start()
    try:
        yield ConvoxFake(
            f"127.0.0.1:{console.port}",
            f"127.0.0.1:{rack.port}",
            f"127.0.0.1:{closed_port()}",
            cert.cert_pem.decode(),
        )
    finally:
        console.stop()
        rack.stop()

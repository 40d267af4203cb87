"""`Sandbox`: the world and all its servers on loopback, in-process, as a context manager.

Ports: with a port base N, the Console listens on N, the AWS endpoint gets N+1 (served by
the AWS endpoint module when present), and the racks N+2, N+3, ... in world order; with
no base every server takes a free port.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from tui.sandbox.aws_server import AwsEndpoint
from tui.sandbox.certificate import Certificate, make_certificate
from tui.sandbox.console_api import ConsoleApi
from tui.sandbox.default_world import build_default_world
from tui.sandbox.flaky_gate import DEFAULT_SHARE, DEFAULT_STALL_SECONDS, FlakyGate
from tui.sandbox.https_server import TlsServer
from tui.sandbox.rack_api import RackApi
from tui.sandbox.world import World, WorldOptions

AWS_PORT_OFFSET, FIRST_RACK_PORT_OFFSET = 1, 2


class Sandbox:
    """The simulated Convox world, served: a Console and one Rack API server per rack."""

    def __init__(
        self,
        scenario: str = "ok",
        speed: float = 1.0,
        port_base: int = 0,
        *,
        seed: int | None = None,
        old_key_lingers: bool = False,
        history_events: Mapping[str, int] | None = None,
        flaky_share: float = DEFAULT_SHARE,
        flaky_stall_seconds: float = DEFAULT_STALL_SECONDS,
        stepped: bool = False,
    ) -> None:
        """`stepped`: the world's clock stands still until the caller advances it
        (`world.advance()`); `speed` is then unused."""
        self.scenario, self.speed, self.port_base = scenario, speed, port_base
        self.world: World = build_default_world(
            WorldOptions(
                scenario=scenario,
                speed=speed,
                seed=seed,
                old_key_lingers=old_key_lingers,
                history_events=dict(history_events or {}),
                stepped=stepped,
            )
        )
        self.flaky = (
            FlakyGate(seed, share=flaky_share, stall_seconds=flaky_stall_seconds)
            if scenario == "flaky"
            else None
        )
        self.rack_apis: dict[str, RackApi] = {}  # by full name (org/name or name)
        self.console_api = ConsoleApi(self.world, {}, down=scenario == "console-down")
        self.console_server: TlsServer | None = None
        self.rack_servers: dict[str, TlsServer] = {}
        self.aws_endpoint = AwsEndpoint(
            self.world, scenario=scenario, seed=seed, port=self.aws_port
        )
        self.aws: dict[str, Any] | None = None  # the endpoint's info() once it runs
        self.certificate: Certificate | None = None
        self._directory: Path | None = None

    # lifecycle ----------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Make the certificate and start every server; returns self."""
        self._directory = Path(tempfile.mkdtemp(prefix="keyroll-sandbox-"))
        try:
            self.certificate = make_certificate(self._directory)
            context = self.certificate.server_context()
            base = self.port_base
            self.console_server = TlsServer(base, self.console_api.serve, context)
            for n, rack in enumerate(self.world.racks.values()):
                api = RackApi(self.world, rack.name, flaky=self.flaky)
                port = base + FIRST_RACK_PORT_OFFSET + n if base else 0
                server = TlsServer(port, api.serve, context)
                api.port = server.port
                self.rack_apis[rack.full_name] = api
                self.rack_servers[rack.full_name] = server
            self.console_api.racks = {
                name: api for name, api in self.rack_apis.items() if "/" in name
            }
            for server in [self.console_server, *self.rack_servers.values()]:
                server.start()
            self.aws_endpoint.start()
            self.aws = self.aws_endpoint.info()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every server and remove the certificate files."""
        self.aws_endpoint.stop()
        self.aws = None
        for server in [self.console_server, *self.rack_servers.values()]:
            if server is not None:
                server.stop()
        self.rack_servers.clear()
        self.console_server = None
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # addresses ----------------------------------------------------------------------------

    @property
    def aws_port(self) -> int:
        """The port the AWS endpoint should use: base + 1, or 0 (a free one) without a base."""
        return self.port_base + AWS_PORT_OFFSET if self.port_base else 0

    @property
    def console_host(self) -> str:
        assert self.console_server is not None, "start the sandbox first"
        return f"127.0.0.1:{self.console_server.port}"

    def rack_host(self, full_name: str) -> str:
        """`127.0.0.1:<port>` of a rack (`acme/production` or `dev`)."""
        return f"127.0.0.1:{self.rack_servers[full_name].port}"

    def info(self) -> dict[str, Any]:
        """What `keyroll sandbox serve` prints: endpoints and credentials, keys in clear."""
        world = self.world
        racks = []
        with world.locked():
            pem = self.certificate.cert_pem.decode() if self.certificate else None
            for name, api in self.rack_apis.items():
                rack = world.rack(api.rack_name)
                host = self.rack_host(name)
                racks.append(
                    {
                        "name": name,
                        "organization": rack.organization,
                        "stack": rack.stack.name,
                        "url": f"https://{host}",
                        "host": host,
                        "api_key": rack.api_keys[0].reveal(),
                        "via_console": bool(rack.organization),
                        "certificate": pem,  # the self-signed PEM a client pins
                    }
                )
            account_key = world.console.api_key.reveal()
        return {
            "console": {
                "url": f"https://{self.console_host}",
                "host": self.console_host,
                "account": world.console.email,
                "api_key": account_key,
                "certificate": pem,
            },
            "racks": racks,
            "scenario": self.scenario,
            "speed": self.speed,
            "aws": self.aws,
        }
